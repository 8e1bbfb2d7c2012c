cd /work/wt/realsize
node -e '
const b = require("./out/bench/render.js");
const o = { model: "/work/cache/sd21-random/onnx", diffusers: "/work/cache/sd21-random/diffusers",
  python: "/work/venv/parity/bin/python", steps: 2, width: 512, height: 512, threads: 2,
  cliMemory: undefined, rounds: 1, minAvailableGiB: 10, log: (l) => process.stderr.write(l + "\n") };
b.compareRender(o).then((rounds) => {
  process.stdout.write("real-size comparison: 512x512, 2 steps, DDIM, guidance 7.5, 2 threads, CPU, 1 round\n" + b.compareTable(rounds) + "\n" + JSON.stringify(rounds) + "\n");
}).catch((e) => { process.stderr.write(String(e.stack) + "\n"); process.exitCode = 1; });
'
