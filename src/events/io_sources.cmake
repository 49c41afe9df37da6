# The LibTorch-free part of the events layer (readers, writers, event stream), shared by the
# library and the fuzz build. The AEDAT 4 sources need flatbuffers, lz4 and zstd.
set(HNN_EVENTS_DIR ${CMAKE_CURRENT_LIST_DIR})
set(HNN_EVENTS_BASE_SOURCES
  ${HNN_EVENTS_DIR}/event_stream.cpp ${HNN_EVENTS_DIR}/byte_source.cpp ${HNN_EVENTS_DIR}/aedat4.cpp
  ${HNN_EVENTS_DIR}/aedat4_description.cpp ${HNN_EVENTS_DIR}/aedat2.cpp ${HNN_EVENTS_DIR}/nmnist.cpp
  ${HNN_EVENTS_DIR}/formats.cpp)
set(HNN_EVENTS_AEDAT4_SOURCES
  ${HNN_EVENTS_DIR}/compression.cpp ${HNN_EVENTS_DIR}/aedat4_reader.cpp ${HNN_EVENTS_DIR}/aedat4_writer.cpp)
set(HNN_EVENTS_IO_SOURCES ${HNN_EVENTS_BASE_SOURCES} ${HNN_EVENTS_AEDAT4_SOURCES})
file(GLOB HNN_EVENTS_SCHEMAS ${HNN_EVENTS_DIR}/fbs/*.fbs)
