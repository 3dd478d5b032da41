// The README's flag table is generated from the same table as `npm run train -- --help`, so
// the two cannot disagree about a default; this fails when README.md was not regenerated. The
// schema examples of docs/data.md must parse.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseSchema, schemaFeatures } from '../model/data/schema.ts';
import { matchFeatures } from '../model/features/match.ts';
import { withFlagTable } from '../scripts/docs.ts';
import { TRAIN_FLAGS } from '../scripts/lib/train-flags.ts';

test('README.md carries the generated flag table (npm run docs regenerates it)', () => {
  const readme = readFileSync('README.md', 'utf8');
  assert.equal(readme, withFlagTable(readme), 'README.md flag table is stale: run npm run docs');
});

test('npm run train -- --help lists every flag of the table and ends with a newline', () => {
  const help = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--help'], { encoding: 'utf8' });
  assert.ok(help.endsWith('\n') && !help.endsWith('\n\n'));
  for (const f of TRAIN_FLAGS) assert.ok(help.includes(`--${f.name}`) && help.includes(f.help), f.name);
});

test('every JSON schema example of docs/data.md parses, and the first one derives the match feature it promises', () => {
  const doc = readFileSync('docs/data.md', 'utf8');
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
  const full: Record<string, unknown>[] = [];
  for (const b of blocks) {
    if (b.trimStart().startsWith('{\n')) full.push(JSON.parse(b) as Record<string, unknown>);
    // A block of one column per line: each must be a valid column of a minimal schema.
    else for (const line of b.split('\n').filter((l) => l.trim())) parseSchema({ columns: [JSON.parse(line), { name: 'y', role: 'label' }, { name: 'x', role: 'numeric', entity: 'user' }] }, 'docs/data.md');
  }
  assert.ok(full.length >= 2, 'the complete schema examples');
  for (const e of full) parseSchema(e, 'docs/data.md');
  const specs = schemaFeatures(parseSchema(full[0], 'docs/data.md'));
  assert.deepEqual(matchFeatures(specs).map((f) => f.name), ['category_in_recent']);
});
