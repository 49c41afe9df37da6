# Whether to build the `hnn` Python module (python/): HNN_PYTHON=AUTO builds it when Debian's
# python3-torch, python3-dev and pybind11 are found, ON requires them, OFF skips it. Sets
# HNN_BUILD_PYTHON, and, when it is on, builds the whole library position-independent: the module
# is a shared object that links the library's static archives.
set(HNN_BUILD_PYTHON OFF)
if(NOT HNN_PYTHON)
  message(STATUS "hnn: Python module off (HNN_PYTHON=OFF)")
  return()
endif()
# The interpreter that has python3-torch: Debian's, unless Python3_EXECUTABLE says otherwise (a
# pyenv or venv python3 first on PATH usually lacks torch).
if(NOT Python3_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(Python3_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "Python interpreter of the hnn module")
endif()
find_package(Python3 COMPONENTS Interpreter Development.Module QUIET)
set(_why "")
if(NOT Python3_FOUND)
  set(_why "Python 3 headers not found (apt-get install python3-dev)")
else()
  execute_process(COMMAND ${Python3_EXECUTABLE} -c "import torch, pybind11; print(torch.__version__)"
    RESULT_VARIABLE _rc OUTPUT_VARIABLE HNN_PY_TORCH_VERSION ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _rc EQUAL 0)
    set(_why "${Python3_EXECUTABLE} cannot import torch and pybind11 (apt-get install python3-torch python3-pybind11)")
  endif()
endif()
if(NOT _why)
  set(PYTHON_EXECUTABLE ${Python3_EXECUTABLE})
  find_package(pybind11 CONFIG QUIET)
  find_library(HNN_TORCH_PYTHON_LIBRARY torch_python HINTS ${TORCH_INSTALL_PREFIX}/lib)
  if(NOT pybind11_FOUND)
    set(_why "pybind11 not found (apt-get install pybind11-dev)")
  elseif(NOT HNN_TORCH_PYTHON_LIBRARY)
    set(_why "libtorch_python not found (apt-get install python3-torch)")
  endif()
endif()
if(_why)
  if(HNN_PYTHON STREQUAL "AUTO")
    message(STATUS "hnn: Python module not built: ${_why}")
    return()
  endif()
  message(FATAL_ERROR "HNN_PYTHON=${HNN_PYTHON}: ${_why}")
endif()
message(STATUS "hnn: Python module for ${Python3_EXECUTABLE} (torch ${HNN_PY_TORCH_VERSION}, pybind11 ${pybind11_VERSION})")
set(HNN_BUILD_PYTHON ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
# Executables get -fPIE from that, but they share the precompiled header built -fPIC with the
# libraries, which GCC then refuses: compile them -fPIC too (they still link as PIE).
add_compile_options($<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:-fPIC>)
