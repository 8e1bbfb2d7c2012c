/**
 * Execution-provider choice for onnxruntime-node: `auto` tries CUDA (when its provider library is
 * installed), then WebGPU, then CPU; an explicit GPU request that cannot be met falls back to CPU.
 * Either way the caller's logger gets ONE message saying why and how to enable the GPU.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';

import { PROVIDER_REQUESTS, type ProviderRequest } from '../protocol/service';

// What the user asks for (setting `sprightLens.render.provider`, CLI `--provider`); the service
// protocol is their home.
export { PROVIDER_REQUESTS, type ProviderRequest };

/** What actually runs. */
export type ProviderName = 'cuda' | 'webgpu' | 'cpu';


/** Where the pipeline reports provider fallbacks and progress notes. */
export interface RenderLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** How to get the CUDA provider, appended to every CUDA fallback message. */
export const CUDA_HOWTO =
  'To render on an NVIDIA GPU, install the CUDA build of onnxruntime-node: run `npm run gpu:install` ' +
  '(it reinstalls onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 and needs network access to the ' +
  'onnxruntime CUDA download), with CUDA 12 and cuDNN 9 libraries on the library path.';

const WEBGPU_HOWTO =
  'WebGPU needs a Vulkan driver (libvulkan1 plus the GPU vendor driver; on a machine without a GPU, ' +
  'SwiftShader via VK_ICD_FILENAMES).';

/** The folder holding onnxruntime-node's native binding and provider libraries. */
export function onnxruntimeBinDir(): string | undefined {
  try {
    const pkg = require.resolve('onnxruntime-node/package.json');
    const base = path.join(path.dirname(pkg), 'bin');
    for (const napi of fs.readdirSync(base)) {
      const dir = path.join(base, napi, process.platform, process.arch);
      if (fs.existsSync(dir)) return dir;
    }
  } catch {
    // Not installed the usual way: treat as "no CUDA library found".
  }
  return undefined;
}

/** True when onnxruntime-node's CUDA provider library is installed next to the binding. */
export function cudaProviderInstalled(binDir = onnxruntimeBinDir()): boolean {
  if (!binDir) return false;
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return fs.existsSync(path.join(binDir, lib));
}

/**
 * The software Vulkan driver the environment selects (SwiftShader, lavapipe), if any: WebGPU then
 * runs on the CPU through an emulated GPU, slower than onnxruntime's own CPU provider.
 */
export function softwareVulkan(env: NodeJS.ProcessEnv): string | undefined {
  const icd = `${env.VK_ICD_FILENAMES ?? ''}:${env.VK_DRIVER_FILES ?? ''}`.toLowerCase();
  if (icd.includes('swiftshader')) return 'SwiftShader';
  if (icd.includes('lvp') || icd.includes('lavapipe')) return 'lavapipe';
  return undefined;
}

const VULKAN_LOADERS = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];
const VULKAN_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/**
 * On Linux, why WebGPU cannot work here before trying it (Dawn prints driver warnings to stderr
 * when it probes an empty system): no Vulkan loader, or no Vulkan driver manifest. Undefined when
 * a driver may be there (or on other platforms, where Dawn uses D3D12/Metal).
 */
export function webgpuUnavailable(env: NodeJS.ProcessEnv): string | undefined {
  if (process.platform !== 'linux') return undefined;
  if (!VULKAN_LOADERS.some((f) => fs.existsSync(f))) return 'no Vulkan loader (libvulkan1) installed';
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES) return undefined;
  const hasIcd = VULKAN_ICD_DIRS.some((d) => {
    try {
      return fs.readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
  return hasIcd ? undefined : 'no Vulkan driver installed (no ICD manifest in /usr/share/vulkan/icd.d)';
}

/** A provider's error message without onnxruntime's source location and assertion text. */
export function cleanReason(message: string): string {
  const line = message.split('\n').find((l) => l.trim()) ?? message;
  const afterAssert = /was false\.\s*(.+)$/.exec(line);
  let reason = afterAssert ? afterAssert[1]! : line.replace(/^\S+\.(cc|cpp|h):\d+\s+/, '');
  if (reason.length > 200) reason = reason.slice(0, 200) + '...';
  return reason;
}

/** The providers to try, in order, for a request. */
export function providerCandidates(request: ProviderRequest, cudaInstalled: boolean): ProviderName[] {
  switch (request) {
    case 'cpu':
      return ['cpu'];
    case 'webgpu':
      return ['webgpu', 'cpu'];
    case 'cuda':
      return ['cuda', 'cpu'];
    case 'auto':
      return cudaInstalled ? ['cuda', 'webgpu', 'cpu'] : ['webgpu', 'cpu'];
  }
}

/** onnxruntime session options' executionProviders entry for one provider. */
export function executionProviders(name: ProviderName, deviceId: number | undefined): InferenceSession.ExecutionProviderConfig[] {
  switch (name) {
    case 'cuda':
      return [{ name: 'cuda', deviceId: deviceId ?? 0 }];
    case 'webgpu':
      return ['webgpu'];
    case 'cpu':
      return ['cpu'];
  }
}

/** One line explaining a fallback from `from` (and why) to `to`. */
export function fallbackMessage(request: ProviderRequest, failures: ReadonlyArray<{ provider: ProviderName; reason: string }>, to: ProviderName): string {
  const parts = failures.map((f) => `${f.provider}: ${f.reason}`);
  const tried = request === 'auto' ? 'provider auto' : `provider ${request}`;
  const howto: string[] = [];
  if (failures.some((f) => f.provider === 'cuda') || (request === 'auto' && !failures.some((f) => f.provider === 'cuda'))) howto.push(CUDA_HOWTO);
  if (failures.some((f) => f.provider === 'webgpu')) howto.push(WEBGPU_HOWTO);
  return `Rendering on ${to.toUpperCase()} (${tried}; ${parts.join('; ')}). ${howto.join(' ')}`.trim();
}

const told = new Set<string>();

/** Logs `message` once per process (the fallback is the same for every render). */
export function tellOnce(logger: RenderLogger | undefined, message: string): void {
  if (told.has(message)) return;
  told.add(message);
  logger?.warn(message);
}
