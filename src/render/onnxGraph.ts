/**
 * Reads the graph inputs/outputs (names, element types, shapes) and the external-data file names
 * of an ONNX model straight from its protobuf, without loading weights or creating a session, so
 * that a model folder can be checked in milliseconds even when the UNet is gigabytes.
 *
 * Field numbers from onnx.proto: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5,
 * input = 11, output = 12; ValueInfoProto.name = 1, type = 2; TypeProto.tensor_type = 1;
 * Tensor.elem_type = 1, shape = 2; TensorShapeProto.dim = 1; Dimension.dim_value = 1,
 * dim_param = 2; TensorProto.name = 8, external_data = 13, data_location = 14;
 * StringStringEntryProto.key = 1, value = 2.
 */
import * as fs from 'node:fs';

/** Element type names as onnxruntime's `Tensor.Type` spells them. */
export type OnnxElemType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool' | 'string' | 'unknown';

/** One graph input or output. */
export interface OnnxValueInfo {
  readonly name: string;
  readonly type: OnnxElemType;
  /** Fixed sizes as numbers, symbolic ones as their names, unknown as ''. */
  readonly shape: ReadonlyArray<number | string>;
}

/** What `readOnnxSignature` finds. */
export interface OnnxSignature {
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** `location` of every initializer stored in external data, deduplicated. */
  readonly externalData: readonly string[];
}

/** The file is not an ONNX protobuf (text, truncated download, other format). */
export class OnnxFormatError extends Error {
  override readonly name = 'OnnxFormatError';
}

const ELEM_TYPES: Record<number, OnnxElemType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  16: 'bfloat16',
};

/** A positional reader over a file with a small window, so huge files are never read whole. */
class FileCursor {
  readonly #fd: number;
  readonly size: number;
  #buf = Buffer.alloc(1 << 16);
  #start = 0;
  #len = 0;

  constructor(fd: number, size: number) {
    this.#fd = fd;
    this.size = size;
  }

  byte(pos: number): number {
    if (pos < this.#start || pos >= this.#start + this.#len) {
      if (pos >= this.size) throw new OnnxFormatError('truncated protobuf');
      this.#start = pos;
      this.#len = fs.readSync(this.#fd, this.#buf, 0, this.#buf.length, pos);
    }
    return this.#buf[pos - this.#start]!;
  }

  bytes(pos: number, n: number): Buffer {
    if (pos + n > this.size) throw new OnnxFormatError('truncated protobuf');
    const out = Buffer.alloc(n);
    fs.readSync(this.#fd, out, 0, n, pos);
    return out;
  }
}

interface Field {
  readonly num: number;
  readonly wire: number;
  /** Varint value (wire 0) or, for LEN fields, the payload start. */
  readonly value: number;
  /** Payload length for LEN fields. */
  readonly len: number;
}

function readVarint(c: FileCursor, pos: number): [number, number] {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    const b = c.byte(pos++);
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [result, pos];
    mul *= 128;
  }
  throw new OnnxFormatError('malformed varint');
}

/** Iterates the fields of the message occupying [start, end). */
function* fields(c: FileCursor, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [key, p1] = readVarint(c, pos);
    const num = Math.floor(key / 8);
    const wire = key % 8;
    if (num === 0) throw new OnnxFormatError('field number 0');
    switch (wire) {
      case 0: {
        const [v, p2] = readVarint(c, p1);
        yield { num, wire, value: v, len: 0 };
        pos = p2;
        break;
      }
      case 1:
        pos = p1 + 8;
        break;
      case 2: {
        const [len, p2] = readVarint(c, p1);
        if (p2 + len > end) throw new OnnxFormatError('field runs past the end of its message');
        yield { num, wire, value: p2, len };
        pos = p2 + len;
        break;
      }
      case 5:
        pos = p1 + 4;
        break;
      default:
        throw new OnnxFormatError(`unsupported wire type ${wire}`);
    }
  }
  if (pos !== end) throw new OnnxFormatError('message overruns its length');
}

function str(c: FileCursor, f: Field): string {
  return c.bytes(f.value, f.len).toString('utf8');
}

function valueInfo(c: FileCursor, f: Field): OnnxValueInfo {
  let name = '';
  let type: OnnxElemType = 'unknown';
  const shape: Array<number | string> = [];
  for (const v of fields(c, f.value, f.value + f.len)) {
    if (v.num === 1 && v.wire === 2) name = str(c, v);
    else if (v.num === 2 && v.wire === 2) {
      for (const t of fields(c, v.value, v.value + v.len)) {
        if (t.num !== 1 || t.wire !== 2) continue;
        for (const tt of fields(c, t.value, t.value + t.len)) {
          if (tt.num === 1 && tt.wire === 0) type = ELEM_TYPES[tt.value] ?? 'unknown';
          else if (tt.num === 2 && tt.wire === 2) {
            for (const d of fields(c, tt.value, tt.value + tt.len)) {
              if (d.num !== 1 || d.wire !== 2) continue;
              let dim: number | string = '';
              for (const dd of fields(c, d.value, d.value + d.len)) {
                if (dd.num === 1 && dd.wire === 0) dim = dd.value;
                else if (dd.num === 2 && dd.wire === 2) dim = str(c, dd);
              }
              shape.push(dim);
            }
          }
        }
      }
    }
  }
  return { name, type, shape };
}

/** Reads the signature of the ONNX model at `file`; throws OnnxFormatError if it is not one. */
export function readOnnxSignature(file: string): OnnxSignature {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 16) throw new OnnxFormatError(`only ${size} bytes`);
    const c = new FileCursor(fd, size);
    let graph: Field | undefined;
    let irVersion: number | undefined;
    for (const f of fields(c, 0, size)) {
      if (f.num === 1 && f.wire === 0) irVersion = f.value;
      else if (f.num === 7 && f.wire === 2) graph = f;
    }
    if (irVersion === undefined || graph === undefined) throw new OnnxFormatError('no ir_version or graph field');
    const inputs: OnnxValueInfo[] = [];
    const outputs: OnnxValueInfo[] = [];
    const initializerNames = new Set<string>();
    const external = new Set<string>();
    for (const g of fields(c, graph.value, graph.value + graph.len)) {
      if (g.wire !== 2) continue;
      if (g.num === 11) inputs.push(valueInfo(c, g));
      else if (g.num === 12) outputs.push(valueInfo(c, g));
      else if (g.num === 5) {
        for (const t of fields(c, g.value, g.value + g.len)) {
          if (t.num === 8 && t.wire === 2) initializerNames.add(str(c, t));
          else if (t.num === 13 && t.wire === 2) {
            let key = '';
            let value = '';
            for (const e of fields(c, t.value, t.value + t.len)) {
              if (e.num === 1 && e.wire === 2) key = str(c, e);
              else if (e.num === 2 && e.wire === 2) value = str(c, e);
            }
            if (key === 'location') external.add(value);
          }
        }
      }
    }
    // IR < 4 lists initializers among the inputs; they are weights, not feeds.
    return { inputs: inputs.filter((i) => !initializerNames.has(i.name)), outputs, externalData: [...external] };
  } finally {
    fs.closeSync(fd);
  }
}
