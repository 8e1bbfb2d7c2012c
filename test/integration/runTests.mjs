// `npm run test:integration`: runs the mocha suite in test/integration/suite inside a real VS Code.
//  - With a desktop VS Code (VSCODE_EXECUTABLE=path, or SPRIGHT_TEST_ELECTRON=download where the
//    network allows), through @vscode/test-electron, the standard way.
//  - Otherwise, as on CI here, in code-server 4.100.3 (VS Code 1.100.3) driven by Debian's headless
//    Chromium through puppeteer-core (../shared/docs/vscode-offline.md). The browser also lets us
//    check the preview webview's DOM and take screenshots (saved to test-results/).
// Options: --vsix [FILE] installs that packaged extension instead of loading the source folder
// (FILE defaults to what `npm run package` writes: <name>-<version>-<platform>-<arch>.vsix).
// --untrusted opens the workspace with workspace trust on and the folder not trusted (restricted
// mode) and runs only suite/untrusted.test.js.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { installCodeServer } from './installCodeServer.mjs';
import { checkWebview } from './webviewChecks.mjs';
import { DRIVER_PREFIX, handleWebviewRequest } from './webviewDriver.mjs';
import { prepareWorkspace } from './workspace.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const testsIndex = path.join(root, 'out', 'test', 'integration', 'suite', 'index.js');
const resultsDir = path.join(root, 'test-results');
const TIMEOUT_MS = Number(process.env.SPRIGHT_INTEGRATION_TIMEOUT_MS ?? 8 * 60_000);

const args = process.argv.slice(2);
const vsixIndex = args.indexOf('--vsix');
const untrusted = args.includes('--untrusted');
function defaultVsix() {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  return path.join(root, `${pkg.name}-${pkg.version}-${process.platform}-${process.arch}.vsix`);
}
const vsixArg = vsixIndex >= 0 ? args[vsixIndex + 1] : undefined;
const vsix = vsixIndex < 0 ? null : vsixArg && !vsixArg.startsWith('--') ? path.resolve(vsixArg) : defaultVsix();

function log(msg) {
  process.stdout.write(`[integration] ${msg}\n`);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function runElectron(workspace, env) {
  const { runTests, downloadAndUnzipVSCode } = await import('@vscode/test-electron');
  const vscodeExecutablePath = process.env.VSCODE_EXECUTABLE || (await downloadAndUnzipVSCode());
  return runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    extensionTestsPath: testsIndex,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    extensionTestsEnv: env,
  });
}

