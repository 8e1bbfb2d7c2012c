#!/usr/bin/env python3
"""A full-size Stable Diffusion 2.1 pipeline with random weights, saved for diffusers and exported
to ONNX with optimum: the model `npm run bench:render -- --model DIR --compare` measures.

Dev-only and never committed: it is generated on demand into a cache folder outside the repo
(default /work/cache/sd21-random, about 10.5 GB):
- OUT/diffusers: the pipeline as `StableDiffusionPipeline.save_pretrained` writes it (safetensors),
  what diffusers' PyTorch pipeline loads in the comparison,
- OUT/onnx: optimum's export of the same weights (`onnx_export_from_model`, task text-to-image,
  what `optimum-cli export onnx` runs), the folder our pipeline and optimum's
  ORTStableDiffusionPipeline load,
- OUT/manifest.json: parameter counts, library versions, what was checked.

The architecture is SD 2.1's, from the published configs of stabilityai/stable-diffusion-2-1
(the Hub is not needed): UNet 865,910,724 parameters, OpenCLIP ViT-H text encoder (23 layers,
1024 hidden) 340,387,840, VAE 83,653,863; the counts are checked before anything is written.
Speed and memory do not depend on the weights' values, only on the shapes and the graphs, so the
random-weight export costs what the real one costs; the images are noise.

Usage: make_real_model.py [--out DIR] [--seed N] [--force]
Needs about 14 GB of free memory while optimum traces the UNet (the script refuses below 12 GiB).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOKENIZER_FIXTURE = REPO / "test" / "fixtures" / "clip-tokenizer"
sys.path.insert(0, str(Path(__file__).resolve().parent))

# stabilityai/stable-diffusion-2-1 unet/config.json (diffusers names; defaults spelt out).
UNET_CONFIG = dict(
    sample_size=96,
    in_channels=4,
    out_channels=4,
    center_input_sample=False,
    flip_sin_to_cos=True,
    freq_shift=0,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(320, 640, 1280, 1280),
    layers_per_block=2,
    downsample_padding=1,
    mid_block_scale_factor=1,
    act_fn="silu",
    norm_num_groups=32,
    norm_eps=1e-5,
    cross_attention_dim=1024,
    attention_head_dim=(5, 10, 20, 20),
    dual_cross_attention=False,
    use_linear_projection=True,
    upcast_attention=True,
    only_cross_attention=False,
    num_class_embeds=None,
)
# stabilityai/stable-diffusion-2-1 text_encoder/config.json (OpenCLIP ViT-H/14's text tower, the
# penultimate layer: 23 of its 24 layers).
TEXT_CONFIG = dict(
    vocab_size=49408,
    hidden_size=1024,
    intermediate_size=4096,
    num_hidden_layers=23,
    num_attention_heads=16,
    max_position_embeddings=77,
    hidden_act="gelu",
    layer_norm_eps=1e-5,
    attention_dropout=0.0,
    dropout=0.0,
    initializer_factor=1.0,
    initializer_range=0.02,
    bos_token_id=0,
    eos_token_id=2,
    pad_token_id=1,
    projection_dim=512,
)
# stabilityai/stable-diffusion-2-1 vae/config.json.
VAE_CONFIG = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=("DownEncoderBlock2D",) * 4,
    up_block_types=("UpDecoderBlock2D",) * 4,
    block_out_channels=(128, 256, 512, 512),
    layers_per_block=2,
    act_fn="silu",
    latent_channels=4,
    norm_num_groups=32,
    sample_size=768,
    scaling_factor=0.18215,
)
# stabilityai/stable-diffusion-2-1 scheduler/scheduler_config.json.
SCHEDULER_CONFIG = dict(
    beta_end=0.012,
    beta_schedule="scaled_linear",
    beta_start=0.00085,
    clip_sample=False,
    num_train_timesteps=1000,
    prediction_type="v_prediction",
    set_alpha_to_one=False,
    skip_prk_steps=True,
    steps_offset=1,
    trained_betas=None,
)
# The published models' parameter counts: a config mistake shows up here, before a 20-minute export.
EXPECTED_PARAMS = {"unet": 865_910_724, "text_encoder": 340_387_840, "vae": 83_653_863}


def available_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 2**20
    return float("inf")


def tokenizer_dir(tmp: Path) -> Path:
    """SD 2.1's tokenizer files: the committed CLIP BPE (gzipped once in the fixtures) and configs."""
    out = tmp / "tokenizer"
    out.mkdir()
    for name in ("vocab.json", "merges.txt"):
        (out / name).write_bytes(gzip.decompress((TOKENIZER_FIXTURE / f"{name}.gz").read_bytes()))
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(TOKENIZER_FIXTURE / name, out / name)
    return out


