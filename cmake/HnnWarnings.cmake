# Warnings for our own code only; third-party headers come in as SYSTEM includes.
add_library(hnn_warnings INTERFACE)
target_compile_options(hnn_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter ${HNN_CCACHE_FLAGS}>)
if(HNN_SANITIZE)
  target_compile_options(hnn_warnings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(hnn_warnings INTERFACE -fsanitize=address,undefined)
endif()
