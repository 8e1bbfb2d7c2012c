/**
 * Raster images shared by rendering, detection and reports: RGBA pixels, PNG in and out
 * (with tEXt metadata chunks), and resizing.
 */
import { PNG } from 'pngjs';
import { encode as jpegEncode } from 'jpeg-js';

/** An 8-bit RGBA image, row-major, top-left origin. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** width * height * 4 bytes. */
  readonly data: Uint8Array;
}

/** Thrown for bytes that are not a PNG we can read. */
export class ImageFormatError extends Error {
  override readonly name = 'ImageFormatError';
}

export function createImage(width: number, height: number): RgbaImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  return { width, height, data: new Uint8Array(width * height * 4) };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, 8).equals(PNG_SIGNATURE);
}

/** Decodes a PNG (any bit depth / colour type pngjs reads) into RGBA. */
export function decodePng(bytes: Uint8Array): RgbaImage {
  if (!isPng(bytes)) throw new ImageFormatError('not a PNG file (bad signature)');
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  } catch (err) {
    throw new ImageFormatError(pngProblem(bytes, (err as Error).message));
  }
}

/**
 * What is wrong with a PNG that pngjs refused, in words a person can act on; pngjs's own messages
 * describe its stream internals ("read requests waitng on finished stream").
 */
function pngProblem(bytes: Uint8Array, message: string): string {
  const fix = 'render, copy or save it again';
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A file that ends inside a chunk, or before IEND, was cut short.
  const { chunks, complete } = walkPngChunks(buf);
  if (!complete) return `truncated PNG (the file ends before its image data does); ${fix}`;
  const badCrc = chunks.some((c) => crc32(buf.subarray(c.start + 4, c.end - 4)) !== buf.readUInt32BE(c.end - 4));
  if (badCrc || /crc/i.test(message)) return `corrupt PNG (a chunk's checksum does not match its data); ${fix}`;
  if (/unsupported|not supported|invalid (color|colour|bit)/i.test(message))
    return `unsupported PNG variant (${message.replace(/[^\w ,.-]/g, '').slice(0, 80)}); save it as an 8-bit RGB or RGBA PNG`;
  return `corrupt PNG (its compressed image data cannot be decoded); ${fix}`;
}

/** Encodes RGBA to PNG; `text` entries become tEXt chunks right after IHDR. */
export function encodePng(image: RgbaImage, text: Record<string, string> = {}): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength).copy(png.data);
  // A fixed Paeth filter instead of pngjs's per-row trial of all five: 66 ms instead of 141 ms for
  // a 768x768 render at the same file size. (pngjs's sync writer takes its options here, not from
  // the constructor.)
  const plain = PNG.sync.write(png, { filterType: 4 });
  const chunks = Object.entries(text).map(([k, v]) => textChunk(k, v));
  if (chunks.length === 0) return plain;
  // IHDR is always the first chunk: 8-byte signature + 4 length + 4 type + 13 data + 4 crc.
  const afterIhdr = 8 + 25;
  return Buffer.concat([plain.subarray(0, afterIhdr), ...chunks, plain.subarray(afterIhdr)]);
}

/** Encodes RGBA to baseline JPEG (alpha dropped); for thumbnails, where PNG is 10x larger. */
export function encodeJpeg(image: RgbaImage, quality = 80): Buffer {
  return jpegEncode({ width: image.width, height: image.height, data: image.data }, quality).data;
}

/** Reads the tEXt chunks of a PNG (keyword -> Latin-1 text; iTXt is read as UTF-8). */
export function readPngText(bytes: Uint8Array): Record<string, string> {
  if (!isPng(bytes)) throw new ImageFormatError('not a PNG file (bad signature)');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, string> = {};
  let pos = 8;
  while (pos + 12 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'tEXt') {
      const nul = data.indexOf(0);
      if (nul > 0) out[data.toString('latin1', 0, nul)] = data.toString('latin1', nul + 1);
    } else if (type === 'iTXt') {
      const nul = data.indexOf(0);
      // keyword \0 compressionFlag compressionMethod languageTag \0 translatedKeyword \0 text
      if (nul > 0 && data[nul + 1] === 0) {
        const lang = data.indexOf(0, nul + 3);
        const tk = lang >= 0 ? data.indexOf(0, lang + 1) : -1;
        if (tk >= 0) out[data.toString('latin1', 0, nul)] = data.toString('utf8', tk + 1);
      }
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + len;
  }
  return out;
}

