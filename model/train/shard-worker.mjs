// Worker-thread entry: register the TypeScript loader, then run the shard worker.
// (Under tsx on Node 20, execArgv ['--import', 'tsx'] is ignored by worker threads.)
import { register } from 'tsx/esm/api';

register();
await import('./shard-worker.ts');