async function runCodeServer(workspace, env) {
  const bin = installCodeServer({ log });
  const state = mkdtempSync(path.join(os.tmpdir(), 'spright-it-'));
  const children = [];
  let browser;
  const cleanup = async () => {
    if (browser) await browser.close().catch(() => undefined);
    for (const c of children) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    rmSync(state, { recursive: true, force: true });
  };
  try {
    mkdirSync(path.join(state, 'data', 'User'), { recursive: true });
    writeFileSync(
      path.join(state, 'data', 'User', 'settings.json'),
      JSON.stringify({
        'workbench.startupEditor': 'none',
        'extensions.autoCheckUpdates': false,
        'security.workspace.trust.enabled': untrusted,
        // Restricted mode without the modal "Do you trust the authors?" prompt and banner.
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'never',
      }),
    );
    const home = path.join(state, 'home');
    mkdirSync(home, { recursive: true });
    const baseEnv = {
      ...process.env,
      ...env,
      ...(untrusted ? { SPRIGHT_TEST_UNTRUSTED: '1' } : {}),
      // The suite may act in the webview's DOM through this runner (webviewDriver.mjs).
      SPRIGHT_WEBVIEW_DRIVER: '1',
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local', 'share'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
    };
    const common = ['--user-data-dir', path.join(state, 'data'), '--extensions-dir', path.join(state, 'exts')];
    let devPath = root;
    if (vsix) {
      if (!existsSync(vsix)) throw new Error(`--vsix: no such file ${vsix} (run 'npm run package' first)`);
      // The suite checks that the extension it drives is the installed one, not this checkout.
      baseEnv.SPRIGHT_TEST_VSIX = vsix;
      log(`installing ${path.relative(root, vsix)} into code-server`);
      await new Promise((resolve, reject) => {
        const p = spawn(bin, [...common, '--install-extension', vsix], { env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (out += d));
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`--install-extension failed (${code}):\n${out}`))));
      });
      // The installed extension is the one under test; the development path is an empty host.
      devPath = path.join(state, 'host-ext');
      mkdirSync(devPath);
      writeFileSync(
        path.join(devPath, 'package.json'),
        JSON.stringify({ name: 'spright-lens-test-host', publisher: 'test', version: '0.0.0', engines: { vscode: '^1.100.0' } }),
      );
    }
    const port = await freePort();
    const server = spawn(
      bin,
      [
        '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', ...common,
        '--disable-telemetry', '--disable-update-check', ...(untrusted ? [] : ['--disable-workspace-trust']),
        '--disable-getting-started-override', '--ignore-last-opened',
      ],
      { env: baseEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(server);
    let serverLog = '';
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`code-server did not start in 60 s:\n${serverLog}`)), 60_000);
      const onData = (d) => {
        serverLog += d;
        if (serverLog.includes('HTTP server listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      server.stdout.on('data', onData);
      server.stderr.on('data', onData);
      server.on('exit', (code) => reject(new Error(`code-server exited early (${code}):\n${serverLog}`)));
    });
    log(`code-server listening on 127.0.0.1:${port}`);

    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(state, 'chromium')}`,
        '--window-size=1400,900',
      ],
      defaultViewport: { width: 1400, height: 900 },
    });
    const page = await browser.newPage();
    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      // Mocha's reporter logs printf-style ('%s%s', ...): format it as console.log would.
      const text = format(...(Array.isArray(args) ? args : [args]));
      if (/ENOTFOUND open-vsx\.org/.test(text)) return;
      if (text.startsWith(DRIVER_PREFIX)) {
        void handleWebviewRequest(page, text, { workspace, log });
        return;
      }
      process.stdout.write(`${text}\n`);
    });
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(devPath)],
      ['extensionTestsPath', remote(testsIndex)],
      ['skipWelcome', 'true'],
    ];
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    const timeout = new Promise((r) => setTimeout(() => r('timeout'), TIMEOUT_MS));
    const code = await Promise.race([exited, timeout]);
    mkdirSync(resultsDir, { recursive: true });
    if (code === 'timeout') {
      await page.screenshot({ path: path.join(resultsDir, 'integration-timeout.png') }).catch(() => undefined);
      throw new Error(`the integration suite did not finish in ${TIMEOUT_MS / 1000} s (screenshot in test-results/)`);
    }
    // The suite leaves the preview panel open on a hostile prompt: check the real webview DOM.
    let webviewFailures = [];
    if (code === 0 && !untrusted && !process.env.SPRIGHT_SKIP_WEBVIEW_CHECKS) {
      webviewFailures = await checkWebview(page, { resultsDir, log, suffix: vsix ? '-vsix' : '' });
    } else {
      await page.screenshot({ path: path.join(resultsDir, `workbench${vsix ? '-vsix' : ''}.png`) }).catch(() => undefined);
    }
    for (const f of webviewFailures) log(`webview check failed: ${f}`);
    return code === 0 && webviewFailures.length === 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
}

async function main() {
  if (!existsSync(testsIndex)) {
    throw new Error(`${path.relative(root, testsIndex)} is missing: run 'npm run build' first`);
  }
  const { workspace, env } = prepareWorkspace(root);
  const started = Date.now();
  try {
    const useElectron = process.env.VSCODE_EXECUTABLE || process.env.SPRIGHT_TEST_ELECTRON === 'download';
    if (useElectron && vsix) throw new Error('--vsix runs in code-server only: unset VSCODE_EXECUTABLE and SPRIGHT_TEST_ELECTRON');
    log(useElectron ? 'running in desktop VS Code (@vscode/test-electron)' : `running in code-server${vsix ? ` with ${path.basename(vsix)}` : ''}`);
    const code = useElectron ? await runElectron(workspace, env) : await runCodeServer(workspace, env);
    log(`${code === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return code;
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`[integration] ${err.stack ?? err}\n`);
    process.exit(1);
  },
);
