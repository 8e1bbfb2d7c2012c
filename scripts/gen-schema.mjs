// Writes schemas/layout.schema.json, the published JSON Schema of saved layout files, from its one
// definition in src/generator/layoutSchema.ts (which the CLI and the extension validate with).
// VS Code validates *.layout.json files against the written copy (package.json jsonValidation).
//   node scripts/gen-schema.mjs          (writes the schema)
//   node scripts/gen-schema.mjs --check  (exit 1 when the committed schema is stale)
// test/unit/layoutFile.test.ts checks the committed schema against the definition too.
import * as esbuild from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, 'schemas/layout.schema.json');

const built = await esbuild.build({
  entryPoints: [path.join(root, 'src/generator/layoutSchema.ts')],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'neutral',
  logLevel: 'warning',
});
const { LAYOUT_SCHEMA } = await import(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].text).toString('base64')}`);
const text = `${JSON.stringify(LAYOUT_SCHEMA, null, 2)}\n`;

if (process.argv.includes('--check')) {
  const current = await readFile(out, 'utf8').catch(() => '');
  if (current !== text) {
    console.error(`${path.relative(root, out)} is stale: run node scripts/gen-schema.mjs`);
    process.exit(1);
  }
} else {
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, text);
  console.log(`wrote ${path.relative(root, out)}`);
}
