# Dependencies of the AEDAT 4 readers and writers (no LibTorch, so the fuzz build can use them
# alone): flatbuffers headers + flatc, LZ4 and Zstd (Debian: libflatbuffers-dev,
# flatbuffers-compiler, liblz4-dev, libzstd-dev). Found quietly; HnnDependencies.cmake decides
# whether the component is on, the fuzz build requires it.
find_program(HNN_FLATC flatc)
find_path(FLATBUFFERS_INCLUDE_DIR flatbuffers/flatbuffers.h)
find_path(LZ4_INCLUDE_DIR lz4frame.h)
find_library(LZ4_LIBRARY lz4)
find_path(ZSTD_INCLUDE_DIR zstd.h)
find_library(ZSTD_LIBRARY zstd)

if(NOT TARGET hnn_codecs AND HNN_FLATC AND FLATBUFFERS_INCLUDE_DIR AND LZ4_LIBRARY AND ZSTD_LIBRARY)
  add_library(hnn_codecs INTERFACE)
  target_include_directories(hnn_codecs SYSTEM INTERFACE ${FLATBUFFERS_INCLUDE_DIR} ${LZ4_INCLUDE_DIR} ${ZSTD_INCLUDE_DIR})
  target_link_libraries(hnn_codecs INTERFACE ${LZ4_LIBRARY} ${ZSTD_LIBRARY})
endif()

# hnn_generate_flatbuffers(<out var> <out dir> schema.fbs ...): C++ headers <out dir>/fbs/<name>_generated.h
# generated at build time by flatc (include them as "fbs/<name>_generated.h").
function(hnn_generate_flatbuffers out_var out_dir)
  set(headers "")
  foreach(schema ${ARGN})
    get_filename_component(name ${schema} NAME_WE)
    set(header ${out_dir}/fbs/${name}_generated.h)
    add_custom_command(OUTPUT ${header}
      COMMAND ${HNN_FLATC} --cpp --scoped-enums -o ${out_dir}/fbs ${schema}
      DEPENDS ${schema} VERBATIM COMMENT "flatc ${name}.fbs")
    list(APPEND headers ${header})
  endforeach()
  set(${out_var} ${headers} PARENT_SCOPE)
endfunction()
