#!/usr/bin/env python3
"""Verdicts and aggregates of the benchmarks' own rule code on seeded random cases.

Dev-only tooling. Runs the reference functions (verbatim copies of the benchmarks' code with
their commits, in ../shared/data/benchmark-rules/) on:
- box pairs in three conventions (half-pixel grid, float64, OWL-ViT-style centre/size floats) and
  shapes meant to land on the rules' edges: near-tie centres, touching edges, nested, identical
  and zero-size boxes, GenEval's margin and 0.5 ratio, T2I-CompBench's |dx| = |dy|, IoU 0.1 and
  150 px;
- whole images with 0-3 boxes per prompt object (plus other classes), scores on and around the
  thresholds and equal scores, grouped in sets whose aggregates are recorded too:
  VISOR (process_detection, get_visor_spatial, uncond as visor.py prints it), T2I-CompBench
  (image_score, the mean of main()) and GenEval (keep_boxes, evaluate, the mean of summary_scores).

Writes test/fixtures/benchmark-rules/{pairs,visor,t2i,geneval}.json.gz, replayed by
test/unit/evaluateConformance.test.ts through src/evaluate (CI needs no Python).

Boxes are stored as the project stores them, (x, y, w, h); the reference gets the corners
(x, y, x + w, y + h) computed in float64, as src/evaluate/rules.ts computes them.

Where the reference fails rather than answers, the case is recorded as a deliberate difference:
- T2I-CompBench divides by the union area, so two zero-area boxes raise ZeroDivisionError; the
  project takes IoU 0 (recorded with the value that gives, from `t2i_zero_union` below);
- VISOR's get_visor_spatial divides by the number of images with both objects found; a set with
  none raises ZeroDivisionError; the project reports cond null and uncond 0.

numpy's argsort is only stable (insertion sort, up to 16 elements) in its portable build; the
SIMD sorts numpy dispatches to on AVX2/AVX-512 CPUs order equal scores differently from 4 of them
on. GenEval's tie order therefore depends on the machine; this script disables those CPU features
(NPY_DISABLE_CPU_FEATURES, set before numpy loads) so that the fixtures follow the portable order,
and keeps at most 16 boxes per class where scores tie.

Usage: python tools/parity/make_benchmark_fixtures.py [--rules ../shared/data/benchmark-rules]
       [--out test/fixtures/benchmark-rules] [--seed 16]
"""

from __future__ import annotations

import os

# Before numpy is imported: the portable (stable up to 16 elements) argsort, see above.
os.environ["NPY_DISABLE_CPU_FEATURES"] = "X86_V3 X86_V4 AVX512_ICL AVX512_SPR"

import argparse  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
VISOR_RELS = ["to the left of", "to the right of", "above", "below"]
T2I_LOCALITIES = ["on the left of", "on the right of", "on the top of", "on the bottom of", "next to", "near"]
GENEVAL_RELS = ["left of", "right of", "above", "below"]
CLASSES = ["dog", "cat", "cup", "book", "car", "person", "bench", "clock"]
PERSON_WORDS = ["man", "woman", "girl", "boy"]


