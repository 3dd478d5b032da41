// Where the real data sets live: ../shared/data beside the project's root (not inside it: the
// project never copies them). A fresh clone has no ../shared, so every reader says so clearly.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireFile } from './table/require-file.ts';

/** The project's root (this file is model/data/shared.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED_DATA_DIR = resolve(REPO_ROOT, '../shared/data');

export function sharedDataPath(relative: string): string {
  return resolve(SHARED_DATA_DIR, relative);
}

/** The path of a shared data file, or a clear error naming where it was looked for. */
export function requireSharedFile(relative: string, what: string): string {
  const p = sharedDataPath(relative);
  try {
    requireFile(p);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message} (the real data sets are expected in ../shared/data beside the project)`);
  }
  return p;
}
