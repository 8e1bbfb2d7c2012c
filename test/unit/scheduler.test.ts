import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alphasCumprod, createScheduler, makeBetas, SCHEDULER_NAMES, SchedulerConfigError, type SchedulerConfig, type SchedulerName } from '../../src/render';

/**
 * Values recorded from diffusers 0.39.0 (DDIMScheduler, EulerDiscreteScheduler,
 * EulerAncestralDiscreteScheduler, DPMSolverMultistepScheduler) with SD's schedule
 * (scaled_linear 0.00085..0.012, steps_offset 1, clip_sample False, set_alpha_to_one False),
 * 7 steps, x = [0.5, -1, 2, 0.1] * init_noise_sigma, model(x_in, i) = 0.3 * x_in + off * (i + 1)
 * with off = [0.1, 0.2, -0.3, 0.05], and for euler_a the noise of step i replaced by
 * [0.3, -0.2, 0.1, 0.4] * (i + 1) / 7.
 */
const DIFFUSERS: Record<string, { timesteps: number[]; sigmas: number[] | null; init: number; final: number[] }> = {
  'ddim/epsilon/leading': { timesteps: [853.0, 711.0, 569.0, 427.0, 285.0, 143.0, 1.0], sigmas: null, init: 1.0, final: [0.573396444, -5.560983181, 10.018421173, -0.216385111] },
  'euler/epsilon/leading': { timesteps: [853.0, 711.0, 569.0, 427.0, 285.0, 143.0, 1.0], sigmas: [6.570652008, 3.485456467, 2.047312737, 1.272063494, 0.790061533, 0.440309584, 0.041314479, 0.0], init: 6.646312713623047, final: [0.548114955, -5.555516243, 9.996211052, -0.22482349] },
  'euler_a/epsilon/leading': { timesteps: [853.0, 711.0, 569.0, 427.0, 285.0, 143.0, 1.0], sigmas: [6.570652008, 3.485456467, 2.047312737, 1.272063494, 0.790061533, 0.440309584, 0.041314479, 0.0], init: 6.646312713623047, final: [0.061876614, -5.462641239, 9.091388702, -0.001181726] },
  'dpmpp_2m/epsilon/leading': { timesteps: [876.0, 751.0, 626.0, 501.0, 376.0, 251.0, 126.0], sigmas: [7.371846676, 4.116698265, 2.510922432, 1.623692989, 1.076031566, 0.69839859, 0.402218312, 0.0], init: 1.0, final: [0.280309767, -6.170318127, 10.938209534, -0.364665389] },
  'ddim/epsilon/trailing': { timesteps: [999.0, 856.0, 713.0, 570.0, 428.0, 285.0, 142.0], sigmas: null, init: 1.0, final: [1.107543945, -9.99915123, 18.052284241, -0.362295926] },
  'euler/epsilon/trailing': { timesteps: [999.0, 856.0, 713.0, 570.0, 428.0, 285.0, 142.0], sigmas: [14.614646912, 6.668572903, 3.513879299, 2.054476738, 1.276235819, 0.790061533, 0.43806231, 0.0], init: 14.614646911621094, final: [1.083338261, -10.038683891, 18.109365463, -0.373732865] },
  'euler_a/epsilon/trailing': { timesteps: [999.0, 856.0, 713.0, 570.0, 428.0, 285.0, 142.0], sigmas: [14.614646912, 6.668572903, 3.513879299, 2.054476738, 1.276235819, 0.790061533, 0.43806231, 0.0], init: 14.614646911621094, final: [0.118809372, -9.157559395, 15.264657021, -0.009364277] },
  'dpmpp_2m/epsilon/trailing': { timesteps: [999.0, 856.0, 713.0, 570.0, 428.0, 285.0, 142.0], sigmas: [14.614646912, 6.668572903, 3.513879299, 2.054476738, 1.276235819, 0.790061533, 0.43806231, 0.0], init: 1.0, final: [0.735950649, -9.590593338, 17.151514053, -0.461711675] },
  'ddim/epsilon/linspace': { timesteps: [999.0, 832.0, 666.0, 500.0, 333.0, 166.0, 0.0], sigmas: null, init: 1.0, final: [1.119574904, -7.854279518, 14.304774284, -0.197219759] },
  'euler/epsilon/linspace': { timesteps: [999.0, 832.5, 666.0, 499.5, 333.0, 166.5, 0.0], sigmas: [14.614646912, 5.948918343, 2.918308496, 1.61558342, 0.932358325, 0.493553519, 0.029167533, 0.0], init: 14.614646911621094, final: [1.323447466, -9.823430061, 17.85272789, -0.273550689] },
  'euler_a/epsilon/linspace': { timesteps: [999.0, 832.5, 666.0, 499.5, 333.0, 166.5, 0.0], sigmas: [14.614646912, 5.948918343, 2.918308496, 1.61558342, 0.932358325, 0.493553519, 0.029167533, 0.0], init: 14.614646911621094, final: [0.367524564, -8.858701706, 15.04588604, -0.039301403] },
  'dpmpp_2m/epsilon/linspace': { timesteps: [999.0, 856.0, 714.0, 571.0, 428.0, 285.0, 143.0], sigmas: [14.614646912, 6.668572903, 3.528204679, 2.061671734, 1.276235819, 0.790061533, 0.440309584, 0.0], init: 1.0, final: [0.734698415, -9.593038559, 17.155170441, -0.462333441] },
  'ddim/v_prediction/leading': { timesteps: [853.0, 711.0, 569.0, 427.0, 285.0, 143.0, 1.0], sigmas: null, init: 1.0, final: [-0.199493825, -1.470880508, 2.474293709, -0.180138871] },
  'euler/v_prediction/leading': { timesteps: [853.0, 711.0, 569.0, 427.0, 285.0, 143.0, 1.0], sigmas: [6.570652008, 3.485456467, 2.047312737, 1.272063494, 0.790061533, 0.440309584, 0.041314479, 0.0], init: 6.646312713623047, final: [-0.21807158, -1.497790217, 2.512097359, -0.18865931] },
  'euler_a/v_prediction/leading': { timesteps: [853.0, 711.0, 569.0, 427.0, 285.0, 143.0, 1.0], sigmas: [6.570652008, 3.485456467, 2.047312737, 1.272063494, 0.790061533, 0.440309584, 0.041314479, 0.0], init: 6.646312713623047, final: [-0.365522504, -1.299182773, 1.869991064, -0.054238092] },
  'dpmpp_2m/v_prediction/leading': { timesteps: [876.0, 751.0, 626.0, 501.0, 376.0, 251.0, 126.0], sigmas: [7.371846676, 4.116698265, 2.510922432, 1.623692989, 1.076031566, 0.69839859, 0.402218312, 0.0], init: 1.0, final: [-0.29826358, -1.785842657, 2.976092339, -0.238330439] },
  'ddim/v_prediction/trailing': { timesteps: [999.0, 856.0, 713.0, 570.0, 428.0, 285.0, 142.0], sigmas: null, init: 1.0, final: [-0.314902961, -1.669067502, 2.763416767, -0.235396087] },
  'euler/v_prediction/trailing': { timesteps: [999.0, 856.0, 713.0, 570.0, 428.0, 285.0, 142.0], sigmas: [14.614646912, 6.668572903, 3.513879299, 2.054476738, 1.276235819, 0.790061533, 0.43806231, 0.0], init: 14.614646911621094, final: [-0.335486174, -1.679525971, 2.771427631, -0.2433846] },
  'euler_a/v_prediction/trailing': { timesteps: [999.0, 856.0, 713.0, 570.0, 428.0, 285.0, 142.0], sigmas: [14.614646912, 6.668572903, 3.513879299, 2.054476738, 1.276235819, 0.790061533, 0.43806231, 0.0], init: 14.614646911621094, final: [-0.441401362, -1.483678818, 2.10194993, -0.053580992] },
  'dpmpp_2m/v_prediction/trailing': { timesteps: [999.0, 856.0, 713.0, 570.0, 428.0, 285.0, 142.0], sigmas: [14.614646912, 6.668572903, 3.513879299, 2.054476738, 1.276235819, 0.790061533, 0.43806231, 0.0], init: 1.0, final: [-0.341030002, -1.82414484, 3.021739006, -0.256171376] },
  'ddim/v_prediction/linspace': { timesteps: [999.0, 832.0, 666.0, 500.0, 333.0, 166.0, 0.0], sigmas: null, init: 1.0, final: [-0.117347449, -1.436525226, 2.455245733, -0.148810998] },
  'euler/v_prediction/linspace': { timesteps: [999.0, 832.5, 666.0, 499.5, 333.0, 166.5, 0.0], sigmas: [14.614646912, 5.948918343, 2.918308496, 1.61558342, 0.932358325, 0.493553519, 0.029167533, 0.0], init: 14.614646911621094, final: [-0.267523021, -1.519788384, 2.525868177, -0.207617193] },
  'euler_a/v_prediction/linspace': { timesteps: [999.0, 832.5, 666.0, 499.5, 333.0, 166.5, 0.0], sigmas: [14.614646912, 5.948918343, 2.918308496, 1.61558342, 0.932358325, 0.493553519, 0.029167533, 0.0], init: 14.614646911621094, final: [-0.403233856, -1.28368783, 1.831827044, -0.072325692] },
  'dpmpp_2m/v_prediction/linspace': { timesteps: [999.0, 856.0, 714.0, 571.0, 428.0, 285.0, 143.0], sigmas: [14.614646912, 6.668572903, 3.528204679, 2.061671734, 1.276235819, 0.790061533, 0.440309584, 0.0], init: 1.0, final: [-0.341293901, -1.823153138, 3.019870996, -0.256189376] },};

