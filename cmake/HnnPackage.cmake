# The installed CMake package: find_package(hnn [COMPONENTS aedat4 plots video hdf5]) gives the targets
# hnn::core, hnn::spike, hnn::hu, hnn::nn, hnn::plasticity, hnn::train, hnn::events, hnn::data, hnn::io,
# hnn::viz, hnn::models and hnn::hnn (everything). Components name the optional parts; asking for one this
# installation lacks fails find_package.
include(CMakePackageConfigHelpers)
set(HNN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/hnn)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/hnn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(EXPORT hnnTargets NAMESPACE hnn:: DESTINATION ${HNN_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/hnnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/hnnConfig.cmake INSTALL_DESTINATION ${HNN_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hnnConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hnnConfig.cmake ${PROJECT_BINARY_DIR}/hnnConfigVersion.cmake
  DESTINATION ${HNN_INSTALL_CMAKEDIR})
