# ctest package.examples: installs hnn into a temporary prefix, checks the installed headers,
# configures examples/ as a separate project with find_package(hnn), builds it and runs each
# example at toy size. Variables: BUILD_DIR, SOURCE_DIR, WORK_DIR, DATA_DIR.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(JOIN " " cmd ${ARGN})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  message(STATUS "ok: ${cmd}\n${out}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# Public headers include only other public headers (<hnn/...> or "hnn/..."), never src/.
file(GLOB_RECURSE headers ${prefix}/include/hnn/*.h)
list(LENGTH headers n)
if(n LESS 40)
  message(FATAL_ERROR "only ${n} headers installed under ${prefix}/include/hnn")
endif()
foreach(h ${headers})
  file(STRINGS ${h} includes REGEX "^#include \"")
  foreach(line ${includes})
    if(NOT line MATCHES "^#include \"hnn/")
      message(FATAL_ERROR "${h} includes a private header: ${line}")
    endif()
  endforeach()
endforeach()
foreach(f lib/cmake/hnn/hnnConfig.cmake lib/cmake/hnn/hnnConfigVersion.cmake lib/cmake/hnn/hnnTargets.cmake
          include/hnn/hnn.h include/hnn/config.h)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

set(launcher "")
find_program(CCACHE ccache)
if(CCACHE)
  set(launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${CCACHE})
endif()
# The examples are compiled with the compiler of the build (a sanitizer build is clang's, and its
# libraries carry clang's sanitizer link options).
file(STRINGS ${BUILD_DIR}/CMakeCache.txt cxx REGEX "^CMAKE_CXX_COMPILER:")
string(REGEX REPLACE "^[^=]*=" "" cxx "${cxx}")
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${cxx} ${launcher})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build -j2)

set(ENV{OMP_NUM_THREADS} 1)
run(${WORK_DIR}/build/hybrid_classifier --train-limit 300 --test-limit 200 --epochs 1 --steps 4)
run(${WORK_DIR}/build/threshold_modulation --samples 600 --epochs 2)
execute_process(COMMAND ${WORK_DIR}/build/events_to_snn --bins 4 WORKING_DIRECTORY ${WORK_DIR}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "events_to_snn failed (${rc}):\n${out}\n${err}")
endif()
message(STATUS "ok: events_to_snn (synthetic)\n${out}")
if(EXISTS ${DATA_DIR}/aedat4/davis346.aedat4)
  run(${WORK_DIR}/build/events_to_snn --in ${DATA_DIR}/aedat4/davis346.aedat4 --bins 4)
endif()
file(REMOVE_RECURSE ${WORK_DIR})
