#!/usr/bin/env python3
"""Build the real CLIP BPE tokenizer files and a reference of token ids.

Dev-only tooling: nothing at run time or in CI runs Python. The outputs are committed under
test/fixtures/clip-tokenizer/ and the TypeScript tokenizer is tested against them.

What it does:
1. Converts open-clip-torch's bundled ``bpe_simple_vocab_16e6.txt.gz`` (the OpenAI CLIP BPE) into
   HF's vocab.json + merges.txt, with the same conversion HF used for openai/clip-vit-large-patch14
   (whose tokenizer files Stable Diffusion 2.1's tokenizer/ folder carries).
2. Checks the conversion: transformers' ``CLIPTokenizer`` built from the files must agree with
   open_clip's own tokenizer on every prompt (open_clip truncates differently, so only the
   untruncated prompts are compared token by token; the differences are listed), and decoding the
   ids of every benchmark prompt must give back the cleaned prompt (round trip).
3. Records ``CLIPTokenizer`` (the slow, reference BPE that diffusers' StableDiffusionPipeline loads)
   ids for every prompt: 77-long, BOS 49406, EOS 49407, padded with SD 2.1's pad token "!" (id 0),
   truncated to 77. ``CLIPTokenizerFast`` is run too; prompts where it disagrees are listed in
   ``fast-mismatches.json`` (the slow tokenizer is the reference).

Usage: .venv/bin/python tools/parity/make_tokenizer_reference.py [--data ../shared/data] [--out DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAX_LEN = 77
BOS_ID = 49406
EOS_ID = 49407
PAD_ID = 0

# Hand-made hard cases: each one exercises a branch of the reference text cleaning or BPE.
HARD_CASES: list[str] = [
    "",
    " ",
    "a",
    "A cat to the left of a dog",
    "a cat  to   the\tleft\nof a dog",
    "   leading and trailing spaces   ",
    "A RED Apple Above a BLUE box",
    "a dog, a cat; a bird: all (three) [four] {five}!",
    "what?! no... yes!!!",
    "it's the dog's bone, isn't it? they'll say we're fine; I'd go, you've seen",
    "IT'S LOUD'S",
    "rock 'n' roll",
    "2 cats and 3.5 dogs, 1000000 birds, 42nd street, 3x4, 1/2, -7, 1e10, 12:30pm",
    "100% of 50$ at #1 @home ~5 ^2 &more *star* _under_ +plus =eq |pipe| \\back/ `tick`",
    "café naïve résumé façade jalapeño Ångström Øre",
    "cafe\u0301 (combining accent)",
    "a dog 🐶 next to a cat 🐱 under a 🌈 rainbow 👨‍👩‍👧",
    "一只猫在狗的左边",
    "犬の上に猫がいる",
    "고양이가 개 위에 있다",
    "кошка слева от собаки",
    "قطة على يسار كلب",
    "ελληνικά γράμματα",
    "<b>bold</b> &amp; <i>italic</i> &lt;tag&gt; &quot;quoted&quot; &#39;x&#39;",
    "<|startoftext|>a cat<|endoftext|>",
    "<|startoftext|> a cat <|endoftext|> and more",
    "!!!!!",
    "!",
    "mojibake: cafÃ© â€œquotesâ€\x9d",
    "curly \u201cquotes\u201d and \u2018single\u2019 and em\u2014dash and ellipsis\u2026",
    "non\u00a0breaking\u2003em space\u200bzero width",
    "tab\tseparated\tvalues",
    "ALLCAPS LONGWORDWITHOUTSPACESPNEUMONOULTRAMICROSCOPICSILICOVOLCANOCONIOSIS",
    "hyphen-ated well-known state-of-the-art",
    "snake_case camelCase PascalCase kebab-case",
    "http://example.com/a?b=c&d=e",
    "email@example.com",
    "a photo of a teddy bear",
    "a photo of a hot dog to the right of a potted plant",
    "ÀÉÎÕÜ ß ẞ ǅ ﬁ ligature",
    "fullwidth ＡＢＣ１２３",
    "superscript x² and subscript H₂O",
    "roman numeral Ⅻ and circled ①",
    "word " * 100,
    "a cat to the left of a dog. " * 12,
    ("a very long prompt that keeps going with many different words so that the tokenizer "
     "must truncate it at exactly seventy seven tokens including the start and end tokens, "
     "and we want to see where the cut happens, because the text encoder only accepts "
     "seventy seven positions and anything beyond that is silently dropped by the pipeline"),
    "a" * 300,
    "1234567890" * 20,
    "🐶" * 60,
    # ftfy.fix_text branches (the reference cleaner): HTML entities are unescaped only when the
    # text has no tags; ligatures, C1 controls, Windows-1252 mojibake, line breaks, control chars.
    "salt &amp; pepper &lt;3 &eacute;t&eacute; &#x263a; &nbsp;end",
    "a &AMP; b &quot;c&quot;",
    "\ufb01sh \ufb02ower \ufb00 \ufb03 ligatures",
    "smart\x91quotes\x92 and \x93more\x94 \x85",
    "line one\r\nline two\rline three\u2028four\u2029five",
    "bell\x07 null\x00 escape\x1b[31mred\x1b[0m",
    "soft\u00adhyphen and zero\u200dwidth joiner and bom\ufeffhere",
    "Ã¼ber Ã¶l Ã¤rger",
    "ideographic\u3000space and thin\u2009space",
    "a cat!a dog!!the end",
    "wow!!! so cool!",
    "DON'T STOP, WE'LL SEE, HE'D GO, I'M HERE, YOU'RE IT, THEY'VE GONE",
    "rock\u2019n\u2019roll it\u2019s we\u2019re",
    "1,000,000 and 3.14159 and 2024-01-02",
    "x<y and y>z and a<b>c",
    "\u01c4 \u01c8 \u01cb titlecase digraphs",
    "\u0130stanbul \u0131i",
    "\ufb00\u0301 combining on ligature",
    "\U0001f600 grinning \U0001f3f3\ufe0f\u200d\U0001f308 flag \U0001f44d\U0001f3fd thumbs",
    "a\tb\nc\x0bd\x0ce",
    "    ",
    "\n\n\n",
    "-- -- --- ... ,,, ;;; ::: ??? ''' \"\"\"",
]


def bytes_to_unicode() -> dict[int, str]:
    """The GPT-2/CLIP byte-to-printable-character table (copied from the reference BPE)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1)
    )
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def convert_bpe(bpe_gz: Path) -> tuple[dict[str, int], list[str]]:
    """open_clip's SimpleTokenizer vocabulary construction, written out as HF files."""
    lines = gzip.open(bpe_gz).read().decode("utf-8").split("\n")
    merges = lines[1 : 49152 - 256 - 2 + 1]
    merge_pairs = [tuple(m.split()) for m in merges]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    for pair in merge_pairs:
        vocab.append("".join(pair))
    vocab.extend(["<|startoftext|>", "<|endoftext|>"])
    encoder = {tok: i for i, tok in enumerate(vocab)}
    if len(encoder) != 49408:
        raise SystemExit(f"converted vocabulary has {len(encoder)} entries, expected 49408")
    return encoder, merges


