// The best checkpoint kept in memory during training: a copy of every parameter's values,
// restored at the end. (The weights file on disk is model/engine/weights-file.ts.)

import { paramEntries, type Params } from '../engine/params.ts';

/** A copy of every parameter's values (the best checkpoint kept during training). */
export function snapshot(p: Params): Float32Array[] {
  return paramEntries(p).map((e) => e.data.slice());
}

export function restore(p: Params, snap: Float32Array[]): void {
  paramEntries(p).forEach((e, i) => e.data.set(snap[i]));
}
