#!/usr/bin/env python3
"""Reference values for region-guided sampling on the tiny SD fixtures (test/fixtures/sd-tiny-regions).

Dev-only tooling: nothing at run time or in CI runs Python. It
1. rebuilds the tiny pipeline exactly as make_fixtures.py does (same seeds, same configs) and exports
   it again with optimum; the export must be byte-identical to the committed sd-tiny graphs (checked),
   so the VAE encoder written here belongs to the committed decoder;
2. writes (gzip'd) ``vae_encoder-fp32`` and ``vae_encoder-fp16`` (optimum's export of the VAE encoder; the
   sd-tiny variants leave it out because plain rendering never uses it) and ``unet-static-batch2``
   (vpred-fp32's UNet graph with its batch axis fixed to 2, weights still in vpred-fp32's
   model.onnx_data: the shape of exports made for one prompt with guidance, e.g. for DirectML);
3. runs each case with region_reference.py on the torch modules (the reference) and replays it on the
   ONNX graphs with onnxruntime (``onnx_parity``: the floor the TS pipeline can reach), and for DDIM
   with hard masks also runs region_based.py's per-region steps (``self_check``);
4. writes one gzip'd JSON per case in reference/ and summary.json (the decoded image is left out of
   the records: the VAE decoder is the plain path's, held to diffusers by the sd-tiny parity; its
   onnxruntime-vs-torch distance is still in ``onnx_parity``).

Usage: /work/venv/parity/bin/python tools/parity/make_region_fixtures.py   (about 2 minutes on 2 cores)
Requires test/fixtures/sd-tiny and test/fixtures/clip-tokenizer.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_fixtures import (REPO, SD21_SCHEDULER, TOKENIZER_FIXTURE, VAE_CONFIG, build_components,  # noqa: E402
                           jsonable_config, make_scheduler, materialise_tokenizer, tensor)

SD_TINY = REPO / "test" / "fixtures" / "sd-tiny"
OUT = REPO / "test" / "fixtures" / "sd-tiny-regions"
HEIGHT = WIDTH = 64

BACKGROUND = "a red cube to the left of a blue sphere"
NEGATIVE = "blurry, low quality"
CUBE = {"prompt": "a red cube", "box": {"x": 0.05, "y": 0.25, "w": 0.4, "h": 0.5}}
SPHERE = {"prompt": "a blue sphere", "box": {"x": 0.55, "y": 0.2, "w": 0.4, "h": 0.6}}


def cases() -> list[dict]:
    two = [CUBE, SPHERE]
    out = []
    for i, sched in enumerate(("ddim", "euler", "euler_a", "dpmpp_2m")):
        out.append(dict(variant="vpred-fp32", name=f"{sched}-2regions", scheduler=sched, regions=two,
                        guidance_scale=7.5, negative_prompt=NEGATIVE, num_inference_steps=6, bootstrap_steps=2,
                        mask_softness=1.0, seed=700 + i))
    # Hard masks, no guidance, two images, overlapping boxes: region_based.py's own setting.
    out.append(dict(variant="vpred-fp32", name="ddim-hard-g1-batch2-overlap", scheduler="ddim",
                    regions=[CUBE, SPHERE, {"prompt": "a green cone", "box": {"x": 0.3, "y": 0.0, "w": 0.4, "h": 0.5}}],
                    guidance_scale=1.0, negative_prompt=None, num_inference_steps=4, bootstrap_steps=2,
                    mask_softness=0.0, seed=710, batch=2))
    # Hard masks with guidance: the case the self-check compares with per-region DDIM steps.
    out.append(dict(variant="vpred-fp32", name="ddim-hard-g7.5", scheduler="ddim", regions=two,
                    guidance_scale=7.5, negative_prompt=NEGATIVE, num_inference_steps=5, bootstrap_steps=3,
                    mask_softness=0.0, seed=711))
    # Four boxes, two sharing a prompt (three apples), softer masks, all steps bootstrapped but one.
    apples = [{"prompt": "a red apple", "box": {"x": 0.1 + 0.3 * j, "y": 0.55, "w": 0.22, "h": 0.3}} for j in range(3)]
    out.append(dict(variant="vpred-fp32", name="dpmpp_2m-4regions-shared-prompt", scheduler="dpmpp_2m",
                    regions=[{"prompt": "a wooden bowl", "box": {"x": 0.2, "y": 0.1, "w": 0.6, "h": 0.35}}] + apples,
                    guidance_scale=5.0, negative_prompt=None, num_inference_steps=5, bootstrap_steps=4,
                    mask_softness=0.5, seed=712))
    out.append(dict(variant="vpred-fp16", name="euler-2regions", scheduler="euler", regions=two,
                    guidance_scale=7.5, negative_prompt=NEGATIVE, num_inference_steps=4, bootstrap_steps=2,
                    mask_softness=1.0, seed=720))
    out.append(dict(variant="eps-fp32-ts-int64", name="euler_a-2regions", scheduler="euler_a", regions=two,
                    guidance_scale=7.5, negative_prompt=NEGATIVE, num_inference_steps=4, bootstrap_steps=2,
                    mask_softness=1.0, seed=730))
    return out


PREDICTION = {"vpred-fp32": "v_prediction", "vpred-fp16": "v_prediction", "eps-fp32-ts-int64": "epsilon"}


def check_same_weights(raw: Path, raw16: Path) -> None:
    """The rebuilt pipeline must be the committed one: compare graphs byte for byte."""
    pairs = [(raw / "unet" / "model.onnx", SD_TINY / "eps-fp32" / "unet" / "model.onnx"),
             (raw / "vae_decoder" / "model.onnx", SD_TINY / "eps-fp32" / "vae_decoder" / "model.onnx"),
             (raw / "text_encoder" / "model.onnx", SD_TINY / "eps-fp32" / "text_encoder" / "model.onnx"),
             (raw16 / "unet" / "model.onnx", SD_TINY / "vpred-fp16" / "unet" / "model.onnx"),
             (raw16 / "vae_decoder" / "model.onnx", SD_TINY / "vpred-fp16" / "vae_decoder" / "model.onnx")]
    for a, b in pairs:
        if a.read_bytes() != b.read_bytes():
            raise SystemExit(f"rebuilt {a} differs from committed {b}: regenerate sd-tiny first (make_fixtures.py)")


def static_batch_unet(dest: Path) -> None:
    import onnx

    src = SD_TINY / "vpred-fp32" / "unet" / "model.onnx"
    model = onnx.load(str(src), load_external_data=False)
    for value in list(model.graph.input) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        if value.name in ("sample", "encoder_hidden_states", "out_sample"):
            dims[0].Clear()
            dims[0].dim_value = 2
    dest.mkdir(parents=True, exist_ok=True)
    # The initializers keep their external_data entries (location model.onnx_data, offsets): the
    # test puts this graph next to vpred-fp32's model.onnx_data.
    onnx.save_model(model, str(dest / "model.onnx"))


def gzip_file(src: Path, dest: Path) -> None:
    """Graphs are committed gzip'd (a third to a tenth of the size); tests decompress them."""
    dest.write_bytes(gzip.compress(src.read_bytes(), compresslevel=9, mtime=0))


