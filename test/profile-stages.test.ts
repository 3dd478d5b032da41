// The profiler (scripts/profile-worker/) attributes CPU samples to the stages of POST /v1/score
// by the names of the worker's functions (STAGES). Those names are a coupling to functions/ and
// model/: this test reads the declared function names from the source and fails when a name in
// the stage table no longer exists, so a rename shows up here instead of as a silently wrong
// profile. It also checks the attribution itself on a hand-made profile.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../scripts/build-worker.ts';
import { attribute, frameStage, STAGES, type CpuProfile } from '../scripts/profile-worker/attribution.ts';

const KEYWORDS = new Set(['if', 'for', 'while', 'switch', 'catch', 'return', 'function', 'constructor', 'super', 'with']);

/** Names of the functions a source declares: declarations, named function expressions, arrow functions bound to a name, methods. */
function declaredFunctions(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(/\bfunction\*?\s+(\w+)/g)) names.add(m[1]);
  for (const m of source.matchAll(/\b(?:const|let|var)\s+(\w+)\s*(?::[^=\n]+)?=\s*(?:async\s+)?(?:function\b|\([^)]*\)\s*(?::[^=\n]+)?=>|\w+\s*=>)/g)) names.add(m[1]);
  for (const m of source.matchAll(/^\s+(?:(?:public|private|protected|static|async|get|set)\s+)*(\w+)\s*(?:<[^>\n]*>)?\([^;\n]*\)\s*(?::\s*[^;{\n]+)?\{\s*$/gm)) {
    if (!KEYWORDS.has(m[1])) names.add(m[1]);
  }
  return names;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.includes('.generated.'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

test('declaredFunctions finds each form of declaration and no calls', () => {
  const src = [
    'export async function readBody(req: Request): Promise<unknown> {',
    "app.post('/x', async function handler(c) {",
    'const check: Check = (v) => v !== null;',
    'const twice = async (x: number): Promise<number> => 2 * x;',
    'class Host {',
    '  run(session: Session, feeds: Record<string, T>): Promise<void> {',
    '  private async load<T>(x: T) {',
    '    if (ready) {',
    '    notDeclared(x);',
    '    const value = compute(x);',
    '  }',
    '}',
  ].join('\n');
  assert.deepEqual([...declaredFunctions(src)].sort(), ['check', 'handler', 'load', 'readBody', 'run', 'twice']);
});

test('every function name in the profiler stage table is declared in functions/ or model/', () => {
  const files = [...sourceFiles('functions'), ...sourceFiles('model')];
  assert.ok(files.some((f) => f.startsWith('functions/')) && files.some((f) => f.startsWith('model/')));
  const declared = files.map((f) => ({ file: f, names: declaredFunctions(readFileSync(join(ROOT, f), 'utf8')) }));
  const missing: string[] = [];
  for (const rule of STAGES) {
    for (const name of rule.fns ?? []) {
      // A rule restricted to a URL names a function of the files that URL points at.
      const where = declared.filter((d) => !rule.url || rule.url.test(d.file));
      if (!where.some((d) => d.names.has(name))) missing.push(`${name} (stage "${rule.stage}"${rule.url ? `, in files matching ${rule.url}` : ''})`);
    }
  }
  assert.deepEqual(missing, [], `stage table names functions that no longer exist: ${missing.join('; ')}`);
});

test('a sample counts for the innermost frame with a stage; library frames below it count with it', () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0, scriptId: '1' });
  // (root) > scoreHandler > validateRequest > zod's parse; scoreHandler > encode2 (renamed by the
  // bundler); (idle).
  const p: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 6] },
      { id: 2, callFrame: frame('scoreHandler', 'file:///w/functions/app.ts'), children: [3, 5] },
      { id: 3, callFrame: frame('validateRequest', 'file:///w/functions/validate.ts'), children: [4] },
      { id: 4, callFrame: frame('parse', 'file:///w/node_modules/zod/v4/core/parse.js') },
      { id: 5, callFrame: frame('encode2', 'file:///w/index.js') },
      { id: 6, callFrame: frame('(idle)', '') },
    ],
    startTime: 0,
    endTime: 6000,
    // timeDeltas[i] is the time before sample i: samples 4, 4, 5, 2, 6 stand for 1 ms each.
    samples: [4, 4, 5, 2, 6],
    timeDeltas: [0, 1000, 1000, 1000, 1000, 1000],
  };
  const a = attribute(p);
  assert.deepEqual(a.stages, { validation: 2, 'feature encoding': 1, 'handler: headers, Server-Timing, awaits': 1 });
  assert.equal(a.totalMs, 4);
  assert.equal(a.idleMs, 1);
  assert.equal(frameStage(frame('run', 'file:///w/functions/model.ts')), 'session.run (ORT)');
  assert.equal(frameStage(frame('run', 'file:///w/model/onnx/run.ts')), null);
  assert.equal(frameStage(frame('json', 'file:///w/node_modules/hono/dist/context.js')), 'response: JSON.stringify + Response');
});
