#!/usr/bin/env python3
"""Cuts seeds for the fuzz targets from the real files of ../shared/data (see corpus/README.md).

Usage: fuzz/cut_real_seeds.py SHARED_DATA_DIR OUT_DIR     (writes OUT_DIR/<target>/...)
The shared data is never copied into the repository: ctest's fuzz.real_seeds runs this into the
build folder, and the fuzz.<target> tests and scripts/fuzz.sh read the seeds from there. Without
the shared data it writes nothing and says so. Only the standard library; the output is
deterministic.
"""
import gzip
import io
import json
import os
import struct
import sys
import zipfile

if len(sys.argv) != 3:
    sys.exit("usage: cut_real_seeds.py SHARED_DATA_DIR OUT_DIR")
data, corpus = sys.argv[1], sys.argv[2]
if not os.path.isdir(os.path.join(data, "mnist")):
    print("no shared data in %s: no seeds cut from real files" % data)
    sys.exit(0)


def put(target, name, payload):
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(payload)


def idx_cut(raw, count):
    ndim = raw[3]
    dims = list(struct.unpack(">%dI" % ndim, raw[4:4 + 4 * ndim]))
    per = 1
    for x in dims[1:]:
        per *= x
    dims[0] = count
    return raw[:4] + struct.pack(">%dI" % ndim, *dims) + raw[4 + 4 * ndim:4 + 4 * ndim + count * per]


# idx: the first images/labels of the MNIST test set (decompressed; the IDX count set to what is kept),
# and the same first labels as the other IDX element types (hand-made: MNIST only has uint8).
images = gzip.open(os.path.join(data, "mnist/t10k-images-idx3-ubyte.gz")).read()
labels = gzip.open(os.path.join(data, "mnist/t10k-labels-idx1-ubyte.gz")).read()
put("idx", "mnist_t10k_images_first3.idx3", idx_cut(images, 3))
put("idx", "mnist_t10k_labels_first16.idx1", idx_cut(labels, 16))
first = labels[8:14]
for code, fmt, name in [(0x09, "b", "int8"), (0x0B, ">h", "int16"), (0x0C, ">i", "int32"), (0x0D, ">f", "float32"),
                        (0x0E, ">d", "float64")]:
    body = b"".join(struct.pack(fmt, v) for v in first)
    put("idx", "mnist_labels_first6_as_%s_2x3.idx" % name, bytes([0, 0, code, 2]) + struct.pack(">II", 2, 3) + body)

# png and zip: Omniglot images, byte-for-byte, and a small archive of a few of them (deflated and stored).
with zipfile.ZipFile(os.path.join(data, "omniglot/images_background_small1.zip")) as z:
    pngs = [n for n in z.namelist() if n.endswith(".png")][:3]
    blobs = {n: z.read(n) for n in pngs}
for n in pngs:
    put("png", "omniglot_" + n.split("/", 1)[1].replace("/", "_"), blobs[n])
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr(zipfile.ZipInfo("omniglot/"), b"")
    for i, n in enumerate(pngs[:2]):
        zi = zipfile.ZipInfo("omniglot/" + n.rsplit("/", 1)[1], date_time=(2015, 10, 20, 18, 47, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED if i == 0 else zipfile.ZIP_STORED
        z.writestr(zi, blobs[n])
put("zip", "omniglot_2_pngs_deflated_and_stored.zip", buf.getvalue())
with open(os.path.join(data, "omniglot/all_runs.zip"), "rb") as f:
    raw = f.read()
with zipfile.ZipFile(io.BytesIO(raw)) as z:
    txt = [n for n in z.namelist() if n.endswith(".txt")][:1]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for n in txt:
            zi = zipfile.ZipInfo(n, date_time=(2015, 10, 20, 18, 47, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(zi, z.read(n))
put("zip", "omniglot_all_runs_one_label_file.zip", buf.getvalue())

# clevrer_scenes: the smallest of the first 50 validation scenes, trajectories cut to the first 4
# steps (objects, collisions and counterfactuals as published), one and two a file.
with gzip.open(os.path.join(data, "clevrer-scenes/validation-scenes.jsonl.gz"), "rt") as f:
    lines = [next(f) for _ in range(50)]
scenes = sorted((json.loads(l) for l in lines), key=lambda s: len(json.dumps(s)))[:3]
for s in scenes:
    s["trajectory"] = s["trajectory"][:4]
dump = [json.dumps(s, separators=(",", ":")) for s in scenes]
put("clevrer_scenes", "video_%d_4_steps.jsonl" % scenes[0]["video"], (dump[0] + "\n").encode())
put("clevrer_scenes", "videos_%d_%d_4_steps.jsonl" % (scenes[1]["video"], scenes[2]["video"]),
    (dump[1] + "\n\n" + dump[2] + "\r\n").encode())

# clevrer_questions: two videos of the questions file in its dict form, and the same in CLEVRER's
# list form (scene_index, video_filename).
q = json.load(open(os.path.join(data, "clevrer-questions/train-orig-small.json")))
keys = list(q)[:2]
put("clevrer_questions", "train_videos_%s_%s_dict.json" % tuple(keys),
    json.dumps({k: q[k] for k in keys}).encode())
lst = [{"scene_index": int(k), "video_filename": "video_%s.mp4" % k, "questions": q[k]["questions"]} for k in keys]
put("clevrer_questions", "train_videos_%s_%s_list.json" % tuple(keys), json.dumps(lst).encode())

# hrn_program: the programs of those questions and their choices, one a line, space or comma separated.
progs = []
for k in keys[:1]:
    for qq in q[k]["questions"]:
        progs.append(qq["program"])
        progs += [c["program"] for c in qq.get("choices", [])]
put("hrn_program", "train_video_%s_programs.txt" % keys[0], "\n".join(" ".join(p) for p in progs).encode() + b"\n")
put("hrn_program", "one_program_commas.txt", ",".join(progs[0]).encode())
for qq in (qq for k in q for qq in q[k]["questions"]):
    if qq["question_type"] in ("predictive", "counterfactual") and not os.path.exists(
            os.path.join(corpus, "hrn_program", qq["question_type"] + ".txt")):
        put("hrn_program", qq["question_type"] + ".txt", " ".join(qq["program"]).encode())

# nir: the smallest real graph, byte-for-byte.
with open(os.path.join(data, "nir/lif_rockpool.nir"), "rb") as f:
    put("nir", "lif_rockpool.nir", f.read())

# Events: the start of the real recordings (cut: the readers meet a truncated file), and a whole
# small N-MNIST recording cut to its first 600 events (a valid file).
with open(os.path.join(data, "aedat4/davis346.aedat4"), "rb") as f:
    put("aedat4", "davis346_first12k.aedat4", f.read(12 * 1024))
with open(os.path.join(data, "aedat2/dvs128-walking.aedat"), "rb") as f:
    put("aedat2", "dvs128_walking_first8k.aedat", f.read(8 * 1024))
with open(os.path.join(data, "nmnist-small/100.bin"), "rb") as f:
    put("nmnist", "nmnist_100_first600_events.bin", f.read(600 * 5))

print("seeds cut from %s into %s" % (data, corpus))
