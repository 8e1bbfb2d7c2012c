// `npm run example-model [DIR]`: writes a complete, render-ready tiny Stable Diffusion 2.x model
// folder (default: example-model/) from the committed test fixtures, so that `render`, `batch`
// and `evaluate` can be tried at once, before exporting the real SPRIGHT model. Its weights are
// random: the pictures are coloured noise (64x64), but every stage of the pipeline runs for real.
//
// The fixture folder test/fixtures/sd-tiny/vpred-fp32 lacks the CLIP tokenizer's vocab.json and
// merges.txt, kept once, gzipped, in test/fixtures/clip-tokenizer; they are decompressed here.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const source = path.join(root, 'test', 'fixtures', 'sd-tiny', 'vpred-fp32');
const tokenizer = path.join(root, 'test', 'fixtures', 'clip-tokenizer');
const target = path.resolve(process.argv[2] ?? 'example-model');

if (!existsSync(path.join(source, 'unet', 'model.onnx')) || !existsSync(path.join(tokenizer, 'vocab.json.gz'))) {
  console.error(`example-model: the tiny fixture model is not in this checkout (${source}); it comes with a git clone of the repository.`);
  process.exit(2);
}
if (existsSync(target) && !existsSync(path.join(target, 'model_index.json'))) {
  console.error(`example-model: ${target} exists and is not a model folder; give another folder: npm run example-model -- DIR`);
  process.exit(2);
}

// Built beside the target and renamed into place, so an interrupted run never leaves half a model.
const partial = `${target}.partial-${process.pid}`;
rmSync(partial, { recursive: true, force: true });
try {
  cpSync(source, partial, { recursive: true, filter: (f) => path.basename(f) !== 'reference.json' });
  mkdirSync(path.join(partial, 'tokenizer'), { recursive: true });
  for (const f of ['vocab.json', 'merges.txt']) {
    writeFileSync(path.join(partial, 'tokenizer', f), gunzipSync(readFileSync(path.join(tokenizer, `${f}.gz`))));
  }
  writeFileSync(
    path.join(partial, 'README.md'),
    '# Example model\n\nA tiny Stable Diffusion 2.x export with random weights, written by `npm run example-model` from\n' +
      "SPRIGHT Lens's test fixtures. It renders 64x64 coloured noise: use it to try `render`, `batch` and `evaluate`;\n" +
      'export the real SPRIGHT model for pictures (README, "Rendering").\n',
  );
  rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
} catch (err) {
  rmSync(partial, { recursive: true, force: true });
  console.error(`example-model: cannot write ${target} (${err.code ?? err.message}); give a folder you can write to: npm run example-model -- DIR`);
  process.exit(1);
}
console.log(`example-model: wrote ${path.relative(process.cwd(), target) || target} (a tiny random-weight SD 2.x model, 64x64 images)`);
