"""Event files from Python: the AEDAT 4 reader gives the same events as the hnn command."""
import re
import subprocess

import numpy as np
import pytest
import torch

import hnn


def read_aedat2_davis(path):
    """AEDAT 2.0 with DAVIS addresses, decoded here with numpy (not by hnn): '#' header lines,
    then big-endian (address, timestamp) pairs; x bits 12-21, y bits 22-30 (both flipped),
    polarity bit 11."""
    data = path.read_bytes()
    pos = 0
    width = height = None
    while data[pos:pos + 1] == b"#":
        end = data.index(b"\n", pos) + 1
        m = re.match(rb"# hnn-sensor-size: (\d+)x(\d+)", data[pos:end])
        if m:
            width, height = int(m.group(1)), int(m.group(2))
        pos = end
    words = np.frombuffer(data[pos:], dtype=">u4").reshape(-1, 2)
    addr, t = words[:, 0].astype(np.int64), words[:, 1].astype(np.int64)
    assert not (addr >> 31).any() and not ((addr >> 10) & 1).any()  # polarity events only
    x = width - 1 - ((addr >> 12) & 0x3FF)
    y = height - 1 - ((addr >> 22) & 0x1FF)
    return t, x, y, (addr >> 11) & 1, width, height


def test_aedat4_matches_the_cli(shared_data, hnn_cli, tmp_path):
    path = shared_data / "aedat4" / "davis346.aedat4"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    ev = hnn.read_events(path)
    assert (ev.width, ev.height) == (346, 260)
    assert ev.t.dtype == np.int64 and ev.x.dtype == np.int16 and ev.p.dtype == np.uint8
    assert len(ev) > 0 and (np.diff(ev.t) >= 0).all()

    # `hnn events info`: counts, ON count, time span and sensor size.
    info = subprocess.run([hnn_cli, "events", "info", str(path)], check=True, capture_output=True,
                          text=True).stdout
    assert re.search(r"^events\s+(\d+)$", info, re.M).group(1) == str(len(ev))
    assert int(re.search(r"^ON events\s+(\d+)", info, re.M).group(1)) == int(ev.p.sum())
    t0, t1 = map(int, re.search(r"^time span\s+(\d+) \.\. (\d+)", info, re.M).groups())
    assert (t0, t1) == (ev.t[0], ev.t[-1])
    assert re.search(r"^sensor\s+346x260$", info, re.M)

    # `hnn events convert` to AEDAT 2.0 (DAVIS layout), decoded independently: every event.
    out = tmp_path / "davis346.aedat"
    log = subprocess.run([hnn_cli, "events", "convert", str(path), str(out), "--layout", "davis"],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"times shifted by -(\d+) µs", log)
    shift = int(m.group(1)) if m else 0
    t, x, y, p, width, height = read_aedat2_davis(out)
    assert (width, height) == (ev.width, ev.height)
    np.testing.assert_array_equal(t + shift, ev.t)
    np.testing.assert_array_equal(x, ev.x)
    np.testing.assert_array_equal(y, ev.y)
    np.testing.assert_array_equal(p, ev.p)

    # Frames, IMU and triggers come with read_recording; tensors on request.
    rec = hnn.read_recording(path)
    assert rec["format"] == "aedat4" and len(rec["frames"]) == 3
    assert rec["frames"][0]["pixels"].shape[:2] == (260, 346)
    evt = hnn.read_events(path, as_tensors=True)
    assert isinstance(evt.t, torch.Tensor) and torch.equal(evt.x, torch.from_numpy(ev.x))


def test_nmnist_and_errors(shared_data, tmp_path):
    files = sorted((shared_data / "nmnist-small").glob("*.bin"))
    if not files:
        pytest.skip("no N-MNIST files in the shared data")
    ev = hnn.read_events(files[0])
    assert len(ev) > 0 and ev.x.max() < 34 and ev.y.max() < 34
    bad = tmp_path / "bad.aedat4"
    bad.write_bytes(b"#!AER-DAT4.0\r\n" + b"\x00" * 7)
    with pytest.raises(hnn.Error, match="bad.aedat4"):
        hnn.read_events(bad)
