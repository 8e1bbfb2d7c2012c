// `npm run gpu:install`: reinstalls onnxruntime-node with its CUDA 12 execution provider.
//
// onnxruntime-node's npm package ships CPU and WebGPU only; its install script downloads the CUDA
// provider libraries (libonnxruntime_providers_cuda.so, ~hundreds of MB) from the onnxruntime
// GitHub release when ONNXRUNTIME_NODE_INSTALL=cuda12 is set at install time. This needs network
// access to that download, and at run time an NVIDIA driver plus CUDA 12 and cuDNN 9 libraries on
// the library path. Without it, provider `auto` falls back to WebGPU or CPU and says so.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const pkg = path.join(root, 'node_modules', 'onnxruntime-node');

function cudaLib() {
  const bin = path.join(pkg, 'bin');
  if (!existsSync(bin)) return undefined;
  for (const napi of readdirSync(bin)) {
    const lib = path.join(bin, napi, process.platform, process.arch, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so');
    if (existsSync(lib)) return lib;
  }
  return undefined;
}

if (process.platform !== 'linux' && process.platform !== 'win32') {
  console.error(`gpu:install: the CUDA build of onnxruntime-node exists for Linux and Windows x64 only (this is ${process.platform}); WebGPU (provider webgpu) is the GPU path here.`);
  process.exit(2);
}
const already = cudaLib();
if (!existsSync(path.join(pkg, 'script', 'install.js'))) {
  console.error(`gpu:install: onnxruntime-node is not installed at ${pkg}; run npm install first.`);
  process.exit(2);
}
if (already && !process.argv.includes('--force')) {
  console.log(`gpu:install: the CUDA provider is already installed (${already}); use --force to reinstall.`);
  process.exit(0);
}
console.log('gpu:install: reinstalling onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12');
console.log('  (downloads the CUDA 12 provider from the onnxruntime GitHub release: needs network access to it)');
// Run onnxruntime-node's own install script (what `npm install` runs) with the CUDA flag; the
// environment variable is what it reads (package.json allowScripts keeps npm from running it).
const r = spawnSync(process.execPath, [path.join(pkg, 'script', 'install.js')], {
  cwd: pkg,
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
});
if (r.status !== 0) {
  console.error('gpu:install: the onnxruntime-node install script failed (see above). Without network access to the onnxruntime CUDA download, copy the provider libraries next to the binding by hand, or keep using provider webgpu/cpu.');
  process.exit(r.status ?? 1);
}
const lib = cudaLib();
if (!lib) {
  console.error('gpu:install: install finished but no CUDA provider library was found; check the messages above.');
  process.exit(1);
}
console.log(`gpu:install: done (${lib}). It needs an NVIDIA driver plus CUDA 12 and cuDNN 9 libraries at run time; render with --provider cuda or auto.`);
