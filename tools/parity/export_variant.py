"""Export the tiny pipeline with optimum and turn the export into one fixture variant.

Every variant starts from the same optimum export (``onnx_export_from_model``, task
text-to-image: what ``optimum-cli export onnx --task text-to-image`` runs) and only then differs:
- fp16: a second optimum export of the pipeline cast to float16 (``pipe.to(torch.float16)``), which
  is what ``optimum-cli export onnx --dtype fp16`` does on a CUDA device (the CLI refuses fp16 on
  CPU; the library call does not): float16 weights, float16 graph inputs and outputs, the timestep
  a float16 scalar,
- timestep int64: optimum exports the UNet ``timestep`` as a float32 scalar (rank 0); the int64
  variant gets an ``int64 [1]`` input (the shape older diffusers/ONNX Runtime SD exports use) that
  is cast to float and squeezed in front of the unchanged graph,
- external data: the UNet's weights moved to ``unet/model.onnx_data``, as optimum writes the real
  3.4 GB UNet (protobuf cannot hold more than 2 GB).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ELEM_NAMES = {1: "float32", 7: "int64", 6: "int32", 10: "float16"}


def _pipeline(text_encoder, unet, vae, tokenizer, scheduler):
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def optimum_export(text_encoder, unet, vae, tokenizer, scheduler, raw_export: Path, fp16: bool = False) -> str:
    """Exports the pipeline with optimum into raw_export and returns the UNet timestep's dtype."""
    import copy

    import onnx
    import torch
    from optimum.exporters.onnx import onnx_export_from_model

    if raw_export.exists():
        shutil.rmtree(raw_export)
    pipe = _pipeline(text_encoder, unet, vae, tokenizer, scheduler)
    if fp16:
        pipe = _pipeline(*(copy.deepcopy(m).to(torch.float16) for m in (text_encoder, unet, vae)), tokenizer, scheduler)
    # optimum's validation compares with torch at atol 3e-4 and only warns; fp16 is checked by the
    # onnxruntime replay in make_fixtures instead.
    onnx_export_from_model(pipe, raw_export, task="text-to-image", device="cpu", do_validation=not fp16)
    graph = onnx.load(str(raw_export / "unet" / "model.onnx"), load_external_data=False).graph
    ts = next(i for i in graph.input if i.name == "timestep")
    return ELEM_NAMES[ts.type.tensor_type.elem_type]


def _io(model) -> dict:
    def desc(v):
        t = v.type.tensor_type
        dims = [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]
        return {"dtype": ELEM_NAMES.get(t.elem_type, str(t.elem_type)), "dims": dims}

    return {
        "inputs": {i.name: desc(i) for i in model.graph.input},
        "outputs": {o.name: desc(o) for o in model.graph.output},
    }


def _int64_timestep(model):
    """Replaces the float32 scalar ``timestep`` input by ``int64 [1]`` feeding the same graph."""
    import onnx
    from onnx import TensorProto, helper

    graph = model.graph
    old = next(i for i in graph.input if i.name == "timestep")
    float_type = old.type.tensor_type.elem_type
    internal = "timestep_as_float"
    for node in graph.node:
        for k, name in enumerate(node.input):
            if name == "timestep":
                node.input[k] = internal
    graph.input.remove(old)
    graph.input.insert(1, helper.make_tensor_value_info("timestep", TensorProto.INT64, [1]))
    axes = helper.make_tensor("timestep_squeeze_axes", TensorProto.INT64, [1], [0])
    graph.initializer.append(axes)
    cast = helper.make_node("Cast", ["timestep"], ["timestep_as_float_1d"], to=float_type, name="timestep_cast")
    squeeze = helper.make_node("Squeeze", ["timestep_as_float_1d", "timestep_squeeze_axes"], [internal],
                               name="timestep_squeeze")
    graph.node.insert(0, squeeze)
    graph.node.insert(0, cast)
    onnx.checker.check_model(model)
    return model


def export_variant(variant, raw_export: Path, dest: Path, default_ts: str) -> dict:
    """Writes one variant folder from the raw optimum export; returns facts for reference.json."""
    import onnx

    dest.mkdir(parents=True)
    shutil.copy(raw_export / "model_index.json", dest / "model_index.json")
    (dest / "scheduler").mkdir()
    sched = json.loads((raw_export / "scheduler" / "scheduler_config.json").read_text())
    sched["prediction_type"] = variant.prediction_type
    (dest / "scheduler" / "scheduler_config.json").write_text(json.dumps(sched, indent=2) + "\n")
    # vocab.json and merges.txt (2 MB) live once, gzip-compressed, in test/fixtures/clip-tokenizer;
    # tests decompress them into a temporary copy of the variant (see README.md).
    (dest / "tokenizer").mkdir()
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(raw_export / "tokenizer" / name, dest / "tokenizer" / name)

    io = {}
    for part in ("text_encoder", "unet", "vae_decoder"):
        (dest / part).mkdir()
        if (raw_export / part / "config.json").exists():
            shutil.copy(raw_export / part / "config.json", dest / part / "config.json")
        model = onnx.load(str(raw_export / part / "model.onnx"))
        if part == "unet" and variant.timestep not in ("optimum", default_ts):
            if variant.timestep != "int64" or default_ts != "float32":
                raise SystemExit(f"no conversion from a {default_ts} timestep to {variant.timestep}")
            model = _int64_timestep(model)
        target = dest / part / "model.onnx"
        if part == "unet" and variant.external_data:
            onnx.save_model(model, str(target), save_as_external_data=True, all_tensors_to_one_file=True,
                            location="model.onnx_data", size_threshold=0, convert_attribute=False)
            # onnx creates the data file private (0600); fixtures are plain readable files.
            (dest / part / "model.onnx_data").chmod(0o644)
        else:
            onnx.save_model(model, str(target))
        onnx.checker.check_model(str(target))
        io[part] = _io(onnx.load(str(target), load_external_data=False))
    return {
        "timestep_dtype": io["unet"]["inputs"]["timestep"]["dtype"],
        "input_ids_dtype": io["text_encoder"]["inputs"]["input_ids"]["dtype"],
        "io": io,
    }
