// The architecture's import boundaries as lint rules (see ARCHITECTURE.md), kept in their own
// module so that test/unit/lintBoundaries.test.ts can show that each one fires.
//
// - Only src/extension (and the integration tests) may import `vscode`.
// - src/cli renders and detects through the inference service (src/service), never by importing
//   src/render or src/detect.
// - A feature folder of src/extension (language, preview, render, batch) never imports another;
//   shared pieces live in util/, the top-level files (config.ts, promptDocuments.ts,
//   panelHost.ts...) or the core.
// - media/ (the webview) imports only its own modules, and the protocol with `import type`.
//
// Import specifiers are relative, so the feature-folder rule is written per depth: from
// src/extension/render/x.ts `../batch/y` is another feature, while `../../batch` is src/batch.

const VSCODE = { name: 'vscode', message: 'Only src/extension may import vscode: keep the core pure.' };
const FEATURES = ['language', 'preview', 'render', 'batch'];

/** A rule entry with the `vscode` ban plus `patterns`. */
function restrict(patterns, { vscode = true } = {}) {
  return ['error', { paths: vscode ? [VSCODE] : [], patterns }];
}

const cliPatterns = [
  {
    regex: '^(\\.\\./)+(render|detect)(/.*)?$',
    message: 'src/cli renders and detects through the inference service (src/service, src/protocol/service.ts), not by importing src/render or src/detect.',
  },
];

/** Config blocks for the files `depth` folders below src/extension/<feature>/. */
function featureBlocks(depth) {
  const up = '\\.\\./'.repeat(depth);
  const stars = Array.from({ length: depth - 1 }, () => '*/').join('');
  return FEATURES.map((feature) => ({
    files: [`src/extension/${feature}/${stars}*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        [
          {
            regex: `^${up}(${FEATURES.filter((f) => f !== feature).join('|')})(/.*)?$`,
            message: `src/extension/${feature} must not import another feature folder: talk through the panel host (panelHost.ts), events or the core, and share pieces through util/ or the top-level files.`,
          },
        ],
        { vscode: false },
      ),
    },
  }));
}

const mediaPatterns = [
  {
    regex: '^\\.\\./src/protocol/',
    allowTypeImports: true,
    message: 'media/ may import the protocol with `import type` only: the webview bundles none of the host code.',
  },
  {
    regex: '^(?!\\./|\\.\\./src/protocol/)',
    message: 'media/ imports only its own modules and, type-only, src/protocol.',
  },
];

export const boundaries = [
  {
    files: ['**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': restrict([]),
    },
  },
  { files: ['src/cli/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': restrict(cliPatterns) } },
  { files: ['src/extension/**/*.ts', 'test/integration/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': 'off' } },
  ...featureBlocks(1),
  ...featureBlocks(2),
  ...featureBlocks(3),
  { files: ['media/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': restrict(mediaPatterns) } },
];
