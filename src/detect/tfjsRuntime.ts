/**
 * TF.js on its WASM backend in Node: backend start-up (once per process) and a loader for graph
 * models stored as local files, which TF.js cannot read by itself outside the browser.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tfc from '@tensorflow/tfjs-core';
import type * as tfconv from '@tensorflow/tfjs-converter';

/** The TF.js modules, loaded lazily so that commands without detection never pay for them. */
export interface TfModules {
  readonly tf: typeof tfc;
  readonly converter: typeof tfconv;
}

/** Thrown when a model folder or file is missing or unreadable; the message says what to do. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

let ready: Promise<TfModules> | undefined;

/**
 * Folder holding tfjs-backend-wasm's .wasm binaries: `dist/wasm` next to the bundle (copied there by
 * scripts/build.mjs) when it exists, else the package's own dist folder in node_modules.
 */
export function findWasmDir(packageRoot: string | null): string {
  if (packageRoot) {
    const bundled = path.join(packageRoot, 'dist', 'wasm');
    if (fs.existsSync(path.join(bundled, 'tfjs-backend-wasm.wasm'))) return bundled;
  }
  // A non-literal name keeps bundlers from trying to resolve the package at build time.
  const pkg = '@tensorflow/tfjs-backend-wasm';
  return path.dirname(require.resolve(pkg));
}

/**
 * Starts TF.js with the WASM backend once per process. `threads` bounds XNNPACK's thread pool
 * (the backend defaults to all logical cores, which starves the rest of the worker).
 */
export function initTfjs(wasmDir: string, threads?: number): Promise<TfModules> {
  ready ??= (async () => {
    const tf = require('@tensorflow/tfjs-core') as typeof tfc;
    const converter = require('@tensorflow/tfjs-converter') as typeof tfconv;
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    // TF.js would print a "you are running in production mode?" style hint once; we are.
    tf.env().set('PROD', true);
    wasm.setWasmPaths(wasmDir.endsWith(path.sep) ? wasmDir : wasmDir + path.sep);
    if (threads !== undefined) wasm.setThreadsCount(threads);
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error(`TF.js could not start its WASM backend (binaries looked up in ${wasmDir})`);
    await tf.ready();
    return { tf, converter };
  })();
  // A failed start may be retried (e.g. after the user fixed the wasm folder).
  ready.catch(() => {
    ready = undefined;
  });
  return ready;
}

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: tfc.io.WeightsManifestEntry[] }>;
}

/** An IOHandler that reads a TF.js graph model (model.json + weight shards) from local files. */
export function fileIOHandler(modelJsonPath: string): tfc.io.IOHandler {
  return {
    load: (): Promise<tfc.io.ModelArtifacts> => {
      let json: ModelJson;
      try {
        json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as ModelJson;
      } catch (err) {
        throw new ModelLoadError(`cannot read model ${modelJsonPath}: ${(err as Error).message}`);
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new ModelLoadError(`${modelJsonPath} is not a TF.js graph model (no modelTopology or weightsManifest)`);
      }
      const dir = path.dirname(modelJsonPath);
      const weightSpecs: tfc.io.WeightsManifestEntry[] = [];
      const shards: Buffer[] = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) {
          const file = path.resolve(dir, p);
          // Shard paths come from the file; do not let one point outside the model folder.
          if (path.relative(dir, file).startsWith('..')) {
            throw new ModelLoadError(`${modelJsonPath}: weight path ${p} points outside the model folder`);
          }
          try {
            shards.push(fs.readFileSync(file));
          } catch (err) {
            throw new ModelLoadError(`cannot read weights ${file}: ${(err as Error).message}`);
          }
        }
      }
      const all = Buffer.concat(shards);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return Promise.resolve({
        modelTopology: json.modelTopology as tfc.io.ModelArtifacts['modelTopology'],
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        signature: json.signature as tfc.io.ModelArtifacts['signature'],
        userDefinedMetadata: json.userDefinedMetadata as tfc.io.ModelArtifacts['userDefinedMetadata'],
        weightSpecs,
        weightData,
      });
    },
  };
}
