// Shared command-line plumbing: a one-line error and a non-zero exit for anything the user
// got wrong, never a stack trace (set EDGE_MTL_DEBUG=1 to see one).

export class UsageError extends Error {}

export function fail(message: string): never {
  throw new UsageError(message);
}

export async function main(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: ${msg.split('\n')[0]}\n`);
    if (process.env.EDGE_MTL_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  }
}

export function int(name: string, v: string | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) fail(`--${name} must be an integer >= ${min}, got "${v}"`);
  return x;
}

export function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) fail(`--${name} must be a positive number, got "${v}"`);
  return x;
}

export function nonNegative(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < 0) fail(`--${name} must be a number >= 0, got "${v}"`);
  return x;
}

/** A one-line progress bar on stderr (rewritten in place on a terminal, one line per epoch otherwise). */
export function progressBar(label: string) {
  const tty = process.stderr.isTTY;
  return (p: { epoch: number; epochs: number; done: number; total: number; samplesPerSec: number; loss: number }) => {
    const frac = p.done / p.total;
    const bar = '#'.repeat(Math.round(frac * 20)).padEnd(20, '.');
    const line = `${label} epoch ${p.epoch}/${p.epochs} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}%  ${Math.round(p.samplesPerSec).toLocaleString('en-US')} samples/s  loss ${p.loss.toFixed(4)}`;
    if (tty) process.stderr.write(`\r${line}${p.done === p.total ? '\n' : ''}`);
    else if (p.done === p.total) process.stderr.write(`${line}\n`);
  };
}
