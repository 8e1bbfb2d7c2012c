/**
 * Mocha entry in the shape @vscode/test-electron expects (`run()`), loaded by VS Code's
 * extension host through --extensionTestsPath, in desktop VS Code and in code-server alike.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  const dir = __dirname;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    // The restricted-mode run (runTests --untrusted) has a suite of its own; the normal run skips it.
    .filter((f) => (f === 'untrusted.test.js') === (process.env.SPRIGHT_TEST_UNTRUSTED === '1'))
    // The run against a real ComfyUI (runTests --comfyui URL, from the live suite) runs only its own.
    .filter((f) => (f === 'comfyui.test.js') === (process.env.SPRIGHT_TEST_COMFYUI_SERVER !== undefined))
    // zzHostilePanel runs last: it leaves the preview panel open for the runner's webview checks.
    .sort((a, b) => Number(a.startsWith('zz')) - Number(b.startsWith('zz')) || a.localeCompare(b));
  for (const f of files) mocha.addFile(path.join(dir, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
  });
}