def diff(a, b) -> float:
    return float(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)).max())


def main() -> None:
    import torch

    from export_variant import optimum_export
    from ort_reference import materialised_copy
    from region_reference import OrtBackend, TorchBackend, run_regions
    from torch_reference import _fp16_rounded

    torch.set_num_threads(2)
    work = Path(tempfile.mkdtemp(prefix="sd-tiny-regions-"))
    tok_dir = work / "tokenizer"
    materialise_tokenizer(tok_dir)
    text_encoder, unet, vae, tokenizer, scheduler = build_components(tok_dir)
    raw, raw16 = work / "export", work / "export16"
    optimum_export(text_encoder, unet, vae, tokenizer, scheduler, raw)
    optimum_export(text_encoder, unet, vae, tokenizer, scheduler, raw16, fp16=True)
    check_same_weights(raw, raw16)

    if OUT.exists():
        for sub in ("vae_encoder-fp32", "vae_encoder-fp16", "unet-static-batch2", "reference"):
            shutil.rmtree(OUT / sub, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, src in (("vae_encoder-fp32", raw), ("vae_encoder-fp16", raw16)):
        (OUT / name).mkdir()
        shutil.copy(src / "vae_encoder" / "config.json", OUT / name / "config.json")
        gzip_file(src / "vae_encoder" / "model.onnx", OUT / name / "model.onnx.gz")
    static_batch_unet(work / "unet-static-batch2")
    (OUT / "unet-static-batch2").mkdir()
    gzip_file(work / "unet-static-batch2" / "model.onnx", OUT / "unet-static-batch2" / "model.onnx.gz")
    (OUT / "reference").mkdir()

    summary = {}
    copies: dict[str, Path] = {}
    for case in cases():
        variant = case["variant"]
        fp16 = variant.endswith("fp16")
        if variant not in copies:
            copies[variant] = materialised_copy(SD_TINY / variant, TOKENIZER_FIXTURE)
        rng = np.random.default_rng(case["seed"])
        batch = case.get("batch", 1)
        n = len(case["regions"])
        boot = case["bootstrap_steps"]
        initial = rng.standard_normal((batch, 4, HEIGHT // 8, WIDTH // 8)).astype(np.float32)
        colours = rng.random((boot, 3)).astype(np.float32)
        picks = rng.integers(0, boot, size=(boot, n)) if boot else np.zeros((0, n), dtype=np.int64)
        noise = ([rng.standard_normal(initial.shape).astype(np.float32) for _ in range(case["num_inference_steps"])]
                 if case["scheduler"] == "euler_a" else None)
        spec = dict(case, background=BACKGROUND, colours=colours.tolist(), picks=picks.tolist())

        modules = _fp16_rounded(text_encoder, unet, vae) if fp16 else (text_encoder, unet, vae)
        torch_backend = TorchBackend(*modules, tokenizer)
        sched = make_scheduler(case["scheduler"], PREDICTION[variant], None)
        ref = run_regions(torch_backend, sched, spec, initial, noise)

        encoder = work / ("vae_encoder-fp16.onnx" if fp16 else "vae_encoder-fp32.onnx")
        if not encoder.exists():
            encoder.write_bytes((raw16 if fp16 else raw).joinpath("vae_encoder", "model.onnx").read_bytes())
        ort_backend = OrtBackend(copies[variant], encoder, tokenizer, VAE_CONFIG["scaling_factor"])
        replay = run_regions(ort_backend, make_scheduler(case["scheduler"], PREDICTION[variant], None), spec, initial,
                             noise)
        def worst(key: str) -> float:
            return max(diff(a, b) for a, b in zip(ref[key], replay[key]))

        parity = {
            "latents_max_abs": worst("latents_per_step"),
            "model_output_max_abs": worst("model_output_per_step"),
            "background_latents_max_abs": diff(ref["background_latents"], replay["background_latents"]) if boot else 0.,
            "image_max_abs": diff(ref["image"], replay["image"]),
        }
        self_check = None
        if case["scheduler"] == "ddim" and case["mask_softness"] == 0:
            ddim = make_scheduler("ddim", PREDICTION[variant], None)
            per_region = run_regions(torch_backend, ddim, spec, initial, None, step_mode="latents")
            self_check = max(diff(a, b) for a, b in zip(ref["latents_per_step"], per_region["latents_per_step"]))

        rec = {
            "variant": variant,
            "name": case["name"],
            "background": BACKGROUND,
            "negative_prompt": case["negative_prompt"],
            "regions": case["regions"],
            "guidance_scale": case["guidance_scale"],
            "num_inference_steps": case["num_inference_steps"],
            "num_images_per_prompt": batch,
            "scheduler": case["scheduler"],
            "scheduler_config": jsonable_config(sched.config),
            "bootstrap_steps": boot,
            "mask_softness": case["mask_softness"],
            "height": HEIGHT,
            "width": WIDTH,
            "colours": colours.tolist(),
            "picks": picks.tolist(),
            "initial_latents": tensor(initial),
            "noise_per_step": [tensor(x) for x in noise] if noise else None,
            "timesteps": [float(t) for t in sched.timesteps],
            "masks": tensor(ref["masks"]),
            "weights": tensor(ref["weights"]),
            "background_latents": tensor(ref["background_latents"]),
            "model_output_per_step": [tensor(x) for x in ref["model_output_per_step"]],
            "latents_per_step": [tensor(x) for x in ref["latents_per_step"]],
            "onnx_parity": parity,
            "self_check_per_region_ddim_max_abs": self_check,
        }
        path = OUT / "reference" / f"{variant}.{case['name']}.json.gz"
        payload = (json.dumps(rec, separators=(",", ":"), allow_nan=False) + "\n").encode()
        path.write_bytes(gzip.compress(payload, mtime=0))
        summary[f"{variant}.{case['name']}"] = {**parity, "self_check_per_region_ddim_max_abs": self_check}
        check = f"; per-region DDIM vs blend {self_check:.3g}" if self_check is not None else ""
        print(f"{variant} {case['name']}: onnxruntime vs torch latents {parity['latents_max_abs']:.3g} "
              f"image {parity['image_max_abs']:.3g}{check}", flush=True)
    (OUT / "summary.json").write_text(json.dumps({
        "reference": "tools/parity/region_reference.py on diffusers 0.39 "
                     "(torch float32; fp16: weights rounded to float16)",
        "scheduler_base": {k: v for k, v in SD21_SCHEDULER.items() if not k.startswith("_")},
        "cases": summary,
    }, indent=2) + "\n")
    for d in copies.values():
        shutil.rmtree(d.parent, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
