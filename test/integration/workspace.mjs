// Builds a throw-away workspace for one integration run: sample prompt files and, when the tiny
// fixture model is present, a ready-to-load copy of it (tokenizer files decompressed).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export const HOSTILE_PROMPT =
  'a <script>window.__pwned=1</script> cat to the left of a <img src=x onerror="window.__pwned=2"> dog';

export function prepareWorkspace(root) {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'spright-ws-'));
  const files = {
    'contradiction.prompts': '# a contradiction\na cat to the left of a dog. The dog is to the left of the cat.\n',
    'vague.prompts': '# vague: two objects, no relation\na cat and a dog\n',
    'clean.prompts': 'a red apple to the left of a green bowl\na lamp above a wooden table\n',
    'hostile.prompts': `${HOSTILE_PROMPT}\n`,
    'batch/set.prompts': 'a cat to the left of a dog\na cup above a book\n',
    'layout.prompts': 'a red apple to the left of a green bowl\na lamp above a wooden table\n',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true });
    writeFileSync(path.join(workspace, name), text);
  }
  const env = { SPRIGHT_TEST_WORKSPACE: workspace, SPRIGHT_TEST_HOSTILE_PROMPT: HOSTILE_PROMPT };
  const model = prepareTinyModel(root, path.join(workspace, '.models', 'tiny'));
  if (model) env.SPRIGHT_TEST_MODEL = model;
  return { workspace, env };
}

/** Copies the first tiny SD fixture variant and decompresses the shared CLIP tokenizer into it. */
export function prepareTinyModel(root, dest) {
  const variants = path.join(root, 'test', 'fixtures', 'sd-tiny');
  const tok = path.join(root, 'test', 'fixtures', 'clip-tokenizer');
  if (!existsSync(variants) || !existsSync(tok)) return null;
  const preferred = ['vpred-fp32', 'eps-fp32'];
  const names = readdirSync(variants).filter((n) => existsSync(path.join(variants, n, 'model_index.json')));
  const pick = preferred.find((n) => names.includes(n)) ?? names[0];
  if (!pick) return null;
  cpSync(path.join(variants, pick), dest, { recursive: true });
  // Region guidance also encodes the bootstrapping colours: add the matching VAE encoder.
  const encoder = path.join(root, 'test', 'fixtures', 'sd-tiny-regions', pick.includes('fp16') ? 'vae_encoder-fp16' : 'vae_encoder-fp32');
  if (existsSync(path.join(encoder, 'model.onnx.gz'))) {
    mkdirSync(path.join(dest, 'vae_encoder'), { recursive: true });
    cpSync(path.join(encoder, 'config.json'), path.join(dest, 'vae_encoder', 'config.json'));
    writeFileSync(path.join(dest, 'vae_encoder', 'model.onnx'), zlib.gunzipSync(readFileSync(path.join(encoder, 'model.onnx.gz'))));
  }
  mkdirSync(path.join(dest, 'tokenizer'), { recursive: true });
  for (const f of readdirSync(tok)) {
    const src = path.join(tok, f);
    if (f.endsWith('.json.gz') || f.endsWith('.txt.gz')) {
      writeFileSync(path.join(dest, 'tokenizer', f.slice(0, -3)), zlib.gunzipSync(readFileSync(src)));
    } else if (f.endsWith('.json') && !f.startsWith('reference')) {
      if (!existsSync(path.join(dest, 'tokenizer', f))) cpSync(src, path.join(dest, 'tokenizer', f));
    }
  }
  return dest;
}
