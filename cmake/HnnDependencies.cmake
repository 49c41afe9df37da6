# Dependencies. Every one is a Debian -dev package (see scripts/install-deps.sh).
#
# Required by the library (core, spike, hu, nn, train, data, events without AEDAT 4, models):
# LibTorch, fmt, spdlog, nlohmann-json, zlib. Optional components, each AUTO (used when found),
# ON (required) or OFF:
#   HNN_WITH_AEDAT4  AEDAT 4 event files: flatbuffers (+ flatc), lz4, zstd
#   HNN_WITH_PLOTS   PNG plots: PLplot with its cairo driver
#   HNN_WITH_VIDEO   frames, overlays and video: OpenCV (core, imgproc, imgcodecs, videoio);
#                    and giflib (animated GIF output; OpenCV 4.6 has no GIF writer)
#   HNN_WITH_HDF5    HDF5 files (hnn::io: NIR graphs, DASBE datasets): libhdf5 (C library)
#   HNN_WITH_DISTRIBUTED  data parallelism on c10d (hnn::train::dist): LibTorch's c10d headers and
#                    Gloo's (Debian: libgloo-dev; LibTorch 2.x ships both); NCCL too on CUDA builds
# Without a component, the functions that need it throw hnn::Error saying what is missing.
find_package(Torch REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenMP)

# LibTorch's imported targets carry -D_GLIBCXX_USE_CXX11_ABI; everything we build uses them.
if(TARGET torch)
  set(HNN_TORCH_TARGET torch)
else()
  set(HNN_TORCH_TARGET ${TORCH_LIBRARIES})
endif()

set(_hnn_tristate AUTO ON OFF)
foreach(c AEDAT4 PLOTS VIDEO HDF5 DISTRIBUTED)
  set(HNN_WITH_${c} AUTO CACHE STRING "Optional component ${c}: AUTO, ON or OFF")
  set_property(CACHE HNN_WITH_${c} PROPERTY STRINGS ${_hnn_tristate})
  if(NOT HNN_WITH_${c} IN_LIST _hnn_tristate)
    message(FATAL_ERROR "HNN_WITH_${c} must be AUTO, ON or OFF (got '${HNN_WITH_${c}}')")
  endif()
endforeach()

# hnn_component_found(<component> <var>...): with ON every var must be true, else a fatal error
# naming what is missing; sets HNN_HAVE_<component>.
function(hnn_component_found comp)
  set(missing "")
  foreach(v ${ARGN})
    if(NOT ${v})
      list(APPEND missing ${v})
    endif()
  endforeach()
  if(HNN_WITH_${comp} STREQUAL "OFF")
    set(HNN_HAVE_${comp} OFF PARENT_SCOPE)
  elseif(missing)
    if(HNN_WITH_${comp} STREQUAL "ON")
      message(FATAL_ERROR "HNN_WITH_${comp}=ON but not found: ${missing}")
    endif()
    message(STATUS "hnn: component ${comp} off (not found: ${missing})")
    set(HNN_HAVE_${comp} OFF PARENT_SCOPE)
  else()
    set(HNN_HAVE_${comp} ON PARENT_SCOPE)
  endif()
endfunction()

if(NOT HNN_WITH_AEDAT4 STREQUAL "OFF")
  include(HnnEventsDeps)
endif()
hnn_component_found(AEDAT4 HNN_FLATC FLATBUFFERS_INCLUDE_DIR LZ4_INCLUDE_DIR LZ4_LIBRARY ZSTD_INCLUDE_DIR ZSTD_LIBRARY)

# PLplot: linked directly; its CMake package drags in every language binding.
if(NOT HNN_WITH_PLOTS STREQUAL "OFF")
  find_path(PLPLOT_INCLUDE_DIR plplot.h PATH_SUFFIXES plplot)
  find_library(PLPLOT_LIBRARY plplot)
endif()
hnn_component_found(PLOTS PLPLOT_INCLUDE_DIR PLPLOT_LIBRARY)

if(NOT HNN_WITH_VIDEO STREQUAL "OFF")
  find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs videoio)
  find_package(GIF QUIET)
endif()
hnn_component_found(VIDEO OpenCV_FOUND GIF_FOUND)

if(NOT HNN_WITH_HDF5 STREQUAL "OFF")
  find_package(HDF5 QUIET COMPONENTS C)
endif()
hnn_component_found(HDF5 HDF5_FOUND)
if(NOT HNN_WITH_DISTRIBUTED STREQUAL "OFF")
  find_path(HNN_C10D_INCLUDE_DIR torch/csrc/distributed/c10d/ProcessGroupGloo.hpp HINTS ${TORCH_INCLUDE_DIRS})
  find_path(HNN_GLOO_INCLUDE_DIR gloo/algorithm.h HINTS ${TORCH_INCLUDE_DIRS})
  # Debian's libtorch links the shared libgloo; a pip LibTorch has Gloo inside libtorch_cpu.
  find_library(HNN_GLOO_LIBRARY gloo HINTS ${TORCH_INSTALL_PREFIX}/lib)
  if(HNN_CUDA)
    find_path(HNN_NCCL_INCLUDE_DIR nccl.h HINTS ${TORCH_INCLUDE_DIRS} $ENV{CUDA_HOME}/include)
  endif()
endif()
hnn_component_found(DISTRIBUTED HNN_C10D_INCLUDE_DIR HNN_GLOO_INCLUDE_DIR)
message(STATUS "hnn: components AEDAT4=${HNN_HAVE_AEDAT4} PLOTS=${HNN_HAVE_PLOTS} VIDEO=${HNN_HAVE_VIDEO} HDF5=${HNN_HAVE_HDF5} DISTRIBUTED=${HNN_HAVE_DISTRIBUTED}")
foreach(c AEDAT4 PLOTS VIDEO HDF5 DISTRIBUTED)
  if(HNN_HAVE_${c})
    set(HNN_HAVE_${c}_01 1)
  else()
    set(HNN_HAVE_${c}_01 0)
  endif()
endforeach()
