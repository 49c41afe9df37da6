# Warnings for our own code only; third-party headers come in as SYSTEM includes.
add_library(hnn_warnings INTERFACE)
target_compile_options(hnn_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter ${HNN_CCACHE_FLAGS}>)
# Sanitizers (scripts/sanitize.sh): every finding stops the program (no recovery from UBSan).
if(HNN_SANITIZE)
  target_compile_options(hnn_warnings INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=undefined
                                                -fno-omit-frame-pointer)
  target_link_options(hnn_warnings INTERFACE -fsanitize=address,undefined)
endif()
# The fuzz build: coverage feedback for libFuzzer in all of our code (fuzz/ links libFuzzer).
if(HNN_FUZZ)
  target_compile_options(hnn_warnings INTERFACE -fsanitize=fuzzer-no-link)
endif()