def build(seed: int, tok: Path):
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    with torch.no_grad():
        unet = UNet2DConditionModel(**UNET_CONFIG).eval()
        text_encoder = CLIPTextModel(CLIPTextConfig(**TEXT_CONFIG)).eval()
        vae = AutoencoderKL(**VAE_CONFIG).eval()
    counts = {name: sum(p.numel() for p in m.parameters()) for name, m in
              (("unet", unet), ("text_encoder", text_encoder), ("vae", vae))}
    for name, want in EXPECTED_PARAMS.items():
        if counts[name] != want:
            raise SystemExit(f"{name}: {counts[name]:,} parameters, SD 2.1's has {want:,}: the config above is wrong")
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=CLIPTokenizer.from_pretrained(tok),
        unet=unet,
        scheduler=DDIMScheduler.from_config(SCHEDULER_CONFIG),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    return pipe, counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("/work/cache/sd21-random"))
    ap.add_argument("--seed", type=int, default=0, help="torch seed of the random weights")
    ap.add_argument("--force", action="store_true", help="rebuild even when OUT/manifest.json exists")
    args = ap.parse_args(argv)
    out: Path = args.out.resolve()
    if out.is_relative_to(REPO):
        print(f"{out}: inside the repository; the export is 10 GB and never committed: pick a cache folder outside it",
              file=sys.stderr)
        return 2
    if (out / "manifest.json").is_file() and not args.force:
        print(f"{out}: already built (manifest.json); --force rebuilds")
        return 0
    if available_gib() < 12:
        print(f"only {available_gib():.1f} GiB of memory available; tracing the full UNet needs about 14 GB: "
              "retry later", file=sys.stderr)
        return 1

    import diffusers
    import onnxruntime
    import optimum.version
    import torch
    import transformers
    from optimum.exporters.onnx import onnx_export_from_model

    from check_export import check

    torch.set_num_threads(2)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        pipe, counts = build(args.seed, tokenizer_dir(Path(tmp)))
        timings["build_s"] = time.perf_counter() - t
        print(f"built: {', '.join(f'{k} {v:,}' for k, v in counts.items())} parameters ({timings['build_s']:.0f} s)",
              flush=True)

        t = time.perf_counter()
        staging = out / "diffusers.partial"
        shutil.rmtree(staging, ignore_errors=True)
        pipe.save_pretrained(staging, safe_serialization=True)
        shutil.rmtree(out / "diffusers", ignore_errors=True)
        staging.rename(out / "diffusers")
        timings["save_s"] = time.perf_counter() - t
        print(f"saved {out / 'diffusers'} ({timings['save_s']:.0f} s)", flush=True)

        t = time.perf_counter()
        staging = out / "onnx.partial"
        shutil.rmtree(staging, ignore_errors=True)
        # optimum's own validation runs torch and onnxruntime side by side on the full UNet (another
        # 10 GB); check_export below runs every graph instead.
        with torch.no_grad():
            onnx_export_from_model(pipe, staging, task="text-to-image", device="cpu", do_validation=False)
        timings["export_s"] = time.perf_counter() - t
        print(f"exported ({timings['export_s']:.0f} s)", flush=True)
    del pipe

    # onnx writes external data files readable by their owner only (0600): left as they are, the
    # export check must say so (see export_real_model.md). Fixed here once it has.
    data = staging / "unet" / "model.onnx_data"
    owner_only = data.is_file() and data.stat().st_mode & 0o044 == 0
    rep = check(staging)
    flagged = [p for p in rep.problems if "model.onnx_data" in p and "chmod" in p]
    if owner_only and not flagged:
        print("check_export did not flag the owner-only model.onnx_data", file=sys.stderr)
        return 1
    for f in staging.rglob("*"):
        if f.is_file():
            f.chmod(0o644)
    rep = check(staging)
    if rep.problems:
        for p in rep.problems:
            print(f"error: {p}", file=sys.stderr)
        return 1
    shutil.rmtree(out / "onnx", ignore_errors=True)
    staging.rename(out / "onnx")

    manifest = {
        "parameters": counts,
        "configs": {"unet": UNET_CONFIG, "text_encoder": TEXT_CONFIG, "vae": VAE_CONFIG, "scheduler": SCHEDULER_CONFIG},
        "seed": args.seed,
        "versions": {"torch": torch.__version__, "diffusers": diffusers.__version__,
                     "transformers": transformers.__version__, "optimum": optimum.version.__version__,
                     "onnxruntime": onnxruntime.__version__},
        "onnx_data_was_owner_only": owner_only,
        "timings": timings,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=list) + "\n")
    print(f"{out}: diffusers/ and onnx/ ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
