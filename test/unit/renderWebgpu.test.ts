import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GaussianRandom, loadPipeline, type GenerateParams } from '../../src/render';
import { loadableCopy, maxAbsDiff, tinyVariants } from './renderFixture';

/**
 * The GPU code path in CI: onnxruntime-node's WebGPU provider runs on this CPU-only machine
 * through Dawn's Vulkan backend on SwiftShader (Chromium's software Vulkan driver). The WebGPU
 * render runs in a child process with VK_ICD_FILENAMES and a private XDG_RUNTIME_DIR; its final
 * latents and image must match the CPU provider's.
 *
 * Tolerance: both providers compute in float32 but with different kernels (tiled matmuls,
 * WGSL's exp/tanh), so results differ by float32 rounding, which the few steps amplify a little.
 * 1e-3 on the [0, 1] image is 1/4 of one 8-bit level; a wrong kernel or transposed tensor would
 * be off by 1e-1.
 */
const ICD = process.env.SPRIGHT_VK_ICD ?? '/usr/lib/chromium/vk_swiftshader_icd.json';
const LOADER = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'];
const CHILD = process.env.SPRIGHT_WEBGPU_CHILD;

const variant = tinyVariants().includes('vpred-fp32') ? 'vpred-fp32' : tinyVariants()[0];
function skipReason(): string | false {
  if (process.platform !== 'linux') return 'the SwiftShader WebGPU check runs on Linux';
  if (!variant) return 'no test/fixtures/sd-tiny fixtures';
  if (!LOADER.some((f) => fs.existsSync(f))) return 'no Vulkan loader (apt-get install -y libvulkan1)';
  if (!fs.existsSync(ICD)) return `no SwiftShader Vulkan ICD at ${ICD} (apt-get install -y chromium, or set SPRIGHT_VK_ICD)`;
  return false;
}

// Small on purpose: SwiftShader compiles every shader on first use, which dominates the time.
const PARAMS: GenerateParams = { prompt: 'a red cube to the left of a blue sphere', steps: 2, guidanceScale: 1, seed: 9, width: 64, height: 64, scheduler: 'euler' };

async function render(dir: string, provider: 'cpu' | 'webgpu'): Promise<{ provider: string; latents: number[]; image: number[] }> {
  const p = await loadPipeline(dir, { provider });
  try {
    let latents: Float32Array = new Float32Array(0);
    // The same initial latents on both sides (from the seeded generator).
    const init = new GaussianRandom(PARAMS.seed).gaussian(4 * 8 * 8);
    const r = await p.generate({ ...PARAMS, latents: init }, { onLatents: (_i, l) => (latents = Float32Array.from(l)) });
    return { provider: p.provider, latents: [...latents], image: [...r.imageFloat] };
  } finally {
    await p.dispose();
  }
}

if (CHILD) {
  // Child mode: render on WebGPU and write the result where the parent asked.
  const [dir, out] = CHILD.split('\n') as [string, string];
  render(dir, 'webgpu').then(
    (r) => fs.writeFileSync(out, JSON.stringify(r)),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  test('WebGPU (Dawn on SwiftShader Vulkan) renders the tiny model like the CPU provider', { skip: skipReason(), timeout: 600_000 }, async () => {
    const dir = loadableCopy(variant!);
    const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'xdg-'));
    fs.chmodSync(runtime, 0o700);
    const out = path.join(runtime, 'webgpu.json');
    try {
      const child = spawnSync(process.execPath, [process.argv[1]!], {
        env: { ...process.env, SPRIGHT_WEBGPU_CHILD: `${dir}\n${out}`, VK_ICD_FILENAMES: ICD, XDG_RUNTIME_DIR: runtime, NODE_TEST_CONTEXT: '' },
        encoding: 'utf8',
        timeout: 540_000,
      });
      assert.equal(child.status, 0, `WebGPU child failed (${child.signal ?? child.status}):\n${child.stderr.slice(-3000)}`);
      const gpu = JSON.parse(fs.readFileSync(out, 'utf8')) as { provider: string; latents: number[]; image: number[] };
      assert.equal(gpu.provider, 'webgpu', 'the pipeline fell back instead of running on WebGPU');
      const cpu = await render(dir, 'cpu');
      const lat = maxAbsDiff(gpu.latents, cpu.latents);
      const img = maxAbsDiff(gpu.image, cpu.image);
      assert.ok(lat.diff <= 1e-3 * Math.max(1, lat.scale), `latents differ by ${lat.diff}`);
      assert.ok(img.diff <= 1e-3, `image differs by ${img.diff}`);
      process.stdout.write(`# webgpu vs cpu: latents max |diff| ${lat.diff.toExponential(2)}, image ${img.diff.toExponential(2)}\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(runtime, { recursive: true, force: true });
    }
  });
}
