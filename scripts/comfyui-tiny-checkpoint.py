"""Builds a tiny random-weight SD1.5 checkpoint that ComfyUI loads, for the live ComfyUI tests.

Usage: python comfyui-tiny-checkpoint.py COMFY_DIR OUT.safetensors [SEED]

Run with the ComfyUI venv's Python (scripts/comfyui-setup.mjs). The modules are built with
ComfyUI's own classes, so its model detection (comfy/model_detection.py) takes the file for SD1.5:
a one-level, one-res-block UNet with SD1.5's widths (model_channels 320, context 768, conv
projections in the transformer), the full CLIP-L text encoder (its shape is fixed by
comfy/sd1_clip_config.json) and the tiny TAESD autoencoder. ~304 MB in fp16, 3-4 s on 2 cores.
The VAE decoder's last layer is scaled down so that random latents decode to mid-grey noise:
images that are easy to assert on.
"""
import json
import math
import os
import sys

comfy_dir, out_path = sys.argv[1], sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
sys.path.insert(0, comfy_dir)

# Set before anything imports comfy.model_management, which otherwise probes for CUDA.
import comfy.cli_args  # noqa: E402

comfy.cli_args.args.cpu = True

import torch  # noqa: E402
import safetensors.torch  # noqa: E402
import comfy.ops  # noqa: E402
import comfy.clip_model  # noqa: E402
from comfy.ldm.modules.diffusionmodules.openaimodel import UNetModel  # noqa: E402
from comfy.taesd.taesd import TAESD  # noqa: E402

torch.manual_seed(seed)
ops = comfy.ops.disable_weight_init

unet = UNetModel(
    image_size=32,
    in_channels=4,
    out_channels=4,
    model_channels=320,
    num_res_blocks=[1],
    channel_mult=[1],
    transformer_depth=[1],
    transformer_depth_output=[1, 1],
    transformer_depth_middle=1,
    use_spatial_transformer=True,
    context_dim=768,
    num_heads=8,
    num_head_channels=-1,
    use_linear_in_transformer=False,
    legacy=False,
    dtype=torch.float32,
    operations=ops,
)

with open(os.path.join(comfy_dir, "comfy", "sd1_clip_config.json")) as f:
    clip_config = json.load(f)
clip = comfy.clip_model.CLIPTextModel(clip_config, torch.float32, "cpu", ops)
vae = TAESD()


def fill(module, std=None):
    # disable_weight_init leaves the weights as uninitialised memory: give every tensor a value.
    # Norm layers start as identity (weight 1, bias 0; by type, since SD names some of them
    # `in_layers.0` or `out.0`), other biases 0, matrices small noise (0.02, as CLIP's own init)
    # or, with std=None, 1/sqrt(fan_in) so that activations keep their scale through the
    # autoencoder's deep conv stack.
    norms = (torch.nn.GroupNorm, torch.nn.LayerNorm)
    with torch.no_grad():
        for sub in module.modules():
            for leaf, p in sub.named_parameters(recurse=False):
                if isinstance(sub, norms):
                    p.fill_(1.0 if leaf == "weight" else 0.0)
                elif p.dim() >= 2:
                    p.normal_(0.0, std if std is not None else 1.0 / math.sqrt(p[0].numel()))
                elif leaf == "vae_scale":
                    p.fill_(1.0)
                else:
                    p.zero_()


fill(unet, 0.02)
fill(clip, 0.02)
fill(vae)

with torch.no_grad():
    # With weights this small every token keeps mostly its own embedding and the UNet's
    # cross-attention averages over 77 near-identical padding tokens: the text would not change
    # the picture. Stronger attention in CLIP spreads the prompt into every token, and stronger
    # cross-attention in the UNet lets it reach the latents, so that prompts and area boxes change
    # the pixels (the live tests check that they do).
    for name, p in clip.named_parameters():
        if ".self_attn." in name and p.dim() == 2:
            p.normal_(0.0, 0.15)
    for name, p in unet.named_parameters():
        if ".attn2." in name and p.dim() == 2:
            p.normal_(0.0, 0.1)

with torch.no_grad():
    # Calibrate the decoder's last conv so that sampled latents (large: ComfyUI divides by SD's
    # 0.18215 scale, and TAESD squashes them to +-3) decode to mid-grey (0.5) with visible noise
    # (std 0.12): PNGs whose pixels differ from render to render but never saturate.
    dec = vae.taesd_decoder
    h = torch.randn(4, 4, 16, 16) * 40.0
    for m in list(dec)[:-1]:
        h = m(h)
    out = dec[-1](h)
    scale = 0.12 / max(out.std().item(), 1e-6)
    dec[-1].weight.mul_(scale)
    dec[-1].bias.copy_(0.5 - (out.mean(dim=(0, 2, 3)) - dec[-1].bias) * scale)

state = {}
for k, v in unet.state_dict().items():
    state["model.diffusion_model." + k] = v
for k, v in clip.state_dict().items():
    state["cond_stage_model.transformer." + k] = v
for k, v in vae.state_dict().items():
    state["first_stage_model." + k] = v
# CLIP's position ids are integers in real checkpoints; text_projection is unused by SD1.5.
state = {k: v.to(torch.float16).contiguous() for k, v in state.items() if v.is_floating_point()}

tmp = out_path + ".tmp"
safetensors.torch.save_file(state, tmp)
os.replace(tmp, out_path)
print(json.dumps({"file": out_path, "bytes": os.path.getsize(out_path), "tensors": len(state)}))
