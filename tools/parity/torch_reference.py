"""Runs diffusers' StableDiffusionPipeline on one case and records everything the TS side needs."""

from __future__ import annotations

import copy
import contextlib

_ROUNDED: dict[int, tuple] = {}


def _fp16_rounded(text_encoder, unet, vae):
    """Copies of the modules whose weights are rounded to float16, computed in float32.

    The fp16 variant's graphs hold exactly these weights; running them in float32 gives the ideal
    result that fp16 graphs approximate (torch's CPU float16 kernels are not the reference either).
    """
    key = id(unet)
    if key not in _ROUNDED:
        _ROUNDED[key] = tuple(copy.deepcopy(m).half().float() for m in (text_encoder, unet, vae))
    return _ROUNDED[key]


@contextlib.contextmanager
def record_ancestral_noise(sink: list):
    """Records each noise tensor Euler ancestral draws (diffusers' randn_tensor in its module)."""
    from diffusers.schedulers import scheduling_euler_ancestral_discrete as mod

    original = mod.randn_tensor

    def recording(*args, **kwargs):
        noise = original(*args, **kwargs)
        sink.append(noise.detach().clone())
        return noise

    mod.randn_tensor = recording
    try:
        yield
    finally:
        mod.randn_tensor = original


def run_case(variant, case: dict, text_encoder, unet, vae, tokenizer, height: int, width: int) -> dict:
    import torch

    from export_variant import _pipeline
    from make_fixtures import jsonable_config, make_scheduler, tensor

    if variant.fp16:
        text_encoder, unet, vae = _fp16_rounded(text_encoder, unet, vae)
    scheduler = make_scheduler(case["scheduler"], variant.prediction_type, case.get("timestep_spacing"))
    pipe = _pipeline(text_encoder, unet, vae, tokenizer, scheduler)
    pipe.set_progress_bar_config(disable=True)

    n = case.get("num_images_per_prompt", 1)
    cfg = case["guidance_scale"] > 1.0
    # Explicit initial latents: the TS side uses them as given and needs no torch RNG. The pipeline
    # multiplies them by scheduler.init_noise_sigma before the first step.
    latent_gen = torch.Generator().manual_seed(case["seed"])
    latents = torch.randn((n, 4, height // 8, width // 8), generator=latent_gen, dtype=torch.float32)

    def ids_for(text: str):
        return tokenizer(text, padding="max_length", max_length=tokenizer.model_max_length, truncation=True).input_ids

    input_ids = ids_for(case["prompt"])
    uncond_ids = ids_for(case["negative_prompt"] or "") if cfg else None
    with torch.no_grad():
        prompt_embeds, negative_embeds = pipe.encode_prompt(
            case["prompt"], "cpu", 1, cfg, case["negative_prompt"]
        )

    steps: list = []
    noise: list = []
    # The guided model output handed to scheduler.step at each step: lets the scheduler be tested
    # on its own, with no ONNX graph in the loop.
    model_outputs: list = []
    original_step = scheduler.step

    def recording_step(model_output, *args, **kwargs):
        model_outputs.append(model_output.detach().clone())
        return original_step(model_output, *args, **kwargs)

    scheduler.step = recording_step

    def on_step_end(_pipe, _i, _t, kwargs):
        steps.append(kwargs["latents"].detach().clone())
        return kwargs

    with torch.no_grad(), record_ancestral_noise(noise):
        out = pipe(
            case["prompt"],
            negative_prompt=case["negative_prompt"],
            height=height,
            width=width,
            num_inference_steps=case["num_inference_steps"],
            guidance_scale=case["guidance_scale"],
            num_images_per_prompt=n,
            latents=latents.clone(),
            generator=torch.Generator().manual_seed(case["seed"] + 10_000),
            output_type="pt",
            callback_on_step_end=on_step_end,
        )
    image = out.images
    sched = pipe.scheduler
    sigmas = getattr(sched, "sigmas", None)
    rec = {
        "name": case["name"],
        "prompt": case["prompt"],
        "negative_prompt": case["negative_prompt"],
        "guidance_scale": case["guidance_scale"],
        "num_inference_steps": case["num_inference_steps"],
        "num_images_per_prompt": n,
        "scheduler": case["scheduler"],
        "scheduler_config": jsonable_config(sched.config),
        "seed": case["seed"],
        "input_ids": list(input_ids),
        "uncond_input_ids": list(uncond_ids) if uncond_ids is not None else None,
        "text_embeddings": tensor(prompt_embeds),
        "uncond_embeddings": tensor(negative_embeds) if negative_embeds is not None else None,
        "initial_latents": tensor(latents),
        "init_noise_sigma": float(sched.init_noise_sigma),
        "timesteps": [float(t) for t in sched.timesteps],
        "sigmas": [float(s) for s in sigmas] if sigmas is not None else None,
        "noise_per_step": [tensor(x) for x in noise] if case["scheduler"] == "euler_a" else None,
        "model_output_per_step": [tensor(x) for x in model_outputs],
        "latents_per_step": [tensor(x) for x in steps],
        "image": tensor(image),
    }
    if len(steps) != len(sched.timesteps) or len(model_outputs) != len(steps):
        raise SystemExit(f"{case['name']}: {len(steps)} steps recorded for {len(sched.timesteps)} timesteps")
    return rec
