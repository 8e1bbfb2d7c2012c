#!/usr/bin/env python3
"""Tiny random-weight Stable Diffusion 2.x pipelines, exported to ONNX, with diffusers' outputs.

Dev-only tooling: nothing at run time or in CI runs Python. The outputs are committed under
test/fixtures/sd-tiny/<variant>/ and the TypeScript pipeline (src/render) is tested against them.

Per variant it
1. builds a tiny SD 2.x pipeline with diffusers/transformers from small configs (fixed torch seed,
   SD 2.1's scheduler config, the real CLIP tokenizer from test/fixtures/clip-tokenizer),
2. exports it with optimum (`optimum.exporters.onnx.main_export`, task text-to-image: the same code
   path as `optimum-cli export onnx --task text-to-image`; fp16 from the pipeline cast to float16,
   as the CLI's --dtype fp16 does) and post-processes the export into the variant (the other
   timestep dtype, external data; see export_variant.py and README.md),
3. runs diffusers' StableDiffusionPipeline (the reference) on fixed prompts, seeds and explicit
   initial latents for DDIM, Euler, Euler ancestral and DPM-Solver++ 2M and records token ids, text
   embeddings, timesteps, sigmas, Euler-ancestral noise, latents after each step and the image,
4. replays every case on the exported ONNX graphs with onnxruntime (ort_reference.py, the same
   scheduler objects) and records how far that lands from the torch reference: that is the floor
   the TypeScript pipeline can reach, and tolerances in its tests are set from it.

Usage: .venv/bin/python tools/parity/make_fixtures.py [--out test/fixtures/sd-tiny] [--only NAME]
Requires test/fixtures/clip-tokenizer (make_tokenizer_reference.py) to exist.
"""

from __future__ import annotations

import argparse
import base64
import copy
import gzip
import json
import math
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
TOKENIZER_FIXTURE = REPO / "test" / "fixtures" / "clip-tokenizer"
HEIGHT = WIDTH = 64
WEIGHT_SEED = 0

# Stable Diffusion 2.1's scheduler/scheduler_config.json (stabilityai/stable-diffusion-2-1).
SD21_SCHEDULER = {
    "_class_name": "DDIMScheduler",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "prediction_type": "v_prediction",
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
}

# Small configs with SD 2.1's structure: OpenCLIP-style text encoder (gelu, legacy eos id 2 so the
# pooled output takes the argmax token like SD 2.1's), SD2 UNet (linear projections, head counts
# given as attention_head_dim as in SD 2.1's config), 4-block VAE so the latent is 1/8 the image.
TEXT_CONFIG = dict(
    vocab_size=49408,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    max_position_embeddings=77,
    hidden_act="gelu",
    layer_norm_eps=1e-5,
    bos_token_id=0,
    eos_token_id=2,
    pad_token_id=1,
    projection_dim=32,
)
# Rows of the hashed token table (prime, so consecutive ids spread): see HashedEmbedding.
TOKEN_TABLE_ROWS = 1021
UNET_CONFIG = dict(
    sample_size=8,
    in_channels=4,
    out_channels=4,
    # Channels far below SD's (320, 640, 1280, 1280) keep each UNet file well under 1 MB.
    block_out_channels=(8, 16),
    layers_per_block=1,
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
    cross_attention_dim=32,
    attention_head_dim=(2, 4),
    use_linear_projection=True,
    norm_num_groups=4,
    flip_sin_to_cos=True,
    freq_shift=0,
)
VAE_CONFIG = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    block_out_channels=(8, 8, 16, 16),
    layers_per_block=1,
    latent_channels=4,
    norm_num_groups=8,
    sample_size=64,
    scaling_factor=0.18215,
)


