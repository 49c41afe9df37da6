// Writes small seed corpora for the fuzz targets with our own writers: AEDAT 4 with events,
// frames, IMU and triggers in every compression; AEDAT 2 in both layouts; N-MNIST.
// Usage: make_seeds OUT_DIR  (creates OUT_DIR/aedat4, OUT_DIR/aedat2, OUT_DIR/nmnist)
#include <sys/stat.h>

#include <cstdio>
#include <random>

#include "hnn/events/aedat2.h"
#include "hnn/events/aedat4.h"
#include "hnn/events/nmnist.h"

using namespace hnn::events;

static EventStream stream(size_t n, int w, int h, uint64_t seed, int64_t t0) {
  std::mt19937_64 rng(seed);
  EventStream ev(w, h);
  int64_t t = t0;
  for (size_t i = 0; i < n; ++i) {
    t += (int64_t)(rng() % 5);
    ev.push_back(t, (int)(rng() % (uint64_t)w), (int)(rng() % (uint64_t)h), rng() & 1);
  }
  return ev;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR\n");
    return 2;
  }
  std::string out = argv[1];
  for (const char* d : {"", "/aedat4", "/aedat2", "/nmnist"}) mkdir((out + d).c_str(), 0755);
  Recording rec;
  rec.events = stream(200, 16, 12, 1, 1'600'000'000'000'000);
  Frame f;
  f.t = rec.events.t[50];
  f.width = 8;
  f.height = 6;
  f.offset_x = 2;
  f.pixels.assign(48, 100);
  rec.frames.push_back(f);
  ImuSample m;
  m.t = rec.events.t[10];
  m.temperature = 30;
  rec.imu = {m, m};
  rec.triggers = {{rec.events.t[20], 8}, {rec.events.t[30], 9}};
  for (Compression c :
       {Compression::None, Compression::Lz4, Compression::Lz4High, Compression::Zstd, Compression::ZstdHigh}) {
    Aedat4WriteOptions o;
    o.compression = c;
    o.events_per_packet = 64;
    write_aedat4(out + "/aedat4/seed_" + to_string(c) + ".aedat4", rec, o);
    o.write_table = false;
    write_aedat4(out + "/aedat4/seed_" + to_string(c) + "_notable.aedat4", rec, o);
  }
  write_aedat2(out + "/aedat2/seed_dvs128.aedat", stream(100, 128, 128, 2, 0), Aedat2Layout::Dvs128);
  write_aedat2(out + "/aedat2/seed_davis.aedat", stream(100, 346, 260, 3, 0), Aedat2Layout::Davis);
  write_nmnist(out + "/nmnist/seed.bin", stream(200, 34, 34, 4, 0));
  std::printf("seeds written under %s\n", out.c_str());
  return 0;
}
