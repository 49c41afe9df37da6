# Targets of the library: one static library per layer of DESIGN.md, each exported as hnn::<layer>
# (see HnnPackage.cmake), sharing one precompiled header.
include(GNUInstallDirs)

# One precompiled header (LibTorch and the standard library) is built once and reused by
# every target: on two cores that halves the build.
set(HNN_PCH_HEADER ${CMAKE_CURRENT_LIST_DIR}/hnn_pch.h)

# at::parallel_for expands an OpenMP pragma inside our own code: without -fopenmp it runs on
# one thread. Every target (and so the shared PCH) is compiled with it.
set(HNN_OPENMP_TARGET "")
if(OpenMP_CXX_FOUND)
  set(HNN_OPENMP_TARGET OpenMP::OpenMP_CXX)
endif()

add_library(hnn_pch STATIC ${CMAKE_CURRENT_LIST_DIR}/hnn_pch.cpp)
target_link_libraries(hnn_pch PUBLIC ${HNN_TORCH_TARGET} ${HNN_OPENMP_TARGET} hnn_warnings)
target_precompile_headers(hnn_pch PRIVATE ${HNN_PCH_HEADER})

# hnn_use_pch(target): reuse the shared precompiled header.
function(hnn_use_pch target)
  target_precompile_headers(${target} REUSE_FROM hnn_pch)
endfunction()

# Generated public header: version and the optional components this build has.
configure_file(${CMAKE_CURRENT_LIST_DIR}/config.h.in ${PROJECT_BINARY_DIR}/include/hnn/config.h @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/include/hnn/config.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hnn)

# hnn_add_layer(name SOURCES ... [DEPS public deps] [PRIVATE_DEPS ...]): the static library
# hnn_<name>, alias hnn::<name>, installed and exported as hnn::<name>. Public headers come from
# include/ only; src/ is private to the layer.
function(hnn_add_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(hnn_${name} STATIC ${L_SOURCES})
  add_library(hnn::${name} ALIAS hnn_${name})
  set_target_properties(hnn_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME hnn_${name})
  target_include_directories(hnn_${name}
    PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(hnn_${name} PUBLIC ${L_DEPS} ${HNN_TORCH_TARGET} ${HNN_OPENMP_TARGET}
    PRIVATE ${L_PRIVATE_DEPS} $<BUILD_INTERFACE:hnn_warnings>)
  # An instrumented static library needs the sanitizer runtimes wherever it is linked, also in a
  # program built against an installed sanitizer build (tests/package/check_examples.cmake).
  if(HNN_SANITIZE)
    target_link_options(hnn_${name} INTERFACE -fsanitize=address,undefined $<$<BOOL:${HNN_FUZZ}>:-fsanitize=fuzzer-no-link>)
  endif()
  hnn_use_pch(hnn_${name})
  install(TARGETS hnn_${name} EXPORT hnnTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()