@dataclass
class Variant:
    name: str
    prediction_type: str
    fp16: bool = False
    # "optimum": leave the timestep input as optimum exports it; "int64"/"float32": force that dtype.
    timestep: str = "optimum"
    external_data: bool = False
    # "full": every scheduler x guidance + other spacings + batch 2; "core": every scheduler x
    # guidance; "short": three cases (fp16 and the timestep-dtype variant).
    cases: str = "full"
    notes: list[str] = field(default_factory=list)


VARIANTS = [
    Variant("vpred-fp32", "v_prediction", external_data=True),
    Variant("eps-fp32", "epsilon", cases="core"),
    Variant("vpred-fp16", "v_prediction", fp16=True, cases="short"),
    # The name's suffix is filled in once optimum's default timestep dtype is known (see main()).
    Variant("eps-fp32-ts-other", "epsilon", timestep="other", cases="short"),
]

PROMPT_A = "a red cube to the left of a blue sphere"
PROMPT_B = "A photo of a cat sitting above a wooden table, high detail!"
NEGATIVE = "blurry, low quality"
SCHEDULERS = ("ddim", "euler", "euler_a", "dpmpp_2m")


def case_list(kind: str) -> list[dict]:
    cases: list[dict] = []
    if kind in ("full", "core"):
        for i, sched in enumerate(SCHEDULERS):
            cases.append(
                dict(name=f"{sched}-g1", prompt=PROMPT_A, negative_prompt=None, guidance_scale=1.0,
                     num_inference_steps=4, scheduler=sched, seed=100 + i)
            )
            cases.append(
                dict(name=f"{sched}-g7.5-neg", prompt=PROMPT_B, negative_prompt=NEGATIVE, guidance_scale=7.5,
                     num_inference_steps=5, scheduler=sched, seed=200 + i)
            )
    if kind == "full":
        for i, (sched, spacing) in enumerate(
            [("ddim", "trailing"), ("euler", "linspace"), ("euler_a", "trailing"), ("dpmpp_2m", "trailing")]
        ):
            cases.append(
                dict(name=f"{sched}-{spacing}-g7.5", prompt=PROMPT_A, negative_prompt=None, guidance_scale=7.5,
                     num_inference_steps=6, scheduler=sched, seed=300 + i, timestep_spacing=spacing)
            )
        cases.append(
            dict(name="ddim-g7.5-batch2", prompt=PROMPT_A, negative_prompt=NEGATIVE, guidance_scale=7.5,
                 num_inference_steps=4, scheduler="ddim", seed=400, num_images_per_prompt=2)
        )
    if kind == "short":
        cases.append(
            dict(name="euler-g7.5-neg", prompt=PROMPT_B, negative_prompt=NEGATIVE, guidance_scale=7.5,
                 num_inference_steps=4, scheduler="euler", seed=500)
        )
        cases.append(
            dict(name="dpmpp_2m-g1", prompt=PROMPT_A, negative_prompt=None, guidance_scale=1.0,
                 num_inference_steps=4, scheduler="dpmpp_2m", seed=501)
        )
        cases.append(
            dict(name="euler-linspace-g7.5", prompt=PROMPT_A, negative_prompt=None, guidance_scale=7.5,
                 num_inference_steps=4, scheduler="euler", seed=502, timestep_spacing="linspace")
        )
    return cases


def tensor(t) -> dict:
    """A tensor as committed: shape, dtype and base64 of little-endian float32 bytes."""
    arr = np.ascontiguousarray(np.asarray(t.detach().cpu().float().numpy() if hasattr(t, "detach") else t,
                                          dtype="<f4"))
    return {"shape": list(arr.shape), "dtype": "float32", "b64": base64.b64encode(arr.tobytes()).decode("ascii")}


def untensor(d: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(d["b64"]), dtype="<f4").reshape(d["shape"])


