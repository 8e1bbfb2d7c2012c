#!/usr/bin/env python3
"""Validate an exported Stable Diffusion ONNX folder (the optimum text-to-image layout).

Checks what SPRIGHT Lens' render pipeline needs, and says what is wrong with each file:
- model_index.json, scheduler/scheduler_config.json, tokenizer/{vocab.json, merges.txt,
  tokenizer_config.json}, vae_decoder/config.json (scaling_factor),
- text_encoder/model.onnx: input ``input_ids`` (int32/int64, rank 2); output ``last_hidden_state``
  (float, rank 3),
- unet/model.onnx (+ every external data file it references, e.g. model.onnx_data): inputs
  ``sample`` (rank 4, 4 channels), ``timestep`` (float32/float16/int64, rank 0 or 1),
  ``encoder_hidden_states`` (rank 3, width = the text encoder's); output ``out_sample``;
  external data files readable by other users (onnx writes them 0600),
- vae_decoder/model.onnx: input ``latent_sample`` (rank 4, 4 channels); output ``sample`` (3 channels),
- one float precision across the graphs (all float32 or all float16).
With --run it also runs each graph once on onnxruntime (CPU) with small dummy inputs.

Usage: check_export.py DIR [--run] [--tokenizer-fixture test/fixtures/clip-tokenizer] [--json]
Exit status 0 when the folder is usable, 1 when it is not (every problem is listed), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ELEM = {1: "float32", 10: "float16", 6: "int32", 7: "int64", 11: "float64"}
FLOATS = {"float32", "float16"}


class Report:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.facts: dict = {}

    def bad(self, path: Path | str, expected: str, found: str) -> None:
        self.problems.append(f"{path}: expected {expected}; found {found}")


def _desc(value) -> dict:
    t = value.type.tensor_type
    dims = [d.dim_param if d.dim_param else (d.dim_value if d.HasField("dim_value") else "?") for d in t.shape.dim]
    return {"dtype": ELEM.get(t.elem_type, f"onnx type {t.elem_type}"), "dims": dims}


def _readable_by_all(path: Path, rep: Report) -> None:
    """Flags a file that only its owner can read.

    onnx's external-data writer (what optimum calls for the UNet) creates ``model.onnx_data`` with
    mode 0600; a model folder shared between users (a team machine, a mounted volume) then fails to
    load for everyone but the person who exported it.
    """
    mode = path.stat().st_mode & 0o777
    if mode & 0o044 == 0:
        rep.bad(path, "a file other users can read (mode 0644)",
                f"mode {mode:04o}, readable by its owner only (as onnx writes external data); "
                f"fix: chmod a+r '{path}'")


def _load_graph(path: Path, rep: Report):
    import onnx

    if not path.is_file():
        rep.bad(path, "an ONNX model file", "no such file")
        return None
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # noqa: BLE001 - any parse failure is reported the same way
        rep.bad(path, "a readable ONNX model", f"{type(e).__name__}: {e}")
        return None
    # External data: every referenced file must exist next to the model and be large enough.
    from onnx.external_data_helper import _get_all_tensors, uses_external_data

    needed: dict[str, int] = {}
    for tensor in _get_all_tensors(model):
        if uses_external_data(tensor):
            info = {e.key: e.value for e in tensor.external_data}
            end = int(info.get("offset", 0)) + int(info.get("length", 0))
            needed[info["location"]] = max(needed.get(info["location"], 0), end)
    for location, end in needed.items():
        data = path.parent / location
        if not data.is_file():
            rep.bad(data, f"the external data file that {path.name} references", "no such file")
        elif data.stat().st_size < end:
            rep.bad(data, f"at least {end} bytes", f"{data.stat().st_size} bytes (truncated copy?)")
        else:
            _readable_by_all(data, rep)
    io = {
        "inputs": {i.name: _desc(i) for i in model.graph.input},
        "outputs": {o.name: _desc(o) for o in model.graph.output},
        "external_data": sorted(needed),
    }
    return io


def _expect(rep: Report, path: Path, io: dict, kind: str, name: str, dtypes: set[str], ranks: set[int]) -> dict | None:
    found = io[kind].get(name)
    if found is None:
        names = ", ".join(io[kind]) or "none"
        rep.bad(path, f"{kind[:-1]} '{name}'", f"{kind} {names}")
        return None
    if found["dtype"] not in dtypes:
        rep.bad(path, f"{kind[:-1]} '{name}' of type {' or '.join(sorted(dtypes))}", found["dtype"])
    if len(found["dims"]) not in ranks:
        rep.bad(path, f"{kind[:-1]} '{name}' of rank {' or '.join(map(str, sorted(ranks)))}",
                f"rank {len(found['dims'])} {found['dims']}")
    return found


def _dim(d) -> int | None:
    return d if isinstance(d, int) and d > 0 else None


def _json(path: Path, rep: Report) -> dict | None:
    if not path.is_file():
        rep.bad(path, "a JSON file", "no such file")
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        rep.bad(path, "valid JSON", f"{e.msg} at line {e.lineno} column {e.colno}")
        return None


def check(root: Path, tokenizer_fixture: Path | None = None) -> Report:
    rep = Report()
    index = _json(root / "model_index.json", rep)
    if index is not None:
        for part in ("text_encoder", "unet", "vae", "tokenizer", "scheduler"):
            if part not in index:
                rep.bad(root / "model_index.json", f"a '{part}' entry", "none")
    sched = _json(root / "scheduler" / "scheduler_config.json", rep)
    if sched is not None:
        for key in ("beta_start", "beta_end", "beta_schedule", "num_train_timesteps"):
            if key not in sched:
                rep.bad(root / "scheduler" / "scheduler_config.json", f"key '{key}'", "none")
        pred = sched.get("prediction_type", "epsilon")
        if pred not in ("epsilon", "v_prediction"):
            rep.bad(root / "scheduler" / "scheduler_config.json", "prediction_type epsilon or v_prediction", pred)
        rep.facts["prediction_type"] = pred
        rep.facts["timestep_spacing"] = sched.get("timestep_spacing", "(class default)")

    tok = root / "tokenizer"
    for name in ("vocab.json", "merges.txt"):
        if not (tok / name).is_file():
            if tokenizer_fixture is not None and (tokenizer_fixture / f"{name}.gz").is_file():
                continue  # committed fixtures keep the 2 MB vocabulary once, gzip-compressed
            rep.bad(tok / name, "the CLIP BPE file", "no such file")
    tok_config = _json(tok / "tokenizer_config.json", rep)
    if tok_config is not None:
        rep.facts["model_max_length"] = tok_config.get("model_max_length")
        pad = tok_config.get("pad_token")
        rep.facts["pad_token"] = pad.get("content") if isinstance(pad, dict) else pad

    vae_cfg = _json(root / "vae_decoder" / "config.json", rep)
    if vae_cfg is not None:
        if "scaling_factor" not in vae_cfg:
            rep.bad(root / "vae_decoder" / "config.json", "key 'scaling_factor' (SD 2.x: 0.18215)", "none")
        else:
            rep.facts["vae_scaling_factor"] = vae_cfg["scaling_factor"]

    te_path = root / "text_encoder" / "model.onnx"
    unet_path = root / "unet" / "model.onnx"
    vae_path = root / "vae_decoder" / "model.onnx"
    te, unet, vae = (_load_graph(p, rep) for p in (te_path, unet_path, vae_path))
    floats: dict[str, str] = {}
    hidden = None
    if te:
        _expect(rep, te_path, te, "inputs", "input_ids", {"int32", "int64"}, {2})
        lhs = _expect(rep, te_path, te, "outputs", "last_hidden_state", FLOATS, {3})
        if lhs:
            floats["text_encoder"] = lhs["dtype"]
            hidden = _dim(lhs["dims"][2]) if len(lhs["dims"]) == 3 else None
        rep.facts["input_ids"] = te["inputs"].get("input_ids", {}).get("dtype")
    if unet:
        sample = _expect(rep, unet_path, unet, "inputs", "sample", FLOATS, {4})
        ts = _expect(rep, unet_path, unet, "inputs", "timestep", FLOATS | {"int64"}, {0, 1})
        ehs = _expect(rep, unet_path, unet, "inputs", "encoder_hidden_states", FLOATS, {3})
        out = _expect(rep, unet_path, unet, "outputs", "out_sample", FLOATS, {4})
        if sample:
            floats["unet"] = sample["dtype"]
            if len(sample["dims"]) == 4 and _dim(sample["dims"][1]) not in (None, 4):
                rep.bad(unet_path, "input 'sample' with 4 latent channels", f"{sample['dims'][1]}")
        if sample and ehs and ehs["dtype"] != sample["dtype"]:
            expected = f"'encoder_hidden_states' of the same type as 'sample' ({sample['dtype']})"
            rep.bad(unet_path, expected, ehs["dtype"])
        if out and sample and out["dtype"] != sample["dtype"]:
            rep.bad(unet_path, f"output 'out_sample' of the same type as 'sample' ({sample['dtype']})", out["dtype"])
        if ehs and hidden and len(ehs["dims"]) == 3 and _dim(ehs["dims"][2]) not in (None, hidden):
            rep.bad(unet_path, f"'encoder_hidden_states' width {hidden} (the text encoder's)", str(ehs["dims"][2]))
        if ts:
            rep.facts["timestep"] = f"{ts['dtype']} {ts['dims']}"
        rep.facts["unet_external_data"] = unet["external_data"]
    if vae:
        lat = _expect(rep, vae_path, vae, "inputs", "latent_sample", FLOATS, {4})
        img = _expect(rep, vae_path, vae, "outputs", "sample", FLOATS, {4})
        if lat:
            floats["vae_decoder"] = lat["dtype"]
        if img and len(img["dims"]) == 4 and _dim(img["dims"][1]) not in (None, 3):
            rep.bad(vae_path, "output 'sample' with 3 channels", str(img["dims"][1]))
    if len(set(floats.values())) > 1:
        rep.bad(root, "one float type across text_encoder, unet and vae_decoder",
                ", ".join(f"{k} {v}" for k, v in floats.items()))
    if floats:
        rep.facts["float"] = sorted(set(floats.values()))[0] if len(set(floats.values())) == 1 else floats
    rep.facts["hidden_size"] = hidden
    return rep


def run_graphs(root: Path, rep: Report) -> None:
    """Runs each graph once on small dummy inputs; catches graphs that load but cannot execute."""
    import numpy as np
    import onnxruntime as ort

    types = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64,
             "tensor(int32)": np.int32}

    def session(part):
        return ort.InferenceSession(str(root / part / "model.onnx"), providers=["CPUExecutionProvider"])

    try:
        te = session("text_encoder")
        meta = te.get_inputs()[0]
        ids = np.array([[49406, 320, 2368, 49407] + [0] * 73], dtype=types[meta.type])
        hidden_states = te.run(["last_hidden_state"], {"input_ids": ids})[0]
        unet = session("unet")
        m = {i.name: i for i in unet.get_inputs()}
        ftype = types[m["sample"].type]
        ts = np.asarray(500).astype(types[m["timestep"].type])
        if len(m["timestep"].shape) == 1:
            ts = ts.reshape(1)
        out = unet.run(["out_sample"], {"sample": np.zeros((1, 4, 8, 8), ftype), "timestep": ts,
                                        "encoder_hidden_states": hidden_states.astype(ftype)})[0]
        vae = session("vae_decoder")
        img = vae.run(["sample"], {"latent_sample": out.astype(types[vae.get_inputs()[0].type])})[0]
        rep.facts["run"] = f"ok: text {list(hidden_states.shape)}, unet {list(out.shape)}, image {list(img.shape)}"
        if not np.isfinite(img.astype(np.float32)).all():
            rep.bad(root / "vae_decoder" / "model.onnx", "finite pixels", "NaN or infinity")
    except Exception as e:  # noqa: BLE001 - report whatever onnxruntime says
        rep.bad(root, "graphs that onnxruntime runs", f"{type(e).__name__}: {e}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--run", action="store_true", help="also run each graph once with onnxruntime")
    ap.add_argument("--tokenizer-fixture", type=Path,
                    help="accept vocab.json/merges.txt from this folder's .gz copies (the committed fixtures)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    if not args.dir.is_dir():
        print(f"{args.dir}: not a folder; pass the folder optimum-cli exported into", file=sys.stderr)
        return 2
    rep = check(args.dir, args.tokenizer_fixture)
    if args.run and not rep.problems:
        run_graphs(args.dir, rep)
    if args.json:
        print(json.dumps({"ok": not rep.problems, "problems": rep.problems, "facts": rep.facts}, indent=2))
    else:
        for k, v in rep.facts.items():
            print(f"{k}: {v}")
        for p in rep.problems:
            print(f"error: {p}", file=sys.stderr)
        print(f"{args.dir}: {'ok' if not rep.problems else f'{len(rep.problems)} problem(s)'}")
    return 0 if not rep.problems else 1


if __name__ == "__main__":
    sys.exit(main())
