// npm run bench [-- --quick] [--json PATH]
// Measures training, inference and the whole request side by side in one run, and prints a
// table of medians (with spreads); ratios are computed within this run only.

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { main } from './lib/cli.ts';
import { benchTraining } from './bench/train.ts';

await main(async () => {
  const a = parseArgs({ options: { quick: { type: 'boolean', default: false }, json: { type: 'string' }, only: { type: 'string' } } }).values;
  const quick = a.quick!;
  const only = new Set((a.only ?? 'train').split(','));
  const machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, load: os.loadavg()[0] };
  const json: Record<string, unknown> = { machine, quick };
  const lines: string[] = [`machine: ${machine.cpus} x ${machine.model}, ${machine.memGiB} GiB, Node ${machine.node}, load ${machine.load.toFixed(2)} at start`];
  const k = (x: number) => Math.round(x).toLocaleString('en-US');
  if (only.has('train')) {
    const t = benchTraining(quick);
    json['train.reference.samples_per_sec'] = t.reference_2t.samplesPerSec.median;
    json['train.reference.samples_per_sec_1t'] = t.reference_1t.samplesPerSec.median;
    json['train.reference.peak_rss_bytes'] = t.reference_2t.peakRssBytes;
    json['train.synthetic.samples_per_sec'] = t.synthetic_2t.samplesPerSec.median;
    json['train.detail'] = t;
    lines.push('', 'training (samples/s, median [min-max] over epochs)');
    for (const [name, r] of Object.entries(t)) {
      lines.push(`  ${name.padEnd(14)} ${k(r.samplesPerSec.median).padStart(8)} [${k(r.samplesPerSec.min)}-${k(r.samplesPerSec.max)}]  peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB  (${r.kernels})`);
    }
    lines.push(`  2 threads / 1 thread: ${(t.reference_2t.samplesPerSec.median / t.reference_1t.samplesPerSec.median).toFixed(2)}x; PyTorch 1.13 SparseAdam on one core (the note): ~70,000`);
  }
  console.log(lines.join('\n'));
  if (a.json) writeFileSync(a.json, JSON.stringify(json, null, 2) + '\n');
});
