#!/usr/bin/env python3
"""An independent, minimal AEDAT 4.0 reader (Python standard library plus the lz4 / zstd command
line tools) used to cross-check files written by hnn against the published layout: magic,
size-prefixed IOHeader ("IOHE"), packets (stream id, size, one LZ4/Zstd frame holding a
size-prefixed flatbuffer with the stream's identifier) and the FileDataTable ("FTAB").
It parses the flatbuffers by hand (vtables), so it shares no code with the C++ reader.

Usage: scripts/check_aedat4.py FILE.aedat4   -> prints counts per stream; exit 1 on any problem.
"""
import re
import struct
import subprocess
import sys

COMPRESSION = {0: None, 1: "lz4", 2: "lz4", 3: "zstd", 4: "zstd"}


def table(buf, pos):
    """Field offsets (absolute, None when absent) of the table at pos."""
    vt = pos - struct.unpack_from("<i", buf, pos)[0]
    vlen, _ = struct.unpack_from("<HH", buf, vt)
    fields = [struct.unpack_from("<H", buf, vt + 4 + 2 * i)[0] for i in range((vlen - 4) // 2)]
    return [pos + f if f else None for f in fields]


def deref(buf, pos):
    return pos + struct.unpack_from("<I", buf, pos)[0]


def decompress(data, kind):
    if kind is None:
        return data
    tool = ["lz4", "-d", "-c"] if kind == "lz4" else ["zstd", "-d", "-c"]
    out = subprocess.run(tool, input=data, capture_output=True)
    if out.returncode != 0:
        raise ValueError(f"{kind} could not decompress: {out.stderr.decode().strip()}")
    return out.stdout


def size_prefixed(body, ident):
    n = struct.unpack_from("<I", body, 0)[0]
    if n != len(body) - 4:
        raise ValueError(f"size prefix {n} != {len(body) - 4}")
    buf = body[4:]
    if buf[4:8] != ident.encode():
        raise ValueError(f"identifier {buf[4:8]!r}, expected {ident}")
    return buf, struct.unpack_from("<I", buf, 0)[0]


def main(path):
    d = open(path, "rb").read()
    assert d[:14] == b"#!AER-DAT4.0\r\n", "bad magic"
    hbuf, root = size_prefixed(d[14:18 + struct.unpack_from("<I", d, 14)[0]], "IOHE")
    f = table(hbuf, root)
    compression = struct.unpack_from("<i", hbuf, f[0])[0] if f[0] else 0
    table_pos = struct.unpack_from("<q", hbuf, f[1])[0] if len(f) > 1 and f[1] else -1
    desc = hbuf[deref(hbuf, f[2]) + 4:deref(hbuf, f[2]) + 4 + struct.unpack_from("<I", hbuf, deref(hbuf, f[2]))[0]].decode()
    streams = {}
    for m in re.finditer(r'<node name="(\d+)".*?typeIdentifier" type="string">(\w+)<', desc, re.S):
        streams[int(m.group(1))] = m.group(2)
    kind = COMPRESSION[compression]
    pos, end = 18 + struct.unpack_from("<I", d, 14)[0], table_pos if table_pos >= 0 else len(d)
    counts = {sid: [0, 0] for sid in streams}  # packets, elements
    offsets = []
    last_t = {}
    while pos < end:
        sid, size = struct.unpack_from("<ii", d, pos)
        ident = streams[sid]
        buf, r = size_prefixed(decompress(d[pos + 8:pos + 8 + size], kind), ident)
        f = table(buf, r)
        if ident == "FRME":
            n = 1
            w, h = struct.unpack_from("<hh", buf, f[6])[0], struct.unpack_from("<h", buf, f[7])[0]
            pixels = struct.unpack_from("<I", buf, deref(buf, f[10]))[0]
            assert pixels >= w * h, "frame pixels"
        else:
            vec = deref(buf, f[0])
            n = struct.unpack_from("<I", buf, vec)[0]
            if ident == "EVTS":
                for i in range(n):
                    t = struct.unpack_from("<q", buf, vec + 4 + 16 * i)[0]
                    assert t >= last_t.get(sid, t), f"events go back in time at byte {pos}"
                    last_t[sid] = t
        counts[sid][0] += 1
        counts[sid][1] += n
        offsets.append((pos + 8, sid, size, n))
        pos += 8 + size
    if table_pos >= 0:
        buf, r = size_prefixed(decompress(d[table_pos:], kind), "FTAB")
        vec = deref(buf, table(buf, r)[0])
        entries = []
        for i in range(struct.unpack_from("<I", buf, vec)[0]):
            e = table(buf, deref(buf, vec + 4 + 4 * i))
            off = struct.unpack_from("<q", buf, e[0])[0]
            sid, size = struct.unpack_from("<ii", buf, e[1])
            n = struct.unpack_from("<q", buf, e[2])[0]
            entries.append((off, sid, size, n))
        assert entries == offsets, "packet table does not match the packets"
    print(f"{path}: compression {compression}, packet table {'yes' if table_pos >= 0 else 'no'}")
    for sid, ident in sorted(streams.items()):
        print(f"  stream {sid} {ident}: {counts[sid][0]} packets, {counts[sid][1]} elements")


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as e:  # noqa: BLE001 - any problem is a failed check
        print(f"check_aedat4: {sys.argv[1]}: {e}", file=sys.stderr)
        sys.exit(1)
