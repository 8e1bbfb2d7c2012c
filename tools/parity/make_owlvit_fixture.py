#!/usr/bin/env python3
"""A tiny random-weight OWL-ViT exported like optimum exports google/owlvit-base-patch32.

Dev-only tooling. Writes test/fixtures/owlvit-tiny/:
- model.onnx: inputs ``input_ids`` [text, 16] int64, ``pixel_values`` [1, 3, 64, 64] float32,
  ``attention_mask`` [text, 16] int64; outputs ``logits`` [1, boxes, text], ``pred_boxes``
  [1, boxes, 4] (cx, cy, w, h relative), ``text_embeds``, ``image_embeds``: the names
  ``optimum-cli export onnx --model google/owlvit-base-patch32`` (task zero-shot-object-detection)
  produces, from the same exporter,
- preprocessor_config.json: the image processor (resize to 64x64 bicubic, CLIP mean/std),
- input.png: the fixed source image (80x48, not square, so the box scaling is checked per axis),
- reference.json: the queries, input_ids / attention_mask, pixel_values from transformers'
  OwlViTProcessor, the raw outputs, and transformers' ``post_process_object_detection`` detections
  in pixel coordinates of the source image.

Sizes: vision width 32, patch 16 on 64x64 (16 boxes), text width 32, the real 49408-token
vocabulary looked up at ``id % 1021`` (as the SD text encoder fixture; keeps model.onnx small).
Usage: .venv/bin/python tools/parity/make_owlvit_fixture.py [--out test/fixtures/owlvit-tiny]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
QUERIES = ["a photo of a cat", "a photo of a dog"]
IMAGE_W, IMAGE_H = 80, 48
TEXT_LEN = 16  # OWL-ViT's tokenizer pads and truncates text queries to 16 tokens
TOKEN_TABLE_ROWS = 1021


def source_image():
    """A deterministic picture: a gradient with a red rectangle left and a blue disc right."""
    from PIL import Image, ImageDraw

    y, x = np.mgrid[0:IMAGE_H, 0:IMAGE_W]
    arr = np.stack([x * 255 // IMAGE_W, y * 255 // IMAGE_H, np.full_like(x, 96)], axis=-1).astype(np.uint8)
    img = Image.fromarray(arr, "RGB")
    draw = ImageDraw.Draw(img)
    draw.rectangle([6, 10, 30, 38], fill=(220, 30, 30))
    draw.ellipse([46, 8, 74, 36], fill=(30, 40, 220))
    return img


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "test" / "fixtures" / "owlvit-tiny")
    args = ap.parse_args()

    import onnxruntime as ort
    import torch
    from optimum.exporters.onnx import onnx_export_from_model
    from transformers import (CLIPTokenizer, OwlViTConfig, OwlViTForObjectDetection, OwlViTImageProcessor,
                              OwlViTProcessor)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_fixtures import materialise_tokenizer, tensor

    torch.manual_seed(0)
    config = OwlViTConfig(
        text_config=dict(vocab_size=49408, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, max_position_embeddings=TEXT_LEN, hidden_act="quick_gelu",
                         bos_token_id=49406, eos_token_id=49407, pad_token_id=0),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                           image_size=64, patch_size=16, hidden_act="quick_gelu"),
        projection_dim=32,
    )
    model = OwlViTForObjectDetection(config).eval()

    class HashedEmbedding(torch.nn.Module):
        """Token embedding looked up at id % rows (1/48 the size of a full table; same I/O)."""

        def __init__(self, rows: int, dim: int):
            super().__init__()
            self.rows = rows
            self.weight = torch.nn.Parameter(torch.randn(rows, dim) * 0.5)

        def forward(self, input_ids):
            return self.weight[torch.remainder(input_ids, self.rows)]

    model.owlvit.text_model.embeddings.token_embedding = HashedEmbedding(TOKEN_TABLE_ROWS, 32)
    # Spread the random box and class heads so scores differ enough for a threshold to matter.
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.05)

    work = Path(tempfile.mkdtemp(prefix="owlvit-tiny-"))
    tok_dir = work / "tokenizer"
    materialise_tokenizer(tok_dir)
    tokenizer = CLIPTokenizer.from_pretrained(tok_dir, model_max_length=TEXT_LEN)
    image_processor = OwlViTImageProcessor(
        size={"height": 64, "width": 64}, crop_size={"height": 64, "width": 64}, do_center_crop=False,
        do_resize=True, resample=3, do_rescale=True, do_normalize=True,
        image_mean=[0.48145466, 0.4578275, 0.40821073], image_std=[0.26862954, 0.26130258, 0.27577711],
    )
    processor = OwlViTProcessor(image_processor=image_processor, tokenizer=tokenizer)
    image = source_image()
    inputs = processor(text=[QUERIES], images=image, return_tensors="pt")

    with torch.no_grad():
        outputs = model(**inputs)
    target = torch.tensor([[IMAGE_H, IMAGE_W]])
    scores_all = torch.sigmoid(outputs.logits.max(-1).values)[0]
    # OWL-ViT's usual 0.1 keeps every box of a random model; take the median score instead so the
    # reference shows both kept and dropped boxes (recorded as "threshold").
    threshold = round(float(scores_all.median()), 4)
    detections = processor.image_processor.post_process_object_detection(outputs, threshold=threshold,
                                                                         target_sizes=target)[0]

    raw = work / "export"
    onnx_export_from_model(model, raw, task="zero-shot-object-detection", device="cpu", do_validation=True,
                           preprocessors=[processor])
    # Overwrite the generated files only: the folder also holds a hand-written README.md.
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copy(raw / "model.onnx", args.out / "model.onnx")
    # optimum writes preprocessors only when it loads the model itself; save the same file it would.
    processor.image_processor.save_pretrained(args.out)
    image.save(args.out / "input.png", optimize=True)

    sess = ort.InferenceSession(str(args.out / "model.onnx"), providers=["CPUExecutionProvider"])
    feeds = {i.name: inputs[i.name].numpy() for i in sess.get_inputs()}
    names = [o.name for o in sess.get_outputs()]
    ort_out = dict(zip(names, sess.run(None, feeds)))
    parity = {
        name: float(np.abs(ort_out[name] - getattr(outputs, name).numpy()).max())
        for name in ("logits", "pred_boxes", "text_embeds", "image_embeds")
    }
    reference = {
        "model": "tiny random OwlViTForObjectDetection (transformers), exported by optimum "
                 "(zero-shot-object-detection)",
        "onnx_inputs": {i.name: {"type": i.type, "shape": i.shape} for i in sess.get_inputs()},
        "onnx_outputs": {o.name: {"type": o.type, "shape": o.shape} for o in sess.get_outputs()},
        "text_queries": QUERIES,
        "image": {"file": "input.png", "width": IMAGE_W, "height": IMAGE_H},
        "input_ids": inputs["input_ids"].tolist(),
        "attention_mask": inputs["attention_mask"].tolist(),
        "pixel_values": tensor(inputs["pixel_values"]),
        "logits": tensor(outputs.logits),
        "pred_boxes": tensor(outputs.pred_boxes),
        "text_embeds": tensor(outputs.text_embeds),
        "image_embeds": tensor(outputs.image_embeds),
        "post_process": {
            "function": "OwlViTImageProcessor.post_process_object_detection",
            "threshold": threshold,
            "target_size": [IMAGE_H, IMAGE_W],
            "rule": "score = sigmoid(max over queries of logits); label = argmax query; keep score > threshold; "
                    "box (cx,cy,w,h) -> (x0,y0,x1,y1) times (width,height,width,height) of target_size",
        },
        "detections": [
            {"box_index": int(i), "label": int(lab), "query": QUERIES[int(lab)], "score": float(s),
             "box": [float(v) for v in b]}
            for i, lab, s, b in zip(
                torch.nonzero(scores_all > threshold).flatten().tolist(),
                detections["labels"], detections["scores"], detections["boxes"],
            )
        ],
        "onnx_parity_max_abs": parity,
    }
    (args.out / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"threshold": threshold, "kept": len(reference["detections"]), "boxes": int(scores_all.numel()),
                      "onnx_parity_max_abs": parity,
                      "model_bytes": (args.out / "model.onnx").stat().st_size}, indent=2))


if __name__ == "__main__":
    main()