/**
 * Replaces every text chunk (tEXt, zTXt, iTXt) of a PNG with `text`, written right after IHDR,
 * without decoding the pixels. Throws ImageFormatError for bytes that are not one complete PNG
 * (bad signature, IHDR not first, a chunk running past the end, no IEND).
 */
export function replacePngText(bytes: Uint8Array, text: Record<string, string>): Buffer {
  const { buf, chunks } = completePng(bytes);
  const kept = chunks.slice(1).filter((c) => c.type !== 'tEXt' && c.type !== 'zTXt' && c.type !== 'iTXt');
  const ours = Object.entries(text).map(([k, v]) => textChunk(k, v));
  return Buffer.concat([buf.subarray(0, chunks[0]!.end), ...ours, ...kept.map((c) => buf.subarray(c.start, c.end))]);
}

/** Width and height from a PNG's IHDR (after the same structure check as `replacePngText`). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const { buf } = completePng(bytes);
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** One chunk of a PNG: its type and the bytes it spans (length, type, data and CRC). */
interface PngChunk {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/** The chunks of a PNG in order, up to IEND; `complete` is false when the bytes end first. */
function walkPngChunks(buf: Buffer): { chunks: PngChunk[]; complete: boolean } {
  const chunks: PngChunk[] = [];
  for (let pos = 8; pos + 12 <= buf.length; ) {
    const end = pos + 12 + buf.readUInt32BE(pos);
    if (end > buf.length) break;
    const type = buf.toString('latin1', pos + 4, pos + 8);
    chunks.push({ type, start: pos, end });
    if (type === 'IEND') return { chunks, complete: true };
    pos = end;
  }
  return { chunks, complete: false };
}

/** The chunks of one complete PNG, IHDR first; ImageFormatError otherwise. */
function completePng(bytes: Uint8Array): { buf: Buffer; chunks: PngChunk[] } {
  if (!isPng(bytes)) throw new ImageFormatError('not a PNG file (bad signature)');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { chunks, complete } = walkPngChunks(buf);
  if (chunks[0]?.type !== 'IHDR' || chunks[0].end - chunks[0].start !== 25) {
    throw new ImageFormatError('corrupt PNG: IHDR is not the first chunk');
  }
  if (!complete) throw new ImageFormatError(`truncated PNG: no IEND chunk in ${buf.length} bytes`);
  return { buf, chunks };
}

function textChunk(keyword: string, value: string): Buffer {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new RangeError(`invalid PNG text keyword: ${JSON.stringify(keyword)}`);
  // Non-Latin-1 text (prompts may hold any Unicode) goes into an uncompressed iTXt chunk as UTF-8.
  const latin1 = /^[\x00-\xff]*$/.test(value) && !value.includes('\0');
  const body = latin1
    ? Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(value, 'latin1')])
    : Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(value, 'utf8')]);
  const type = Buffer.from(latin1 ? 'tEXt' : 'iTXt', 'latin1');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, body])));
  return Buffer.concat([len, type, body, crc]);
}

let crcTable: Uint32Array | undefined;
/** CRC-32 (ISO 3309) as PNG chunks use it. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Bilinear resize (pixel centres aligned, as OpenCV's INTER_LINEAR). */
export function resizeBilinear(src: RgbaImage, width: number, height: number): RgbaImage {
  const dst = createImage(width, height);
  const sx = src.width / width;
  const sy = src.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), src.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, src.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), src.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, src.width - 1);
      const wx = fx - x0;
      const o = (y * width + x) * 4;
      const a = (y0 * src.width + x0) * 4;
      const b = (y0 * src.width + x1) * 4;
      const c = (y1 * src.width + x0) * 4;
      const d = (y1 * src.width + x1) * 4;
      for (let ch = 0; ch < 4; ch++) {
        const top = src.data[a + ch]! * (1 - wx) + src.data[b + ch]! * wx;
        const bottom = src.data[c + ch]! * (1 - wx) + src.data[d + ch]! * wx;
        dst.data[o + ch] = Math.round(top * (1 - wy) + bottom * wy);
      }
    }
  }
  return dst;
}