def load(rules: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, rules / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Boxes:
    """Seeded boxes (x, y, w, h) in three conventions and on the rules' edges."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def u(self, lo: float, hi: float) -> float:
        return float(self.rng.uniform(lo, hi))

    def box(self, grid: bool = False) -> list[float]:
        kind = 0 if grid else self.rng.integers(3)
        if kind == 0:  # half-pixel grid: exact arithmetic, many exact ties
            x, y = (float(v) / 2 for v in self.rng.integers(0, 1024, 2))
            w, h = (float(v) / 2 for v in self.rng.integers(0, 400, 2))
        elif kind == 1:  # plain float64 corners, as a detector in float64 gives them
            x, y = self.u(0, 512), self.u(0, 512)
            w, h = self.u(0, 200), self.u(0, 200)
        else:  # OWL-ViT style: centre and size in float32, x = cx - 0.5 * w
            cx, cy, w, h = (float(np.float32(v)) for v in (self.u(0, 600), self.u(0, 600), self.u(1, 200), self.u(1, 200)))
            x, y = cx - 0.5 * w, cy - 0.5 * h
        return [x, y, w, h]

    def nudge(self, v: float) -> float:
        """v, or a few ulps away from it."""
        k = int(self.rng.integers(-2, 3))
        for _ in range(abs(k)):
            v = math.nextafter(v, math.inf if k > 0 else -math.inf)
        return v

    def pair(self) -> tuple[list[float], list[float], str]:
        a = self.box()
        kind = ["random", "centre-tie", "touching", "nested", "identical", "zero-size", "geneval-margin", "geneval-ratio", "t2i-diagonal", "t2i-distance", "t2i-iou"][
            int(self.rng.integers(11))
        ]
        x, y, w, h = a
        b = self.box()
        axis = int(self.rng.integers(2))
        if kind == "centre-tie":
            # Same centre on one axis through boxes of different sizes: (x1 + x2) / 2 decides.
            c = (x + (x + w)) / 2 if axis == 0 else (y + (y + h)) / 2
            size = b[2 + axis]
            b[axis] = self.nudge(c - size / 2)
        elif kind == "touching":
            b[axis] = self.nudge(a[axis] + a[2 + axis])
            b[1 - axis] = a[1 - axis]
        elif kind == "nested":
            b = [x + w * 0.25, y + h * 0.25, w * 0.5, h * 0.5]
            if self.rng.integers(2):
                a, b = b, a
        elif kind == "identical":
            b = list(a)
        elif kind == "zero-size":
            a[2 + axis] = 0.0
            if self.rng.integers(2):
                b[2 + int(self.rng.integers(2))] = 0.0
            if self.rng.integers(3) == 0:
                a[2], a[3], b[2], b[3] = 0.0, 0.0, 0.0, float(self.rng.integers(2)) * b[3]
        elif kind == "geneval-margin":
            # |offset| on one axis equal (or a few ulps off) to 0.1 x the sum of the sizes.
            ca = (a[axis] + (a[axis] + a[2 + axis])) / 2
            off = 0.1 * (a[2 + axis] + b[2 + axis])
            cb = self.nudge(ca + off * (1 if self.rng.integers(2) else -1))
            b[axis] = cb - b[2 + axis] / 2
            b[1 - axis] = self.nudge(a[1 - axis] + (a[3 - axis] - b[3 - axis]) / 2)
        elif kind == "geneval-ratio":
            # Offset (d, o) with sizes summing to 10 (d - norm / 2) on the first axis, so that the
            # revised offset over the norm lands on 0.5, give or take the last bits.
            d = self.u(20, 300) if self.rng.integers(2) else float(self.rng.integers(20, 300))
            o = self.u(0, 1.7 * d)
            norm = math.sqrt(d * d + o * o)
            dims = (d - 0.5 * norm) / 0.1
            share = self.u(0.1, 0.9)
            a[2 + axis], b[2 + axis] = dims * share, dims * (1 - share)
            ca = [(a[0] + (a[0] + a[2])) / 2, (a[1] + (a[1] + a[3])) / 2]
            sd = 1 if self.rng.integers(2) else -1
            off = [sd * d, o] if axis == 0 else [o, sd * d]
            b[0], b[1] = self.nudge(ca[0] + off[0] - b[2] / 2), self.nudge(ca[1] + off[1] - b[3] / 2)
        elif kind == "t2i-diagonal":
            d = self.u(1, 300)
            ca = [(x + (x + w)) / 2, (y + (y + h)) / 2]
            sx, sy = (1 if self.rng.integers(2) else -1), (1 if self.rng.integers(2) else -1)
            b[0], b[1] = self.nudge(ca[0] + sx * d - b[2] / 2), ca[1] + sy * d - b[3] / 2
        elif kind == "t2i-distance":
            ca = [(x + (x + w)) / 2, (y + (y + h)) / 2]
            dx = 150.0 * (1 if self.rng.integers(2) else -1)
            dy = self.u(150, 400)
            b[0], b[1] = self.nudge(ca[0] + dx - b[2] / 2), ca[1] + dy - b[3] / 2
        elif kind == "t2i-iou":
            # Two boxes of one size, shifted so that IoU is near 0.1: overlap 2/11 of the width.
            b = [self.nudge(x + w * (1 - 2 / 11)), y, w, h]
        return a, b, kind


def corners(b: list[float]) -> list[float]:
    return [b[0], b[1], b[0] + b[2], b[1] + b[3]]


def t2i_box(b: list[float]) -> dict:
    c = corners(b)
    return {"x_min": c[0], "y_min": c[1], "x_max": c[2], "y_max": c[3]}


def t2i_zero_union(locality: str, box1: dict, box2: dict) -> float:
    """The project's answer where determine_position divides 0 by 0: its rule with IoU 0."""
    c1 = ((box1["x_min"] + box1["x_max"]) / 2, (box1["y_min"] + box1["y_max"]) / 2)
    c2 = ((box2["x_min"] + box2["x_max"]) / 2, (box2["y_min"] + box2["y_max"]) / 2)
    dx, dy = c2[0] - c1[0], c2[1] - c1[1]
    if locality in ("next to", "on side of", "near"):
        return 1 if abs(dx) < 150 or abs(dy) < 150 else 150 / max(abs(dx), abs(dy))
    ok = {
        "on the right of": dx < 0 and abs(dx) > abs(dy),
        "on the left of": dx > 0 and abs(dx) > abs(dy),
        "on the bottom of": dy < 0 and abs(dy) > abs(dx),
        "on the top of": dy > 0 and abs(dy) > abs(dx),
    }[locality]
    return 1 if ok else 0


def t2i_position(t2i, locality: str, a: list[float], b: list[float]) -> tuple[float, bool]:
    """(score, deliberate): the reference's score, or the project's where the reference raises."""
    box1, box2 = t2i_box(a), t2i_box(b)
    try:
        return t2i.determine_position(locality, box1, box2), False
    except ZeroDivisionError:
        return t2i_zero_union(locality, box1, box2), True


def make_pairs(visor, t2i, geneval, boxes: Boxes, n: int) -> dict:
    cases = []
    for _ in range(n):
        a, b, kind = boxes.pair()
        # VISOR: process_detection on one box of each object, ids 0 and 1.
        v = ""
        for rel in VISOR_RELS:
            outs = [{"boxes": np.array([corners(a), corners(b)]), "scores": np.array([0.9, 0.9]), "labels": np.array([0, 1])}]
            v += str(visor.process_detection(outs, "A", "B", rel)["sra"])
        t, zero = [], False
        for loc in T2I_LOCALITIES:
            s, z = t2i_position(t2i, loc, a, b)
            t.append(s)
            zero = zero or z
        rels = geneval.relative_position([np.array(corners(a) + [0.9])], [np.array(corners(b) + [0.9])])
        g = "".join("1" if r in rels else "0" for r in GENEVAL_RELS)
        case = {"a": a, "b": b, "kind": kind, "visor": v, "t2i": t, "geneval": g}
        if zero:
            case["deliberate"] = "t2i-zero-union"
        cases.append(case)
    return {"relations": {"visor": VISOR_RELS, "t2i": T2I_LOCALITIES, "geneval": GENEVAL_RELS}, "cases": cases}


def score(rng: np.random.Generator, edge: float) -> float:
    """A detection score: often on or a hair from `edge` (the threshold) or a shared tie value."""
    k = int(rng.integers(6))
    if k == 0:
        return edge
    if k == 1:
        return math.nextafter(edge, 1.0 if rng.integers(2) else 0.0)
    if k == 2:
        return [0.35, 0.5, 0.75][int(rng.integers(3))]
    # Scores on a 1/4096 grid: as many distinct values as a detector gives, and short to store.
    return float(rng.integers(0, 4097)) / 4096


def image_boxes(rng, boxes: Boxes, labels: list[str], edge: float, per_label_max: int = 3) -> list[dict]:
    """0..per_label_max boxes for each label, interleaved in a random order (the detector's)."""
    dets = []
    for label in labels:
        for _ in range(int(rng.integers(0, per_label_max + 1))):
            # Mostly half-pixel boxes (the box pairs test the arithmetic; images test the choice
            # of boxes), some from the edge-case pairs.
            if rng.integers(3):
                x, y, w, h = boxes.box(grid=True)
            else:
                a, b, _ = boxes.pair()
                x, y, w, h = a if rng.integers(2) else b
            dets.append({"label": label, "score": score(rng, edge), "x": x, "y": y, "w": w, "h": h})
    order = rng.permutation(len(dets))
    return [dets[i] for i in order]


def make_visor(visor, rng, boxes: Boxes, sets: int) -> dict:
    out = []
    for s in range(sets):
        n_prompts = int(rng.integers(3, 25))
        prompts, images, results, text_data = [], [], {}, []
        for uid in range(n_prompts):
            o1 = CLASSES[int(rng.integers(len(CLASSES)))]
            o2 = o1 if rng.integers(12) == 0 and s % 10 else CLASSES[int(rng.integers(len(CLASSES)))]
            while s % 10 == 0 and o2 == o1:
                o2 = CLASSES[int(rng.integers(len(CLASSES)))]
            rel = VISOR_RELS[int(rng.integers(4))]
            text_data.append({"text": f"a {o1} {rel} a {o2}", "obj_1_attributes": [o1], "obj_2_attributes": [o2], "rel_type": rel, "num_objects": 2})
            prompts.append({"obj1": o1, "obj2": o2, "rel": rel})
            for k in range(int(rng.integers(1, 5))):
                # Sets of the last kind find nothing of the first object: the reference divides by zero.
                dets = image_boxes(rng, boxes, [o1, o2] if s % 10 else [o2], 0.1)
                labels = [0 if d["label"] == o1 else 1 for d in dets]
                outs = [{"boxes": np.array([corners([d["x"], d["y"], d["w"], d["h"]]) for d in dets]).reshape(-1, 4), "scores": np.array([d["score"] for d in dets]), "labels": np.array(labels, dtype=int)}]
                r = visor.process_detection(outs, o1, o2, rel)
                results[f"{uid}_{k}"] = r
                both = int(o1 in r["classes"] and o2 in r["classes"])
                images.append({"prompt": uid, "k": k, "detections": dets, "both": both, "correct": both * r["sra"]})
        entry = {"prompts": prompts, "images": images}
        try:
            cond, visor_n, objacc = visor.get_visor_spatial(results, text_data)
            entry["aggregate"] = {"oa": objacc[2], "cond": cond, "uncond": 0.01 * (cond * objacc[2]), "visor_n": visor_n}
        except ZeroDivisionError:
            entry["deliberate"] = "visor-no-image-with-both"
        out.append(entry)
    return {"threshold": 0.1, "sets": out}


def make_t2i(t2i, rng, boxes: Boxes, sets: int, threshold: float = 0.5) -> dict:
    out = []
    for _ in range(sets):
        images = []
        total = 0.0
        deliberate = False
        for _ in range(int(rng.integers(5, 80))):
            n1 = CLASSES[int(rng.integers(len(CLASSES)))] if rng.integers(4) else PERSON_WORDS[int(rng.integers(4))]
            n2 = CLASSES[int(rng.integers(len(CLASSES)))]
            loc = T2I_LOCALITIES[int(rng.integers(len(T2I_LOCALITIES)))]
            lab = lambda n: "person" if n in PERSON_WORDS else n  # noqa: E731
            others = [CLASSES[int(rng.integers(len(CLASSES)))]]
            dets = image_boxes(rng, boxes, list(dict.fromkeys([lab(n1), lab(n2), *others])), threshold)
            # UniDet reports what scores above its threshold (detectron2: scores > thresh).
            kept = [d for d in dets if d["score"] > threshold]
            obj = [d["label"] for d in kept]
            bbs = [corners([d["x"], d["y"], d["w"], d["h"]]) for d in kept]
            scores = np.array([d["score"] for d in kept])
            try:
                s = t2i.image_score(n1, n2, obj, bbs, scores, loc)
                zero = False
            except ZeroDivisionError:
                # image_score's own arithmetic with the project's IoU 0 for the position term.
                d1, d2 = kept[obj.index(lab(n1))], kept[obj.index(lab(n2))]
                s = 0.25 * d1["score"] + 0.25 * d2["score"]
                s += t2i_zero_union(loc, t2i_box([d1["x"], d1["y"], d1["w"], d1["h"]]), t2i_box([d2["x"], d2["y"], d2["w"], d2["h"]])) / 2
                s = 0 if s < 0.5 else s
                zero = deliberate = True
            total += float(s)
            img = {"obj1": n1, "obj2": n2, "locality": loc, "detections": dets, "score": s}
            if zero:
                img["deliberate"] = "t2i-zero-union"
            images.append(img)
        entry = {"images": images, "mean": total / len(images)}
        if deliberate:
            entry["deliberate"] = "t2i-zero-union"
        out.append(entry)
    return {"threshold": threshold, "sets": out}


def make_geneval(geneval, rng, boxes: Boxes, sets: int) -> dict:
    out = []
    threshold = geneval.THRESHOLD
    for _ in range(sets):
        images = []
        for _ in range(int(rng.integers(5, 80))):
            a = CLASSES[int(rng.integers(len(CLASSES)))]
            b = a if rng.integers(12) == 0 else CLASSES[int(rng.integers(len(CLASSES)))]
            rel = GENEVAL_RELS[int(rng.integers(4))]
            ca, cb = (1, 1) if rng.integers(4) else (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
            classnames = list(dict.fromkeys([a, b, CLASSES[int(rng.integers(len(CLASSES)))]]))
            if rng.integers(40) == 0 and a != b:
                # Beyond MAX_OBJECTS: 17-18 boxes of one class with distinct scores (no tie order).
                dets = image_boxes(rng, boxes, [b], threshold)
                for i in range(int(rng.integers(17, 19))):
                    x, y, w, h = boxes.box()
                    dets.append({"label": a, "score": 0.31 + i / 100, "x": x, "y": y, "w": w, "h": h})
                ca = int(rng.integers(16, 18))
            else:
                dets = image_boxes(rng, boxes, classnames, threshold)
            # mmdet's per-class arrays: (x1, y1, x2, y2, score), each class's boxes in list order.
            bbox = []
            for c in classnames:
                rows = [corners([d["x"], d["y"], d["w"], d["h"]]) + [d["score"]] for d in dets if d["label"] == c]
                bbox.append(np.array(rows, dtype=np.float64).reshape(-1, 5))
            metadata = {"tag": "position", "include": [{"class": b, "count": cb}, {"class": a, "count": ca, "position": [rel, 0]}]}
            detected = geneval.keep_boxes(bbox, None, classnames, metadata)
            correct, _ = geneval.evaluate(None, detected, metadata)
            images.append({"a": a, "b": b, "rel": rel, "count_a": ca, "count_b": cb, "detections": dets, "correct": bool(correct)})
        score = pd.DataFrame({"correct": [i["correct"] for i in images]})["correct"].mean()
        out.append({"images": images, "score": float(score)})
    return {"threshold": threshold, "sets": out}


def write(path: Path, data: dict) -> int:
    raw = json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime 0: the same inputs give byte-identical files.
    with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(raw)
    return path.stat().st_size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rules", type=Path, default=REPO.parent / "shared" / "data" / "benchmark-rules")
    ap.add_argument("--out", type=Path, default=REPO / "test" / "fixtures" / "benchmark-rules")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--pairs", type=int, default=4000)
    ap.add_argument("--sets", type=int, default=30)
    args = ap.parse_args()
    if not args.rules.is_dir():
        print(f"{args.rules}: no such folder; pass --rules DIR with visor_reference.py and friends", file=sys.stderr)
        return 2
    visor, t2i, geneval = (load(args.rules, f"{n}_reference") for n in ("visor", "t2i_compbench", "geneval"))
    rng = np.random.default_rng(args.seed)
    boxes = Boxes(rng)
    source = {
        "generator": "tools/parity/make_benchmark_fixtures.py",
        "seed": args.seed,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "references": {f.name: sha256(f) for f in sorted(args.rules.glob("*_reference.py"))},
    }
    outputs = {
        "pairs": make_pairs(visor, t2i, geneval, boxes, args.pairs),
        "visor": make_visor(visor, rng, boxes, args.sets),
        "t2i": make_t2i(t2i, rng, boxes, args.sets),
        "geneval": make_geneval(geneval, rng, boxes, args.sets),
    }
    for name, data in outputs.items():
        size = write(args.out / f"{name}.json.gz", {"source": source, **data})
        print(f"{args.out / (name + '.json.gz')}: {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
