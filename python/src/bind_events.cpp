// Event files for Python: read_recording() of hnn/events/formats.h (AEDAT 4.0, AEDAT 2.0,
// N-MNIST) to numpy arrays without a copy (the vectors move into the arrays' capsules). The
// Python side (hnn/events.py) turns them into tensors on request. LibTorch-free.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <vector>

#include "bindings.h"
#include "hnn/events/formats.h"

namespace py = pybind11;

namespace hnn::python {
namespace {

// A numpy array that owns `v` (moved, not copied), with the given shape.
template <typename T>
py::array_t<T> to_numpy(std::vector<T>&& v, std::vector<py::ssize_t> shape = {}) {
  auto* owned = new std::vector<T>(std::move(v));
  py::capsule free(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  if (shape.empty()) shape = {(py::ssize_t)owned->size()};
  return py::array_t<T>(shape, owned->data(), free);
}

py::dict frame_dict(events::Frame&& f) {
  py::dict d;
  d["t"] = f.t;
  d["begin_t"] = f.begin_t;
  d["end_t"] = f.end_t;
  d["exposure_begin_t"] = f.exposure_begin_t;
  d["exposure_end_t"] = f.exposure_end_t;
  d["offset_x"] = f.offset_x;
  d["offset_y"] = f.offset_y;
  const int c = f.channels();
  d["channels"] = c;
  d["pixels"] = to_numpy(std::move(f.pixels), {f.height, f.width, c});  // [H, W, C] uint8, BGR(A)
  return d;
}

}  // namespace

void bind_events(py::module_& m) {
  m.def(
      "read_recording",
      [](const std::string& path, int width, int height, bool check_sorted) {
        events::ReadOptions o;
        o.width = width;
        o.height = height;
        o.check_sorted = check_sorted;
        events::Recording rec;
        {
          py::gil_scoped_release release;
          rec = events::read_recording(path, o);
        }
        events::EventStream& ev = rec.events;
        py::dict d;
        d["format"] = rec.format;
        d["camera"] = rec.camera;
        d["width"] = ev.width;
        d["height"] = ev.height;
        d["t"] = to_numpy(std::move(ev.t));
        d["x"] = to_numpy(std::move(ev.x));
        d["y"] = to_numpy(std::move(ev.y));
        d["p"] = to_numpy(std::move(ev.p));
        py::list frames;
        for (auto& f : rec.frames) frames.append(frame_dict(std::move(f)));
        d["frames"] = frames;
        py::list imu;
        for (const auto& s : rec.imu)
          imu.append(py::make_tuple(s.t, s.temperature,
                                    py::make_tuple(s.accelerometer[0], s.accelerometer[1], s.accelerometer[2]),
                                    py::make_tuple(s.gyroscope[0], s.gyroscope[1], s.gyroscope[2]),
                                    py::make_tuple(s.magnetometer[0], s.magnetometer[1], s.magnetometer[2])));
        d["imu"] = imu;
        py::list triggers;
        for (const auto& tr : rec.triggers) triggers.append(py::make_tuple(tr.t, tr.source));
        d["triggers"] = triggers;
        return d;
      },
      py::arg("path"), py::arg("width") = 0, py::arg("height") = 0, py::arg("check_sorted") = true,
      "Reads a whole event file (format from the magic, else the extension) into a dict of numpy arrays");
  m.def(
      "detect_format", [](const std::string& path) { return events::to_string(events::detect_format(path)); },
      py::arg("path"));
}

}  // namespace hnn::python
