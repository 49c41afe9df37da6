# One precompiled header (LibTorch and the standard library) is built once and reused by
# every target: on two cores that halves the build.
set(HNN_PCH_HEADER ${CMAKE_CURRENT_LIST_DIR}/hnn_pch.h)

# at::parallel_for expands an OpenMP pragma inside our own code: without -fopenmp it runs on
# one thread. Every target (and so the shared PCH) is compiled with it.
add_library(hnn_openmp INTERFACE)
if(OpenMP_CXX_FOUND)
  target_link_libraries(hnn_openmp INTERFACE OpenMP::OpenMP_CXX)
endif()

add_library(hnn_pch STATIC ${CMAKE_CURRENT_LIST_DIR}/hnn_pch.cpp)
target_link_libraries(hnn_pch PUBLIC ${HNN_TORCH_TARGET} hnn_openmp hnn_warnings)
target_precompile_headers(hnn_pch PRIVATE ${HNN_PCH_HEADER})

# hnn_use_pch(target): reuse the shared precompiled header.
function(hnn_use_pch target)
  target_precompile_headers(${target} REUSE_FROM hnn_pch)
endfunction()

# hnn_add_layer(name SOURCES ... DEPS ...): a static library for one layer of the design.
function(hnn_add_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS" ${ARGN})
  add_library(hnn_${name} STATIC ${L_SOURCES})
  target_include_directories(hnn_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
  target_link_libraries(hnn_${name} PUBLIC ${L_DEPS} ${HNN_TORCH_TARGET} hnn_openmp PRIVATE hnn_warnings)
  hnn_use_pch(hnn_${name})
endfunction()
