"""Replays a recorded case on a variant's ONNX graphs with onnxruntime.

This is the Stable Diffusion loop written out step by step against the exported graphs, with
diffusers' scheduler objects: what the TypeScript pipeline does. Its distance from the torch
reference (recorded as ``onnx_parity``) is the error that the export itself introduces, so the
TypeScript tests can set tolerances from it instead of guessing.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import tempfile
from pathlib import Path

import numpy as np

NP_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64,
             "tensor(int32)": np.int32}

_SESSIONS: dict[str, tuple] = {}


def _sessions(model_dir: Path):
    import onnxruntime as ort

    key = str(model_dir)
    if key not in _SESSIONS:
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        _SESSIONS[key] = tuple(
            ort.InferenceSession(str(model_dir / part / "model.onnx"), opts, providers=["CPUExecutionProvider"])
            for part in ("text_encoder", "unet", "vae_decoder")
        )
    return _SESSIONS[key]


def _input(sess, name):
    meta = next(i for i in sess.get_inputs() if i.name == name)
    return NP_DTYPES[meta.type], meta.shape


@contextlib.contextmanager
def replay_ancestral_noise(noise: list[np.ndarray]):
    """Makes Euler ancestral use the recorded noise, in order, instead of drawing new noise."""
    import torch
    from diffusers.schedulers import scheduling_euler_ancestral_discrete as mod

    original = mod.randn_tensor
    queue = list(noise)

    def replay(shape, *args, **kwargs):
        arr = queue.pop(0)
        if tuple(arr.shape) != tuple(shape):
            raise AssertionError(f"recorded noise {arr.shape} != requested {shape}")
        return torch.from_numpy(arr.copy())

    mod.randn_tensor = replay
    try:
        yield
    finally:
        mod.randn_tensor = original
    if queue:
        raise AssertionError(f"{len(queue)} recorded noise tensors were not used")


def replay_case(model_dir: Path, tokenizer_dir: Path, rec: dict, case: dict) -> dict:
    import torch

    from make_fixtures import VAE_CONFIG, make_scheduler, untensor

    te, unet, vae = _sessions(model_dir)
    ids_dtype, _ = _input(te, "input_ids")
    sample_dtype, _ = _input(unet, "sample")
    ts_dtype, ts_shape = _input(unet, "timestep")
    latent_dtype, _ = _input(vae, "latent_sample")

    def encode(ids):
        out = te.run(["last_hidden_state"], {"input_ids": np.asarray([ids], dtype=ids_dtype)})[0]
        return out.astype(np.float32)

    n = rec["num_images_per_prompt"]
    cfg = rec["guidance_scale"] > 1.0
    text = encode(rec["input_ids"])
    text_err = float(np.abs(text - untensor(rec["text_embeddings"])).max())
    cond = np.repeat(text, n, axis=0)
    if cfg:
        uncond = encode(rec["uncond_input_ids"])
        # diffusers concatenates [unconditional, conditional] and chunks the UNet output the same way.
        cond = np.concatenate([np.repeat(uncond, n, axis=0), cond], axis=0)

    # prediction_type comes from the recorded scheduler config (the variant's).
    sched = make_scheduler(rec["scheduler"], rec["scheduler_config"]["prediction_type"],
                           rec["scheduler_config"].get("timestep_spacing"))
    sched.set_timesteps(rec["num_inference_steps"])
    latents = torch.from_numpy(untensor(rec["initial_latents"]).copy()) * sched.init_noise_sigma
    noise = [untensor(x) for x in rec["noise_per_step"]] if rec["noise_per_step"] else []
    worst = 0.0
    with replay_ancestral_noise(noise), torch.no_grad():
        for i, t in enumerate(sched.timesteps):
            model_in = torch.cat([latents] * 2) if cfg else latents
            model_in = sched.scale_model_input(model_in, t)
            # Rank 0 or [1] and float or int64, as the graph declares. A float timestep is cast to
            # int64 by truncation (numpy astype), as diffusers' own ONNX pipeline does.
            ts = np.asarray(float(t)).astype(ts_dtype)
            if len(ts_shape) == 1:
                ts = ts.reshape(1)
            out = unet.run(["out_sample"], {
                "sample": model_in.numpy().astype(sample_dtype),
                "timestep": ts,
                "encoder_hidden_states": cond.astype(sample_dtype),
            })[0].astype(np.float32)
            pred = torch.from_numpy(out)
            if cfg:
                u, c = pred.chunk(2)
                pred = u + rec["guidance_scale"] * (c - u)
            latents = sched.step(pred, t, latents, return_dict=False)[0]
            worst = max(worst, float((latents - torch.from_numpy(untensor(rec["latents_per_step"][i]))).abs().max()))
    scaled = (latents.numpy() / VAE_CONFIG["scaling_factor"]).astype(latent_dtype)
    decoded = vae.run(["sample"], {"latent_sample": scaled})[0]
    image = np.clip(decoded.astype(np.float32) / 2 + 0.5, 0, 1)
    return {
        "text_embeddings_max_abs": text_err,
        "latents_max_abs": worst,
        "image_max_abs": float(np.abs(image - untensor(rec["image"])).max()),
    }


def materialised_copy(model_dir: Path, tokenizer_fixture: Path) -> Path:
    """A temporary copy of a variant with the tokenizer files decompressed (what tests do)."""
    tmp = Path(tempfile.mkdtemp(prefix="sd-tiny-copy-"))
    dest = tmp / model_dir.name
    shutil.copytree(model_dir, dest)
    for name in ("vocab.json", "merges.txt"):
        (dest / "tokenizer" / name).write_bytes(gzip.decompress((tokenizer_fixture / f"{name}.gz").read_bytes()))
    return dest
