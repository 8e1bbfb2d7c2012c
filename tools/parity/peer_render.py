#!/usr/bin/env python3
"""One timed text-to-image render by a peer pipeline, for `bench:render --compare`.

Runners, each in its own process (so each peak RSS is that pipeline's alone):
- ``optimum``: optimum's ORTStableDiffusionPipeline on the ONNX export (onnxruntime, CPU provider,
  the given intra-op threads),
- ``diffusers``: diffusers' StableDiffusionPipeline (PyTorch, fp32) on the same weights saved with
  save_pretrained (make_real_model.py writes both).

Prints one JSON object on stdout: load_s (from_pretrained), text_s (encode_prompt), step_s (each
denoising step, from diffusers' step-end callback), denoise_s, vae_s (vae.decode), total_s
(the pipeline call), peak_rss_bytes (the kernel's high-water mark of the process: ru_maxrss),
phase_peak_rss_bytes (the high-water mark of each phase, reset between phases through
/proc/self/clear_refs where the kernel allows it; resetting it resets ru_maxrss too, so the whole
run's peak is the largest phase peak), versions.

Dev-only: nothing at run time or in CI runs it.
Usage: peer_render.py --runner optimum|diffusers --model DIR [--steps 4] [--size 512x512]
       [--guidance 7.5] [--threads 2] [--seed 1] [--scheduler ddim] [--prompt TEXT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path


class Hwm:
    """The process's peak RSS per phase: VmHWM read, then reset (Linux 4.0+, own process)."""

    def __init__(self) -> None:
        self.phases: dict[str, int] = {}
        self.can_reset = self._reset()

    @staticmethod
    def _hwm() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    @staticmethod
    def _reset() -> bool:
        try:
            Path("/proc/self/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def mark(self, phase: str) -> None:
        self.phases[phase] = max(self.phases.get(phase, 0), self._hwm())
        self._reset()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runner", choices=("optimum", "diffusers"), required=True)
    ap.add_argument("--model", type=Path, required=True,
                    help="optimum: the ONNX export folder; diffusers: the save_pretrained folder")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--size", default="512x512")
    ap.add_argument("--guidance", type=float, default=7.5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scheduler", choices=("ddim",), default="ddim",
                    help="the model's own DDIM scheduler (the only one compared)")
    ap.add_argument("--prompt", default="a red cube to the left of a blue sphere")
    args = ap.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    # Both runtimes read these at import; set before importing torch or onnxruntime.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    hwm = Hwm()

    import torch

    torch.set_num_threads(args.threads)
    versions = {"torch": torch.__version__}
    t0 = time.perf_counter()
    if args.runner == "optimum":
        import onnxruntime as ort
        from optimum.onnxruntime import ORTStableDiffusionPipeline

        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        pipe = ORTStableDiffusionPipeline.from_pretrained(args.model, provider="CPUExecutionProvider",
                                                          session_options=so)
        versions["onnxruntime"] = ort.__version__
        import optimum.version

        versions["optimum"] = optimum.version.__version__
    else:
        from diffusers import StableDiffusionPipeline

        pipe = StableDiffusionPipeline.from_pretrained(args.model, torch_dtype=torch.float32)
        pipe.set_progress_bar_config(disable=True)
    import diffusers

    versions["diffusers"] = diffusers.__version__
    pipe.set_progress_bar_config(disable=True)
    load_s = time.perf_counter() - t0
    hwm.mark("load")

    marks: dict[str, float] = {}
    step_ends: list[float] = []
    encode = pipe.encode_prompt

    def timed_encode(*a, **k):
        t = time.perf_counter()
        r = encode(*a, **k)
        marks["text_s"] = marks.get("text_s", 0.0) + time.perf_counter() - t
        hwm.mark("text")
        marks["denoise_start"] = time.perf_counter()
        return r

    pipe.encode_prompt = timed_encode
    decode = pipe.vae.decode

    def timed_decode(*a, **k):
        hwm.mark("denoise")
        t = time.perf_counter()
        r = decode(*a, **k)
        marks["vae_s"] = marks.get("vae_s", 0.0) + time.perf_counter() - t
        hwm.mark("vae")
        return r

    pipe.vae.decode = timed_decode

    def on_step(_pipe, _i, _t, kwargs):
        step_ends.append(time.perf_counter())
        return kwargs

    generator = torch.Generator().manual_seed(args.seed)
    t = time.perf_counter()
    with torch.no_grad():
        pipe(args.prompt, num_inference_steps=args.steps, guidance_scale=args.guidance, width=width, height=height,
             generator=generator, output_type="np", callback_on_step_end=on_step)
    total_s = time.perf_counter() - t
    hwm.mark("post")
    starts = [marks["denoise_start"], *step_ends[:-1]]
    step_s = [end - start for start, end in zip(starts, step_ends)]
    result = {
        "runner": args.runner,
        "model": str(args.model),
        "steps": args.steps,
        "size": f"{width}x{height}",
        "threads": args.threads,
        "load_s": load_s,
        "text_s": marks.get("text_s"),
        "step_s": step_s,
        "denoise_s": step_ends[-1] - marks["denoise_start"],
        "vae_s": marks.get("vae_s"),
        "total_s": total_s,
        # Resetting VmHWM also resets ru_maxrss, so the whole run's peak is the largest phase peak.
        "peak_rss_bytes": max([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, *hwm.phases.values()]),
        "phase_peak_rss_bytes": hwm.phases if hwm.can_reset else None,
        "versions": versions,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
