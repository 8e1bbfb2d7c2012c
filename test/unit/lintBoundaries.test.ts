/**
 * The import boundaries (eslint.boundaries.mjs) fire on deliberate violations and stay quiet on
 * the imports the architecture allows. Linted as text at the paths the rules are about, with the
 * same rule blocks `npm run lint` uses (without type information, which these rules do not need).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './helpers/paths';

type ESLintClass = typeof import('eslint').ESLint;
const load = createRequire(path.join(repoRoot, 'package.json'));
let linter: InstanceType<ESLintClass> | undefined;

async function eslint(): Promise<InstanceType<ESLintClass>> {
  if (linter) return linter;
  const { ESLint } = load('eslint') as typeof import('eslint');
  const tseslint = load('typescript-eslint') as { parser: unknown; plugin: unknown };
  // A dynamic import the TypeScript compiler leaves alone (it would turn `import()` into require).
  const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<{ boundaries: object[] }>;
  const { boundaries } = await importEsm(pathToFileURL(path.join(repoRoot, 'eslint.boundaries.mjs')).href);
  linter = new ESLint({
    cwd: repoRoot,
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { '@typescript-eslint': tseslint.plugin } }, ...boundaries] as never,
  });
  return linter;
}

/** The boundary messages ESLint gives for `code` placed at `file` (relative to the repo root). */
async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await (await eslint()).lintText(code, { filePath: path.join(repoRoot, file) });
  assert.ok(result, file);
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${file} did not parse`);
  return result.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

test('src/cli may not import src/render or src/detect: it goes through the inference service', async () => {
  assert.match((await violations('src/cli/commands/probe.ts', "import { loadPipeline } from '../../render';\n"))[0] ?? '', /through the inference service/);
  assert.match((await violations('src/cli/probe.ts', "import { createDetector } from '../detect/index';\n"))[0] ?? '', /through the inference service/);
  assert.match((await violations('src/cli/commands/probe.ts', "export { loadNanoDet } from '../../detect/nanodet';\n"))[0] ?? '', /through the inference service/);
  assert.deepEqual(await violations('src/cli/commands/probe.ts', "import { forkedService } from '../service';\nimport type { RenderParams } from '../../protocol/service';\nimport { runBatch } from '../../batch/index';\n"), []);
});

test('a feature folder of src/extension may not import another one, at any depth', async () => {
  assert.match((await violations('src/extension/batch/probe.ts', "import { RenderFeature } from '../render/renderFeature';\n"))[0] ?? '', /must not import another feature folder/);
  assert.match((await violations('src/extension/render/commands/probe.ts', "import type { PreviewController } from '../../preview/previewController';\n"))[0] ?? '', /must not import another feature folder/);
  assert.match((await violations('src/extension/language/probe.ts', "import { BatchFeature } from '../batch/batchFeature';\n"))[0] ?? '', /src\/extension\/language must not/);
  // Its own folder, the shared files, util/ and the core (src/batch, src/render) are fine.
  assert.deepEqual(
    await violations(
      'src/extension/batch/probe.ts',
      "import { BatchFeature } from './batchFeature';\nimport type { Config } from '../config';\nimport { Disposable } from '../util/dispose';\nimport { runBatch } from '../../batch/index';\nimport * as vscode from 'vscode';\n",
    ),
    [],
  );
  assert.deepEqual(await violations('src/extension/render/commands/probe.ts', "import type { RenderFeature } from '../renderFeature';\nimport { outputStem } from '../../../io/outputNames';\n"), []);
});

test('media/ imports its own modules and the protocol type-only, nothing else', async () => {
  assert.match((await violations('media/probe.ts', "import { SCHEDULER_NAMES } from '../src/protocol/service';\n"))[0] ?? '', /import type/);
  assert.match((await violations('media/probe.ts', "import type { ParsedPrompt } from '../src/parser/types';\n"))[0] ?? '', /only its own modules/);
  assert.match((await violations('media/probe.ts', "import * as fs from 'node:fs';\n"))[0] ?? '', /only its own modules/);
  assert.deepEqual(await violations('media/probe.ts', "import type { PanelState } from '../src/protocol/messages';\nimport { h } from './vnode';\n"), []);
});

test('only src/extension and the integration tests may import vscode', async () => {
  assert.match((await violations('src/parser/probe.ts', "import * as vscode from 'vscode';\n"))[0] ?? '', /Only src\/extension may import vscode/);
  assert.match((await violations('src/cli/probe.ts', "import type * as vscode from 'vscode';\n"))[0] ?? '', /Only src\/extension may import vscode/);
  assert.deepEqual(await violations('test/integration/suite/probe.ts', "import * as vscode from 'vscode';\n"), []);
});
