"""Region-guided sampling (region-based MultiDiffusion) on diffusers: the reference for src/render.

The algorithm, as src/render/pipeline.ts implements it (README "Region guidance" has the prose):
- masks on the latent grid: each region's box blurred by a Gaussian of std ``mask_softness`` latent
  pixels (exact, separable: Phi((c - a) / s) - Phi((c - b) / s) per axis at pixel centres c);
  background mask max(0, 1 - sum); blend weights = masks / max(1, sum of all masks);
- bootstrapping (the first ``bootstrap_steps`` steps): each region's UNet input is its box of the
  current latents over a constant-colour background (the VAE encoding of a flat colour, noised to
  the step's level with the initial noise, as region_based.py does with ``scheduler.add_noise``);
- at every step: the UNet on [background prompt, region prompts] x [negative, prompt], classifier-free
  guidance per region, and the guided predictions blended with the weights; one scheduler step on
  the blend.

Two things differ from omerbt/MultiDiffusion region_based.py, on purpose:
- it blends noise predictions and takes one scheduler step, where region_based.py takes a DDIM step
  per region and blends the stepped latents. For any scheduler whose step is affine in (sample,
  prediction) with coefficients shared by every region (DDIM without clipping, Euler, DPM-Solver++),
  the two agree whenever each region's input equals the latents where its weight is non-zero: always
  after bootstrapping, and during it too with hard masks (``self_check`` below measures that). One
  step on the blend is what lets multistep (DPM++ 2M) and ancestral (Euler a) schedulers keep one
  state and one noise draw per step;
- the constant-colour latent is the posterior mean of a 16x16-latent encode (the centre 2x2 of it),
  not a posterior sample of a full-size encode: deterministic, and one small encoder run per colour.

Backends: ``TorchBackend`` runs the diffusers/transformers modules (the reference);
``OrtBackend`` runs the exported ONNX graphs with onnxruntime (the parity floor).
"""

from __future__ import annotations

import math

import numpy as np

ENCODE_LATENT_SIZE = 16


def _phi(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))


def _axis(n: int, a: float, b: float, sigma: float) -> np.ndarray:
    c = np.arange(n, dtype=np.float64) + 0.5
    if sigma == 0:
        return ((c >= a) & (c < b)).astype(np.float64)
    return _phi((c - a) / sigma) - _phi((c - b) / sigma)


def region_masks(boxes: list[dict], width: int, height: int, sigma: float):
    """Soft masks [N, h, w] and blend weights [N + 1, h, w] (background first), float32."""
    fg = []
    for b in boxes:
        mx = _axis(width, b["x"] * width, (b["x"] + b["w"]) * width, sigma)
        my = _axis(height, b["y"] * height, (b["y"] + b["h"]) * height, sigma)
        fg.append(np.outer(my, mx))
    total = np.sum(fg, axis=0) if fg else np.zeros((height, width))
    bg = np.maximum(0.0, 1.0 - total)
    count = np.maximum(1.0, total + bg)
    weights = [bg / count] + [m / count for m in fg]
    return (np.asarray(fg, dtype=np.float32).reshape(len(fg), height, width),
            np.asarray(weights, dtype=np.float32))


def constant_images(colours: np.ndarray, size: int) -> np.ndarray:
    """K flat images in [-1, 1] (2c - 1), NCHW float32."""
    k = colours.shape[0]
    vals = (2.0 * colours.astype(np.float32) - 1.0).astype(np.float32)
    return np.ascontiguousarray(np.broadcast_to(vals[:, :, None, None], (k, 3, size, size)))


def centre_mean(mean: np.ndarray) -> np.ndarray:
    """[K, C, s, s] -> [K, C]: the mean of the central pixels (2 x 2 for an even side)."""
    s = mean.shape[-1]
    lo, hi = (s - 1) // 2, s // 2
    return mean[:, :, lo:hi + 1, lo:hi + 1].astype(np.float64).mean(axis=(2, 3)).astype(np.float32)


