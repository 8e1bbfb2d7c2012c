/** `spright-lens detect`: object boxes in PNG images, as JSON lines, through the inference service. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { mapToDetectorLabel } from '../../evaluate/vocabulary';
import type { Detection } from '../../protocol/geometry';
import type { DetectorSpec } from '../../protocol/service';
import { parseDetectorSpec, parseFlags, parseThreshold } from '../args';
import type { CliContext, Command } from '../command';
import { InputError, UsageError } from '../command';
import { cliError, inProcessService } from '../service';
import { ServiceRequestError } from '../../service';

const USAGE = `Usage: spright-lens detect IMAGE... [--labels a,b] [--detector embedded|owlvit:DIR] [--threshold T]

Detects objects in PNG images and prints one JSON line per detection:
  {"image": "<path as given>", "label": "cat", "score": 0.5731, "x": 12.5, "y": 3, "w": 240.2, "h": 160}
x, y = top-left corner, w, h = size, in pixels of the image (y grows downward), rounded to 0.1 px;
score rounded to 4 decimals. Lines come image by image, highest score first; an image with no
detection prints no line.

Options:
  -l, --labels a,b          only these objects. Prompt nouns are mapped to the detector's names
                            (sofa -> couch, woman -> person, ...); a name the detector cannot know
                            is reported on stderr and skipped. Required for owlvit.
  -d, --detector SPEC       embedded (default): NanoDet, 80 COCO classes, on the CPU via WASM.
                            owlvit:DIR: OWL-ViT exported with
                            \`optimum-cli export onnx --model google/owlvit-base-patch32 DIR\`
                            (open vocabulary, queries "a photo of a {label}", VISOR's detector).
  -t, --threshold T         report detections scoring above T, 0..1 (default 0.3 embedded, 0.1 owlvit as in VISOR).
  -h, --help                this help

Exit status: 0 when every image was processed; 2 for bad arguments, a missing or unreadable image,
or a missing model (run \`npm run fetch-models\` for the embedded one).

Examples:
  spright-lens detect photo.png
  spright-lens detect out/*.png --labels "dog,sofa" --threshold 0.4
  spright-lens detect img.png --detector owlvit:models/owlvit --labels "cat,laptop"
`;

/** One output line. */
export interface DetectLine {
  image: string;
  label: string;
  score: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** Formats one detection as an output record (rounded as documented in the usage). */
export function toLine(image: string, d: Detection): DetectLine {
  return { image, label: d.label, score: round(d.score, 4), x: round(d.x, 1), y: round(d.y, 1), w: round(d.w, 1), h: round(d.h, 1) };
}

const command: Command = {
  name: 'detect',
  summary: 'detect objects in PNG images (NanoDet embedded, or OWL-ViT): JSON lines with boxes in pixels',
  usage: USAGE,
  async run(argv: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseFlags({
      args: argv,
      options: {
        labels: { type: 'string', short: 'l' },
        detector: { type: 'string', short: 'd', default: 'embedded' },
        threshold: { type: 'string', short: 't' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length === 0) throw new UsageError('no images: pass one or more PNG files');
    const spec: DetectorSpec = parseDetectorSpec(values.detector ?? 'embedded', ctx.cwd);
    const threshold = parseThreshold(values.threshold);
    const labels = values.labels?.split(',').map((s) => s.trim()).filter(Boolean);
    if (values.labels !== undefined && (!labels || labels.length === 0)) throw new UsageError('--labels is empty; give comma-separated object names');
    if (spec.kind === 'owlvit' && !labels) throw new UsageError('--detector owlvit needs --labels: an open-vocabulary detector has nothing to look for otherwise');

    // Check every image exists before paying for the model, so a typo fails fast.
    for (const image of positionals) {
      const stat = await fs.stat(path.resolve(ctx.cwd, image)).catch(() => null);
      if (!stat) throw new InputError(`${image}: no such file`);
      if (!stat.isFile()) throw new InputError(`${image}: is not a file`);
    }

    const service = inProcessService(ctx);
    try {
      for (const [n, image] of positionals.entries()) {
        if (ctx.signal.aborted) return 130;
        let result;
        try {
          result = await service.call('detect', { imagePath: path.resolve(ctx.cwd, image), labels, detector: spec, threshold }, { signal: ctx.signal });
        } catch (err) {
          if (err instanceof ServiceRequestError && err.remoteName === 'ImageFormatError') throw new InputError(`${image}: ${err.message} (only PNG images are supported)`);
          if (err instanceof ServiceRequestError && err.code === 'EISDIR') throw new InputError(`${image}: is a folder, not an image`);
          throw cliError(err);
        }
        if (n === 0 && labels) {
          for (const l of labels.filter((x) => mapToDetectorLabel(x, result.vocabulary) === null)) {
            ctx.stderr.write(`spright-lens detect: '${l}' is not in the vocabulary of ${result.detector}; skipped\n`);
          }
        }
        ctx.stdout.write(result.detections.map((d) => JSON.stringify(toLine(image, d)) + '\n').join(''));
      }
    } finally {
      service.dispose();
    }
    return 0;
  },
};
export default command;