def make_scheduler(name: str, prediction_type: str, spacing: str | None):
    from diffusers import (DDIMScheduler, DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler,
                           EulerDiscreteScheduler)

    base = {k: v for k, v in SD21_SCHEDULER.items() if not k.startswith("_")}
    base["prediction_type"] = prediction_type
    # SD 2.1's file has no timestep_spacing, but the exported scheduler_config.json spells out
    # DDIM's default "leading"; every scheduler is built from that file's values, as the TS side is.
    base["timestep_spacing"] = spacing or "leading"
    if name == "ddim":
        return DDIMScheduler.from_config(base)
    if name == "euler":
        return EulerDiscreteScheduler.from_config(base)
    if name == "euler_a":
        return EulerAncestralDiscreteScheduler.from_config(base)
    if name == "dpmpp_2m":
        return DPMSolverMultistepScheduler.from_config(base, algorithm_type="dpmsolver++", solver_order=2)
    raise ValueError(name)


def jsonable_config(config) -> dict:
    out = {}
    for k, v in dict(config).items():
        if k == "_use_default_values":
            continue  # every value below is resolved; which ones were defaults does not matter

        if isinstance(v, tuple):
            v = list(v)
        if isinstance(v, float) and not math.isfinite(v):
            # JSON has no infinities (DPM-Solver's lambda_min_clipped is -inf: "no clipping").
            v = "-Infinity" if v < 0 else ("Infinity" if v > 0 else "NaN")
        out[k] = v
    return out


def build_components(tokenizer_dir: Path):
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    class HashedEmbedding(torch.nn.Module):
        """Token embedding looked up at ``id % rows``.

        A full 49408 x 32 table is 6.3 MB per variant; this keeps every real token id valid (the
        vocabulary is the real one) at 1/48 the size. The graph's inputs and outputs are unchanged.
        """

        def __init__(self, rows: int, dim: int):
            super().__init__()
            self.rows = rows
            self.weight = torch.nn.Parameter(torch.randn(rows, dim) * 0.5)

        def forward(self, input_ids):
            return self.weight[torch.remainder(input_ids, self.rows)]

    torch.manual_seed(WEIGHT_SEED)
    text_encoder = CLIPTextModel(CLIPTextConfig(**TEXT_CONFIG)).eval()
    text_encoder.text_model.embeddings.token_embedding = HashedEmbedding(TOKEN_TABLE_ROWS, TEXT_CONFIG["hidden_size"])
    unet = UNet2DConditionModel(**UNET_CONFIG).eval()
    vae = AutoencoderKL(**VAE_CONFIG).eval()
    # diffusers' default init leaves the UNet output conv at zero-ish scale only in some versions;
    # perturb every parameter a little so no output is trivially zero and every path is exercised.
    g = torch.Generator().manual_seed(WEIGHT_SEED + 1)
    with torch.no_grad():
        for module in (unet, vae):
            for p in module.parameters():
                p.add_(torch.randn(p.shape, generator=g) * 0.02)
    tokenizer = CLIPTokenizer.from_pretrained(tokenizer_dir)
    scheduler = DDIMScheduler.from_config({k: v for k, v in SD21_SCHEDULER.items() if not k.startswith("_")})
    return text_encoder, unet, vae, tokenizer, scheduler