class TorchBackend:
    """diffusers' UNet2DConditionModel and AutoencoderKL, transformers' CLIPTextModel (float32)."""

    def __init__(self, text_encoder, unet, vae, tokenizer):
        self.text_encoder, self.unet, self.vae, self.tokenizer = text_encoder, unet, vae, tokenizer

    def ids(self, text: str) -> list[int]:
        return self.tokenizer(text, padding="max_length", max_length=self.tokenizer.model_max_length,
                              truncation=True).input_ids

    def encode_text(self, text: str) -> np.ndarray:
        import torch

        with torch.no_grad():
            return self.text_encoder(torch.tensor([self.ids(text)]))[0].numpy().astype(np.float32)

    def encode_colours(self, images: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            return self.vae.encode(torch.from_numpy(images)).latent_dist.mean.numpy()

    def unet_run(self, sample: np.ndarray, t, ehs: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            return self.unet(torch.from_numpy(sample), t, encoder_hidden_states=torch.from_numpy(ehs)).sample.numpy()

    def decode(self, latents: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            out = self.vae.decode(torch.from_numpy(latents / self.vae.config.scaling_factor)).sample.numpy()
        return np.clip(out / 2 + 0.5, 0, 1)


class OrtBackend:
    """The same calls on a variant's ONNX graphs (what the TypeScript pipeline runs)."""

    NP = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int64)": np.int64,
          "tensor(int32)": np.int32}

    def __init__(self, model_dir, encoder_file, tokenizer, scaling_factor: float):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        cpu = ["CPUExecutionProvider"]
        self.te = ort.InferenceSession(str(model_dir / "text_encoder" / "model.onnx"), opts, providers=cpu)
        self.un = ort.InferenceSession(str(model_dir / "unet" / "model.onnx"), opts, providers=cpu)
        self.vd = ort.InferenceSession(str(model_dir / "vae_decoder" / "model.onnx"), opts, providers=cpu)
        self.ve = ort.InferenceSession(str(encoder_file), opts, providers=cpu)
        self.tokenizer = tokenizer
        self.scaling_factor = scaling_factor

    def _meta(self, sess, name):
        m = next(i for i in sess.get_inputs() if i.name == name)
        return self.NP[m.type], m.shape

    def ids(self, text: str) -> list[int]:
        return self.tokenizer(text, padding="max_length", max_length=self.tokenizer.model_max_length,
                              truncation=True).input_ids

    def encode_text(self, text: str) -> np.ndarray:
        dt, _ = self._meta(self.te, "input_ids")
        ids = np.asarray([self.ids(text)], dtype=dt)
        return self.te.run(["last_hidden_state"], {"input_ids": ids})[0].astype(np.float32)

    def encode_colours(self, images: np.ndarray) -> np.ndarray:
        dt, _ = self._meta(self.ve, "sample")
        params = self.ve.run(["latent_parameters"], {"sample": images.astype(dt)})[0].astype(np.float32)
        return params[:, : params.shape[1] // 2]

    def unet_run(self, sample: np.ndarray, t, ehs: np.ndarray) -> np.ndarray:
        dt, _ = self._meta(self.un, "sample")
        ts_dt, ts_shape = self._meta(self.un, "timestep")
        ts = np.asarray(float(t)).astype(ts_dt)
        if len(ts_shape) == 1:
            ts = ts.reshape(1)
        return self.un.run(["out_sample"], {"sample": sample.astype(dt), "timestep": ts,
                                            "encoder_hidden_states": ehs.astype(dt)})[0].astype(np.float32)

    def decode(self, latents: np.ndarray) -> np.ndarray:
        dt, _ = self._meta(self.vd, "latent_sample")
        scaled = (latents / self.scaling_factor).astype(dt)
        out = self.vd.run(["sample"], {"latent_sample": scaled})[0].astype(np.float32)
        return np.clip(out / 2 + 0.5, 0, 1)


def run_regions(backend, sched, case: dict, initial_latents: np.ndarray, noise_per_step, step_mode: str = "blend"):
    """Runs one case; returns the per-step records. ``step_mode`` "latents" is region_based.py's
    per-region DDIM step and blend of stepped latents (only for the self-check)."""
    import torch

    from ort_reference import replay_ancestral_noise

    regions = case["regions"]
    n = len(regions)
    batch = initial_latents.shape[0]
    g = case["guidance_scale"]
    cfg = g > 1.0
    lh, lw = initial_latents.shape[2], initial_latents.shape[3]
    masks, weights = region_masks([r["box"] for r in regions], lw, lh, case["mask_softness"])
    boot = case["bootstrap_steps"]

    colours = np.asarray(case["colours"], dtype=np.float32).reshape(-1, 3)
    picks = np.asarray(case["picks"], dtype=np.int64).reshape(boot, n) if boot and n else None
    if boot and n:
        side = ENCODE_LATENT_SIZE * 8
        bg_latents = centre_mean(backend.encode_colours(constant_images(colours, side)))
    else:
        bg_latents = np.zeros((0, initial_latents.shape[1]), dtype=np.float32)

    prompts = [case["background"]] + [r["prompt"] for r in regions]
    cond = np.concatenate([backend.encode_text(p) for p in prompts])  # [P, 77, D]
    uncond = backend.encode_text(case["negative_prompt"] or "") if cfg else None
    P = len(prompts)

    sched.set_timesteps(case["num_inference_steps"])
    init = torch.from_numpy(initial_latents.copy())
    latents = init * sched.init_noise_sigma
    # Weights and masks broadcast over batch and channels.
    W = torch.from_numpy(weights)[:, None, None]  # [P, 1, 1, h, w]
    M = torch.from_numpy(masks)[:, None, None] if n else None  # [N, 1, 1, h, w]
    outs, steps = [], []
    with torch.no_grad(), replay_ancestral_noise(noise_per_step or []):
        for i, t in enumerate(sched.timesteps):
            views = [latents]  # per prompt: [B, C, h, w]
            for k in range(n):
                if i < boot:
                    bg = torch.from_numpy(bg_latents[picks[i, k]])[None, :, None, None].expand_as(latents).contiguous()
                    noisy = sched.add_noise(bg, init, t.reshape(1))
                    views.append(latents * M[k] + noisy * (1 - M[k]))
                else:
                    views.append(latents)
            x = torch.stack(views)  # [P, B, C, h, w]
            model_in = sched.scale_model_input(x.reshape(P * batch, *latents.shape[1:]), t)
            ehs = np.repeat(cond, batch, axis=0)  # prompt-major, image-minor
            if cfg:
                model_in = torch.cat([model_in, model_in])
                ehs = np.concatenate([np.repeat(uncond, P * batch, axis=0), ehs])
            pred = torch.from_numpy(backend.unet_run(model_in.numpy(), t, ehs.astype(np.float32)))
            if cfg:
                u, c = pred.chunk(2)
                pred = u + g * (c - u)
            pred = pred.reshape(P, batch, *latents.shape[1:])
            if step_mode == "blend":
                blended = (W * pred).sum(0)
                outs.append(blended.clone())
                latents = sched.step(blended, t, latents, return_dict=False)[0]
            else:
                stepped = torch.stack([sched.step(pred[j], t, x[j], return_dict=False)[0] for j in range(P)])
                latents = (W * stepped).sum(0)
            steps.append(latents.clone())
    image = backend.decode(latents.numpy())
    return {
        "masks": masks,
        "weights": weights,
        "background_latents": bg_latents,
        "model_output_per_step": [o.numpy() for o in outs],
        "latents_per_step": [s.numpy() for s in steps],
        "image": image,
        "prompt_embeddings": cond,
    }
