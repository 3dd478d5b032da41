// npm run report -- DIR
// Writes DIR/report.html for a model directory (manifest.json, metrics.json, curves.json) or a
// comparison directory (comparison.json from --arch all). Training writes it too.

import { main, fail } from './lib/cli.ts';
import { writeReport } from './report/index.ts';

await main(async () => {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.length !== 1 || args[0].startsWith('-')) fail('usage: npm run report -- DIR (a model directory or an --arch all directory)');
  console.log(writeReport(args[0]));
});