def materialise_tokenizer(dest: Path) -> None:
    """Decompresses the committed tokenizer fixture into an HF tokenizer folder."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("vocab.json", "merges.txt"):
        src = TOKENIZER_FIXTURE / f"{name}.gz"
        if not src.exists():
            raise SystemExit(f"{src}: missing; run tools/parity/make_tokenizer_reference.py first")
        (dest / name).write_bytes(gzip.decompress(src.read_bytes()))
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(TOKENIZER_FIXTURE / name, dest / name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "test" / "fixtures" / "sd-tiny")
    ap.add_argument("--only", action="append", help="variant name(s) to build (default: all)")
    ap.add_argument("--keep", type=Path, help="keep the intermediate torch pipeline and raw export here")
    args = ap.parse_args()

    import torch

    from export_variant import export_variant, optimum_export
    import check_export
    from ort_reference import materialised_copy, replay_case
    from torch_reference import run_case

    torch.set_num_threads(2)
    work = Path(tempfile.mkdtemp(prefix="sd-tiny-")) if not args.keep else args.keep
    work.mkdir(parents=True, exist_ok=True)
    tok_dir = work / "tokenizer"
    materialise_tokenizer(tok_dir)

    text_encoder, unet, vae, tokenizer, scheduler = build_components(tok_dir)
    raw_export = work / "optimum-export"
    default_ts = optimum_export(text_encoder, unet, vae, tokenizer, scheduler, raw_export)
    raw_export_fp16 = work / "optimum-export-fp16"
    fp16_ts = optimum_export(text_encoder, unet, vae, tokenizer, scheduler, raw_export_fp16, fp16=True)
    print(f"optimum's fp16 export has a {fp16_ts} timestep", flush=True)
    other_ts = "float32" if default_ts == "int64" else "int64"
    print(f"optimum exports the UNet timestep as {default_ts}", flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for variant in VARIANTS:
        v = copy.deepcopy(variant)
        if v.timestep == "other":
            v.timestep = other_ts
            v.name = v.name.replace("ts-other", "ts-float" if other_ts == "float32" else "ts-int64")
        if args.only and v.name not in args.only:
            continue
        dest = args.out / v.name
        if dest.exists():
            shutil.rmtree(dest)
        print(f"== {v.name}", flush=True)
        info = export_variant(v, raw_export_fp16 if v.fp16 else raw_export, dest, fp16_ts if v.fp16 else default_ts)
        cases = []
        for case in case_list(v.cases):
            rec = run_case(v, case, text_encoder, unet, vae, tokenizer, HEIGHT, WIDTH)
            parity = replay_case(dest, tok_dir, rec, case)
            rec["onnx_parity"] = parity
            print(f"  {case['name']}: onnxruntime vs torch max |d| latents {parity['latents_max_abs']:.3g} "
                  f"image {parity['image_max_abs']:.3g}", flush=True)
            cases.append(rec)
        reference = {
            "variant": v.name,
            "prediction_type": v.prediction_type,
            "height": HEIGHT,
            "width": WIDTH,
            "dtype": "float16" if v.fp16 else "float32",
            "unet_timestep_dtype": info["timestep_dtype"],
            "text_encoder_input_ids_dtype": info["input_ids_dtype"],
            "external_data": v.external_data,
            "vae_scaling_factor": VAE_CONFIG["scaling_factor"],
            "reference": (
                "diffusers StableDiffusionPipeline (torch, float32"
                + (", weights rounded to float16 like the graphs" if v.fp16 else "")
                + "); onnx_parity = onnxruntime replay of the same case on this folder's graphs"
            ),
            "cases": cases,
        }
        (dest / "reference.json").write_text(json.dumps(reference, separators=(",", ":"), allow_nan=False) + "\n")
        # The export checker users run on the real model must accept every fixture (as committed,
        # and runnable once the tokenizer files are in place).
        rep = check_export.check(dest, TOKENIZER_FIXTURE)
        copy_dir = materialised_copy(dest, TOKENIZER_FIXTURE)
        full = check_export.check(copy_dir)
        check_export.run_graphs(copy_dir, full)
        shutil.rmtree(copy_dir.parent, ignore_errors=True)
        if rep.problems or full.problems:
            raise SystemExit(f"check_export rejects {dest}: {rep.problems + full.problems}")
        print(f"  check_export: ok ({full.facts['timestep']}, {full.facts['run']})", flush=True)
        summary[v.name] = {
            "timestep": info["timestep_dtype"],
            "cases": len(cases),
            "worst_latents": max(c["onnx_parity"]["latents_max_abs"] for c in cases),
            "worst_image": max(c["onnx_parity"]["image_max_abs"] for c in cases),
        }
    print(json.dumps(summary, indent=2))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
