"""Event-camera files: AEDAT 4.0 (every compression), AEDAT 2.0 (jAER) and N-MNIST binary, read
by the C++ readers into numpy arrays (or torch tensors).

    ev = hnn.read_events("rec.aedat4")      # Events(t, x, y, p, width, height)
    ev.t                                    # int64 microseconds; x, y int16; p uint8 (1 = ON)
    ev = hnn.read_events("rec.aedat4", as_tensors=True)
"""
from typing import NamedTuple

import torch

from . import _C


class Events(NamedTuple):
    t: object   # [N] int64, µs (AEDAT 4: Unix time; N-MNIST and AEDAT 2: near 0)
    x: object   # [N] int16
    y: object   # [N] int16
    p: object   # [N] uint8, 1 ON / 0 OFF
    width: int
    height: int

    def __len__(self):
        return len(self.t)

    def to_tensors(self):
        """The same events as torch tensors (sharing memory with the numpy arrays)."""
        if isinstance(self.t, torch.Tensor):
            return self
        return Events(*(torch.from_numpy(a) for a in (self.t, self.x, self.y, self.p)),
                      self.width, self.height)


def read_recording(path, width=0, height=0, check_sorted=True):
    """Everything a file holds, as a dict: format, camera, width, height, t, x, y, p (numpy),
    frames (dicts with t, pixels [H, W, C] uint8 BGR(A), ...), imu (t, temperature, accel, gyro,
    magnetometer) and triggers (t, source). ``width`` and ``height`` give the sensor size for
    formats that do not store it (0: inferred)."""
    return _C.read_recording(str(path), width, height, check_sorted)


def read_events(path, as_tensors=False, width=0, height=0):
    """The polarity events of an event file, sorted by time, as ``Events``."""
    r = read_recording(path, width, height)
    ev = Events(r["t"], r["x"], r["y"], r["p"], r["width"], r["height"])
    return ev.to_tensors() if as_tensors else ev
