// The reference task's encoded training split as files, so PyTorch (train-torch.py) trains on
// the very rows (and embedding row ids) the project trains on:
// node --import tsx scripts/bench/reference-rows.ts --rows N --out PREFIX
// writes PREFIX.json {n, catWidth, dense, tasks, tableRows} and PREFIX.cat (int32 [n, catWidth]),
// PREFIX.num (float32 [n, dense]), PREFIX.labels (float32 [n, tasks]).

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openDataSource } from '../../model/data/index.ts';
import { prepare } from '../../model/train/prepare.ts';

const a = parseArgs({ options: { rows: { type: 'string' }, out: { type: 'string' } } }).values;
// As train-child.ts prepares it: no quantile-bin fields (the note's network).
const data = prepare(openDataSource('reference', { rows: Number(a.rows) }), { numericBins: 0 });
const s = data.splits.train;
const bytes = (x: Int32Array | Float32Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
writeFileSync(`${a.out}.cat`, bytes(s.batch.cat));
writeFileSync(`${a.out}.num`, bytes(s.batch.num));
writeFileSync(`${a.out}.labels`, bytes(s.labels));
writeFileSync(`${a.out}.json`, JSON.stringify({ n: s.n, catWidth: data.layout.catWidth, dense: data.layout.numeric.length, tasks: data.tasks.length, tableRows: data.layout.tableRows }));