const SD: SchedulerConfig = { num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', steps_offset: 1, clip_sample: false, set_alpha_to_one: false };

function runSynthetic(name: SchedulerName, config: SchedulerConfig, steps: number): { final: Float32Array; timesteps: readonly number[]; sigmas: readonly number[] | null; init: number } {
  const s = createScheduler(name, config, steps);
  let x: Float32Array = Float32Array.from([0.5, -1, 2, 0.1], (v) => v * s.initNoiseSigma);
  const off = [0.1, 0.2, -0.3, 0.05];
  for (let i = 0; i < s.timesteps.length; i++) {
    const xin = s.scaleModelInput(x, i);
    const m = Float32Array.from(xin, (v, k) => 0.3 * v + off[k]! * (i + 1));
    x = s.step(m, i, x, (len, step) => {
      assert.equal(step, i);
      return Float32Array.from({ length: len }, (_, k) => ([0.3, -0.2, 0.1, 0.4][k]! * (step + 1)) / 7);
    });
  }
  return { final: x, timesteps: s.timesteps, sigmas: s.sigmas, init: s.initNoiseSigma };
}

function close(actual: number, expected: number, rel: number, what: string): void {
  const tol = rel * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs diffusers ${expected} (tol ${tol})`);
}

for (const [key, ref] of Object.entries(DIFFUSERS)) {
  const [name, prediction, spacing] = key.split('/') as [SchedulerName, string, string];
  test(`scheduler ${key} matches diffusers (timesteps exact, sigmas and 7-step result)`, () => {
    const got = runSynthetic(name, { ...SD, prediction_type: prediction, timestep_spacing: spacing }, 7);
    assert.deepEqual([...got.timesteps].map((t) => Math.fround(t)), ref.timesteps.map((t) => Math.fround(t)));
    if (ref.sigmas) {
      assert.ok(got.sigmas);
      assert.equal(got.sigmas.length, ref.sigmas.length);
      ref.sigmas.forEach((s, i) => close(got.sigmas![i]!, s, 1e-6, `sigma[${i}]`));
    }
    close(got.init, ref.init, 1e-6, 'init_noise_sigma');
    // Seven steps in float32 (diffusers) vs mixed float32/float64 here: 1e-4 relative.
    ref.final.forEach((v, i) => close(got.final[i]!, v, 1e-4, `final[${i}]`));
  });
}

test('SD schedule: published sigma range 0.0292..14.6146 and known DDIM/DPM timesteps', () => {
  const ac = alphasCumprod(makeBetas(SD));
  const sigma = (t: number): number => Math.sqrt((1 - ac[t]!) / ac[t]!);
  close(sigma(999), 14.6146, 1e-4, 'sigma_max');
  close(sigma(0), 0.0292, 1e-2, 'sigma_min');
  const ddim = createScheduler('ddim', { ...SD, timestep_spacing: 'leading' }, 50);
  assert.equal(ddim.timesteps[0], 981);
  assert.equal(ddim.timesteps[49], 1);
  const dpm = createScheduler('dpmpp_2m', { ...SD, timestep_spacing: 'linspace' }, 20);
  assert.deepEqual(dpm.timesteps, [999, 949, 899, 849, 799, 749, 699, 649, 599, 549, 500, 450, 400, 350, 300, 250, 200, 150, 100, 50]);
});

test('beta schedules: linear endpoints, squaredcos_cap_v2 capped at 0.999 and increasing', () => {
  const lin = makeBetas({ beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02, num_train_timesteps: 1000 });
  close(lin[0]!, 0.0001, 1e-6, 'first');
  close(lin[999]!, 0.02, 1e-6, 'last');
  const cos = makeBetas({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });
  assert.equal(cos[999], Math.fround(0.999));
  for (let i = 1; i < 1000; i++) assert.ok(cos[i]! >= cos[i - 1]!, `cos betas not increasing at ${i}`);
  const zsnr = alphasCumprod(lin, true);
  assert.equal(zsnr[999], 0);
});

/**
 * With an oracle denoiser (it knows x0 and returns the exact epsilon / v for the current noisy
 * sample), every deterministic scheduler must land on x0: DDIM's last alpha_prev is 1, the sigma
 * schedulers end at sigma 0, and DPM-Solver++'s second-order correction vanishes for a constant x0.
 */
for (const name of SCHEDULER_NAMES) {
  for (const prediction of ['epsilon', 'v_prediction'] as const) {
    test(`${name} (${prediction}) with an oracle denoiser ends at x0`, () => {
      const config: SchedulerConfig = { ...SD, set_alpha_to_one: true, prediction_type: prediction, timestep_spacing: 'trailing' };
      const s = createScheduler(name, config, 12);
      const ac = alphasCumprod(makeBetas(config));
      const x0 = Float32Array.from([0.7, -0.4, 0.1, -0.9, 0.3]);
      let x: Float32Array = Float32Array.from([1.2, -0.5, 0.3, 0.8, -1.1], (v) => v * s.initNoiseSigma);
      for (let i = 0; i < s.timesteps.length; i++) {
        // Express the current sample in variance-preserving form: x_vp = alpha * x0 + sigma_vp * eps.
        let alpha: number;
        let sigmaVp: number;
        let xvp: Float32Array;
        if (s.sigmas) {
          const sig = s.sigmas[i]!;
          alpha = 1 / Math.sqrt(sig * sig + 1);
          sigmaVp = sig * alpha;
          // Euler's samples live in sigma space (x0 + sigma * eps); DPM-Solver's are already VP.
          xvp = name === 'dpmpp_2m' ? x : Float32Array.from(x, (v) => v * alpha);
        } else {
          const a = ac[s.timesteps[i]!]!;
          alpha = Math.sqrt(a);
          sigmaVp = Math.sqrt(1 - a);
          xvp = x;
        }
        const eps = Float32Array.from(xvp, (v, k) => (v - alpha * x0[k]!) / sigmaVp);
        const out = prediction === 'epsilon' ? eps : Float32Array.from(eps, (e, k) => alpha * e - sigmaVp * x0[k]!);
        x = s.step(out, i, x, (len) => new Float32Array(len).fill(0.5));
      }
      x0.forEach((v, k) => close(x[k]!, v, 2e-4, `x[${k}]`));
    });
  }
}

test('bad scheduler config values give a clear SchedulerConfigError', () => {
  assert.throws(() => createScheduler('ddim', { ...SD, beta_schedule: 'sigmoid' }, 10), (e: unknown) => e instanceof SchedulerConfigError && /beta_schedule 'sigmoid'/.test((e as Error).message));
  assert.throws(() => createScheduler('euler', { ...SD, prediction_type: 'flow' }, 10), /prediction_type 'flow'/);
  assert.throws(() => createScheduler('euler', { ...SD, timestep_spacing: 'karras' }, 10), /timestep_spacing 'karras'/);
  assert.throws(() => createScheduler('dpmpp_2m', { ...SD, algorithm_type: 'sde-dpmsolver++' }, 10), /algorithm_type/);
  assert.throws(() => createScheduler('ddim', SD, 0), /steps must be a positive integer/);
  assert.throws(() => createScheduler('ddim', SD, 2000), /cannot exceed/);
});
