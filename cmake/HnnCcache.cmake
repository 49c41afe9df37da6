# Use ccache when present. The precompiled header needs the sloppiness settings below
# (the PCH is rebuilt whenever its inputs change, so this is safe).
find_program(HNN_CCACHE ccache)
if(HNN_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      ${HNN_CCACHE})
  set(HNN_CCACHE_FLAGS -fpch-preprocess)
endif()
