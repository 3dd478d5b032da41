// --memory-budget of a training command: how many bytes the encoded training split may take
// in memory before it goes to chunk files and training streams it (model/train/row-store.ts).

import { totalmem } from 'node:os';
import { fail } from './cli.ts';

/** Share of the machine's memory the training split may take by default. */
export const DEFAULT_BUDGET_SHARE = 0.25;

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Bytes of "512M", "2G", "1.5G" or a plain byte count; the default a quarter of the RAM. */
export function memoryBudget(v: string | undefined): { bytes: number; note: string } {
  if (v === undefined) {
    const bytes = Math.floor(totalmem() * DEFAULT_BUDGET_SHARE);
    return { bytes, note: `default: ${DEFAULT_BUDGET_SHARE * 100}% of ${formatBytes(totalmem())} RAM` };
  }
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(v.trim());
  const bytes = m ? Math.floor(Number(m[1]) * UNITS[m[2].toUpperCase()]) : NaN;
  if (!(bytes >= 1)) fail(`--memory-budget must be a size such as 512M, 2G or a byte count, got "${v}"`);
  return { bytes, note: 'given' };
}

export function formatBytes(b: number): string {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`;
}
