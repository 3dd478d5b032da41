// npm run models -- publish DIR | list | activate VERSION [--percent P] | shadow VERSION|off | rollback   [--local]
// The model registry in the R2 bucket wrangler.toml binds as MODELS (scripts/models/registry.ts
// for the layout). --local acts on wrangler's local state, the one `npm start` (wrangler dev)
// serves from; without it, on the account (wrangler login or CLOUDFLARE_API_TOKEN).

import { parseArgs } from 'node:util';
import { readWranglerConfig } from './build-worker.ts';
import { fail, main } from './lib/cli.ts';
import { activate, listing, publish, rollback, shadow, type ObjectStore } from './models/registry.ts';
import { wranglerStore } from './models/wrangler-store.ts';
import type { RoutingDoc } from '../functions/routing.ts';

const USAGE = `usage: npm run models -- COMMAND [--local]
  publish DIR                      upload DIR's manifest.json and int8 ONNX file as version <manifest.version>
                                   (checked against the manifest's size and sha256, loaded once; an existing version is refused)
  list                             versions, created, test AUC per task, share of traffic
  activate VERSION [--percent P]   P% of users (by a hash of user.id) to VERSION, the rest keeps its versions (default 100)
  shadow VERSION|off               VERSION scores every request in the shadow (logged divergence), or no shadow
  rollback                         put the previous routing document back
  --local                          wrangler's local state (what npm start serves) instead of the account
  --persist-to DIR                 with --local: another local state directory (wrangler dev --persist-to)
`;

const routingLine = (d: RoutingDoc) =>
  `routing ${d.id}: ${d.splits.map((s) => `${s.version} ${s.percent}%`).join(', ')}${d.shadow ? `; shadow ${d.shadow}` : ''}`;

await main(async () => {
  let parsed;
  try {
    parsed = parseArgs({ options: { local: { type: 'boolean', default: false }, percent: { type: 'string' }, 'persist-to': { type: 'string' }, help: { type: 'boolean', default: false } }, allowPositionals: true });
  } catch (e) {
    fail(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help || !positionals.length) {
    process.stdout.write(USAGE);
    return;
  }
  const [cmd, arg, ...extra] = positionals;
  if (extra.length) fail(`unexpected argument ${extra[0]} (see --help)`);
  const needsArg = cmd === 'publish' || cmd === 'activate' || cmd === 'shadow';
  if (needsArg && !arg) fail(`${cmd} needs ${cmd === 'publish' ? 'a model directory' : 'a version'} (see --help)`);
  if (!needsArg && arg) fail(`${cmd} takes no argument (got ${arg})`);
  if (values.percent !== undefined && cmd !== 'activate') fail('--percent goes with activate');
  if (values['persist-to'] !== undefined && !values.local) fail('--persist-to goes with --local');

  const cfg = (await readWranglerConfig()) as { r2_buckets?: { binding?: string; bucket_name?: string }[] };
  const bucket = cfg.r2_buckets?.find((b) => b.binding === 'MODELS')?.bucket_name;
  if (!bucket) fail('wrangler.toml binds no R2 bucket as MODELS ([[r2_buckets]] binding = "MODELS")');
  const store: ObjectStore = wranglerStore({ bucket, local: values.local, persistTo: values['persist-to'] });
  const where = values.local ? `local bucket ${bucket}` : `bucket ${bucket} on the account`;

  switch (cmd) {
    case 'publish': {
      const e = await publish(store, arg);
      console.log(`published ${e.version} to ${where}: ${e.file ? `${e.file.path} (${(e.file.bytes / 2 ** 20).toFixed(2)} MiB), ` : ''}test AUC ${Object.entries(e.auc).map(([t, a]) => `${t} ${a?.toFixed(4) ?? '-'}`).join(', ')}`);
      break;
    }
    case 'list':
      for (const line of await listing(store)) console.log(line);
      break;
    case 'activate': {
      const p = values.percent === undefined ? 100 : Number(values.percent);
      if (!Number.isFinite(p) || p <= 0 || p > 100) fail(`--percent must be a number in (0, 100] (got ${values.percent})`);
      console.log(`${routingLine(await activate(store, arg, p))} (${where})`);
      break;
    }
    case 'shadow':
      console.log(`${routingLine(await shadow(store, arg === 'off' ? null : arg))} (${where})`);
      break;
    case 'rollback':
      console.log(`rolled back to ${routingLine(await rollback(store))} (${where})`);
      break;
    default:
      fail(`unknown command ${cmd} (publish, list, activate, shadow, rollback)`);
  }
});
