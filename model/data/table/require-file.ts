// A data file the user named must exist and be a regular file; otherwise one clear line.

import { statSync } from 'node:fs';

export function requireFile(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Error(`cannot open ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!st.isFile()) throw new Error(`${path} is not a file`);
}