def added_token(content: str) -> dict:
    return {
        "__type": "AddedToken",
        "content": content,
        "lstrip": False,
        "normalized": True,
        "rstrip": False,
        "single_word": False,
    }


def tokenizer_configs() -> tuple[dict, dict]:
    """tokenizer_config.json and special_tokens_map.json as in SD 2.1's tokenizer/ folder."""
    tok_config = {
        "add_prefix_space": False,
        "bos_token": added_token("<|startoftext|>"),
        "do_lower_case": True,
        "eos_token": added_token("<|endoftext|>"),
        "errors": "replace",
        "model_max_length": MAX_LEN,
        "pad_token": "!",
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": added_token("<|endoftext|>"),
    }
    special = {
        "bos_token": {k: v for k, v in added_token("<|startoftext|>").items() if k != "__type"},
        "eos_token": {k: v for k, v in added_token("<|endoftext|>").items() if k != "__type"},
        "pad_token": "!",
        "unk_token": {k: v for k, v in added_token("<|endoftext|>").items() if k != "__type"},
    }
    return tok_config, special


def write_tokenizer_dir(dest: Path, encoder: dict[str, int], merges: list[str]) -> None:
    """Writes an uncompressed HF tokenizer folder (what an optimum export's tokenizer/ holds)."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "vocab.json").write_text(json.dumps(encoder, ensure_ascii=False), encoding="utf-8")
    (dest / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    tok_config, special = tokenizer_configs()
    (dest / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2) + "\n")
    (dest / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")


def load_prompts(data: Path, sr2d_sample: int) -> list[tuple[str, str]]:
    """(source, text) pairs in a fixed order: hand cases, T2I-CompBench, an SR2D sample."""
    out: list[tuple[str, str]] = [("hand", t) for t in HARD_CASES]
    for name in ("spatial_train.txt", "3d_spatial_train.txt"):
        path = data / "t2i-compbench" / name
        if not path.exists():
            raise SystemExit(f"{path}: missing; pass --data pointing at the shared data folder")
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(("t2i-compbench", line))
    sr2d_path = data / "sr2d" / "text_spatial_rel_phrases.json"
    if not sr2d_path.exists():
        raise SystemExit(f"{sr2d_path}: missing; pass --data pointing at the shared data folder")
    records = json.loads(sr2d_path.read_text(encoding="utf-8"))
    rng = random.Random(0)
    for rec in rng.sample(records, sr2d_sample):
        out.append(("sr2d", rec["text"]))
    # De-duplicate while keeping the first occurrence, so the reference stays compact.
    seen: set[str] = set()
    unique = []
    for src, text in out:
        if text not in seen:
            seen.add(text)
            unique.append((src, text))
    return unique


def write_gzip(path: Path, data: bytes) -> None:
    # mtime=0 and no file name keep the bytes identical across runs, so regenerating does not churn git.
    with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz:
        gz.write(data)


def load_open_clip_tokenizer():
    """open_clip's SimpleTokenizer and BPE file, without importing open_clip's package.

    The package's __init__ pulls in torchvision and the model zoo; its tokenizer module alone needs
    only ftfy, regex, numpy and torch, so it is loaded straight from its file.
    """
    import importlib.util

    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("open-clip-torch is not installed: pip install -r tools/parity/requirements.txt")
    pkg = Path(list(spec.submodule_search_locations)[0])
    mod_spec = importlib.util.spec_from_file_location("open_clip_tokenizer", pkg / "tokenizer.py")
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return module.SimpleTokenizer, pkg / "bpe_simple_vocab_16e6.txt.gz"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--out", type=Path, default=REPO / "test" / "fixtures" / "clip-tokenizer")
    ap.add_argument("--sr2d-sample", type=int, default=2000)
    args = ap.parse_args()

    import ftfy  # noqa: F401  (CLIPTokenizer silently falls back to a different cleaner without it)
    from transformers import CLIPTokenizer, CLIPTokenizerFast

    SimpleTokenizer, bpe_gz = load_open_clip_tokenizer()
    encoder, merges = convert_bpe(bpe_gz)

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        tok_dir = Path(tmp) / "tokenizer"
        write_tokenizer_dir(tok_dir, encoder, merges)
        slow = CLIPTokenizer.from_pretrained(tok_dir)
        fast = CLIPTokenizerFast.from_pretrained(tok_dir)
        vocab_bytes = (tok_dir / "vocab.json").read_bytes()
        merges_bytes = (tok_dir / "merges.txt").read_bytes()

    if slow.pad_token_id != PAD_ID or slow.bos_token_id != BOS_ID or slow.eos_token_id != EOS_ID:
        raise SystemExit(
            f"special ids differ from SD 2.1: pad {slow.pad_token_id} bos {slow.bos_token_id} eos {slow.eos_token_id}"
        )
    oc = SimpleTokenizer(bpe_path=str(bpe_gz))

    prompts = load_prompts(args.data, args.sr2d_sample)
    lines = []
    fast_mismatch = []
    oc_checked = oc_mismatch = 0
    oc_mismatches = []
    rt_checked = 0
    rt_mismatches: list[str] = []
    for _src, text in prompts:
        ids = slow(text, padding="max_length", max_length=MAX_LEN, truncation=True).input_ids
        assert len(ids) == MAX_LEN and ids[0] == BOS_ID, (text, ids)
        fids = fast(text, padding="max_length", max_length=MAX_LEN, truncation=True).input_ids
        if fids != ids:
            fast_mismatch.append({"text": text, "slow": ids, "fast": fids})
        # open_clip's encode() has no special tokens, padding or truncation: compare the body.
        body = slow(text, add_special_tokens=False).input_ids
        if len(body) <= MAX_LEN - 2:
            oc_checked += 1
            oc_body = oc.encode(text)
            if oc_body != body:
                oc_mismatch += 1
                oc_mismatches.append({"text": text, "transformers": body, "open_clip": oc_body})
        if _src != "hand" and len(body) <= MAX_LEN - 2:
            # Round trip on the benchmark prompts: decoding must give back the cleaned text.
            rt_checked += 1
            expected = " ".join(text.split()).lower()
            if slow.decode(ids, skip_special_tokens=True).strip() != expected:
                rt_mismatches.append(text)
        lines.append(json.dumps({"text": text, "ids": ids}, ensure_ascii=False, separators=(",", ":")))

    args.out.mkdir(parents=True, exist_ok=True)
    write_gzip(args.out / "vocab.json.gz", vocab_bytes)
    write_gzip(args.out / "merges.txt.gz", merges_bytes)
    write_gzip(args.out / "reference.jsonl.gz", ("\n".join(lines) + "\n").encode("utf-8"))
    tok_config, special = tokenizer_configs()
    (args.out / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2) + "\n")
    (args.out / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")
    summary = {
        "reference": "transformers.CLIPTokenizer (slow) with ftfy installed",
        "prompts": len(lines),
        "by_source": {s: sum(1 for x, _ in prompts if x == s) for s in ("hand", "t2i-compbench", "sr2d")},
        "fast_tokenizer_mismatches": len(fast_mismatch),
        "open_clip_compared": oc_checked,
        "open_clip_mismatches": oc_mismatch,
        "round_trip_checked": rt_checked,
        "round_trip_mismatches": len(rt_mismatches),
        "fast_mismatch_texts": [m["text"] for m in fast_mismatch],
        "open_clip_mismatch_texts": [m["text"] for m in oc_mismatches],
        "round_trip_mismatch_texts": rt_mismatches,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if not k.endswith("texts")}, indent=2))
    for m in fast_mismatch:
        print("fast differs:", repr(m["text"][:80]), file=sys.stderr)
    for m in oc_mismatches:
        print("open_clip differs:", repr(m["text"][:80]), file=sys.stderr)
    if rt_mismatches:
        raise SystemExit(f"{len(rt_mismatches)} benchmark prompts do not decode back to themselves, "
                         f"e.g. {rt_mismatches[0]!r}: the vocab/merges conversion is wrong")


if __name__ == "__main__":
    main()
