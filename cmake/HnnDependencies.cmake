# Every dependency is a Debian -dev package (see scripts/install-deps.sh).
find_package(Torch REQUIRED)
find_package(Threads REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenMP)
# Event-camera layer: flatbuffers, LZ4, Zstd (HnnEventsDeps.cmake) and OpenCV for frames/video.
include(HnnEventsDeps)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs videoio)
find_package(GIF REQUIRED)  # animated GIF output of 'hnn events render' (OpenCV 4.6 has no GIF writer)

# LibTorch's imported targets carry -D_GLIBCXX_USE_CXX11_ABI; everything we build uses them.
if(TARGET torch)
  set(HNN_TORCH_TARGET torch)
else()
  set(HNN_TORCH_TARGET ${TORCH_LIBRARIES})
endif()

# PLplot (plots through its cairo driver); linked directly, its CMake package drags in every
# language binding.
find_path(PLPLOT_INCLUDE_DIR plplot.h PATH_SUFFIXES plplot REQUIRED)
find_library(PLPLOT_LIBRARY plplot REQUIRED)
add_library(hnn_plplot INTERFACE)
target_include_directories(hnn_plplot SYSTEM INTERFACE ${PLPLOT_INCLUDE_DIR})
target_link_libraries(hnn_plplot INTERFACE ${PLPLOT_LIBRARY})
