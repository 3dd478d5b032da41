// The README's flag table is generated from the same table as `npm run train -- --help`, so
// the two cannot disagree about a default; this fails when README.md was not regenerated.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
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
