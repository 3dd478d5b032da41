// V8 flags for the local workerd that Miniflare starts (tests, benchmarks, `npm start`).
//
// Why: on a small machine the local runtime can spin forever at 100% CPU after a request.
// workerd drains V8's foreground task queue after every continuation until it is empty, and
// cppgc's low-priority incremental sweep task re-posts itself at once while its concurrent
// sweep job has not run; on 2 cores V8 has one worker thread, and when that thread is parked
// waiting for a GC that only the main thread can perform, neither side ever moves. Seen here
// twice in full test runs (test/worker-registry.test.ts, workerd 1.20260426.1 from wrangler
// 4.86.0; a perf profile of the stuck process: PumpMessageLoop < IncrementalSweepTask::Run <
// SweepInForegroundTaskImpl, nothing of ours on the stack). `--single-threaded-gc` makes
// cppgc sweep incrementally on the main thread only, so every slice makes progress; it also
// turns off V8's concurrent marking, which moves some GC work onto the request's thread. The
// production runtime is not this platform and enforces CPU limits, so this is a local matter.
//
// Miniflare 4.20260426 has no setting for the config's v8Flags: MINIFLARE_WORKERD_PATH points
// it at a wrapper (workerd-with-v8-flags.sh) that writes the flags into the config.
// EDGE_MTL_WORKERD_V8_FLAGS overrides the flags (space-separated; empty: none, no wrapper).

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const DEFAULT_WORKERD_V8_FLAGS = '--single-threaded-gc';
const WRAPPER = fileURLToPath(new URL('./workerd-with-v8-flags.sh', import.meta.url));

/** The real workerd binary: MINIFLARE_WORKERD_PATH if the user set one, else Miniflare's own. */
function workerdBinary(env: NodeJS.ProcessEnv): string {
  if (env.MINIFLARE_WORKERD_PATH === WRAPPER && env.EDGE_MTL_WORKERD_BIN) return env.EDGE_MTL_WORKERD_BIN;
  if (env.MINIFLARE_WORKERD_PATH && env.MINIFLARE_WORKERD_PATH !== WRAPPER) return env.MINIFLARE_WORKERD_PATH;
  const fromMiniflare = createRequire(createRequire(import.meta.url).resolve('miniflare'));
  return (fromMiniflare('workerd') as { default: string }).default;
}

/**
 * Makes Miniflare instances created after this call (in this process, and in child processes
 * that inherit `env`, such as wrangler dev) run workerd with the flags. Returns the flags.
 */
export function useWorkerdV8Flags(env: NodeJS.ProcessEnv = process.env): string[] {
  const flags = (env.EDGE_MTL_WORKERD_V8_FLAGS ?? DEFAULT_WORKERD_V8_FLAGS).split(/\s+/).filter(Boolean);
  if (flags.length === 0) {
    if (env.MINIFLARE_WORKERD_PATH === WRAPPER) env.MINIFLARE_WORKERD_PATH = env.EDGE_MTL_WORKERD_BIN;
    return flags;
  }
  env.EDGE_MTL_WORKERD_BIN = workerdBinary(env);
  env.EDGE_MTL_NODE = process.execPath;
  env.EDGE_MTL_WORKERD_V8_FLAGS = flags.join(' ');
  env.MINIFLARE_WORKERD_PATH = WRAPPER;
  return flags;
}
