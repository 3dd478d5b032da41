// npm run docs: rewrites the generated parts of README.md (the `npm run train` flag table)
// from the code that defines them; test/docs.test.ts fails when README.md has drifted.

import { readFileSync, writeFileSync } from 'node:fs';
import { markdownTable, TRAIN_FLAGS } from './lib/train-flags.ts';

export const START = '<!-- train-flags:start -->';
export const END = '<!-- train-flags:end -->';

/** README text with the flag table between its markers regenerated. */
export function withFlagTable(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${START} ... ${END} markers`);
  return readme.slice(0, a + START.length) + '\n' + markdownTable(TRAIN_FLAGS) + '\n' + readme.slice(b);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = 'README.md';
  writeFileSync(path, withFlagTable(readFileSync(path, 'utf8')));
}
