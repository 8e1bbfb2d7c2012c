/** The real file system behind {@link BatchFs}. */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../io/atomic';
import { makeDirs } from '../io/outputDir';
import type { BatchFs } from './types';

export const nodeBatchFs: BatchFs = {
  mkdir: makeDirs,
  writeFileAtomic,
  async appendFile(file, data) {
    await fs.appendFile(file, data, 'utf8');
  },
  async readFile(file) {
    try {
      return await fs.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
  async readdir(dir) {
    try {
      return await fs.readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  },
  async remove(file) {
    await fs.rm(file, { force: true });
  },
  async exists(file) {
    try {
      await fs.access(file);
      return true;
    } catch {
      return false;
    }
  },
};
