// The schema of a user's own table (--data csv:PATH --schema SCHEMA.json, or parquet:PATH):
// what each column is for. Validated up front so that a typo is one clear error naming the
// schema file and the column, before any data is read. The format is described in docs/data.md.

import { readFileSync } from 'node:fs';
import { candidateKindFeature, DEFAULT_KINDS, kindsProblem, type KindSpec } from '../features/kinds.ts';
import { CANDIDATE_KIND_FEATURE, type CandidateKind, type Entity, type FeatureSpec, type TaskSpec } from '../features/spec.ts';
import type { Split } from './source.ts';

export type ColumnRole = 'categorical' | 'numeric' | 'multi' | 'label' | 'time' | 'split' | 'group' | 'candidate_kind' | 'ignore';

export interface CategoricalColumn {
  name: string;
  role: 'categorical';
  entity: Entity;
  buckets: number;
  /** Also the grouping key for GAUC (e.g. the user id). */
  group?: boolean;
  /** Shared with other columns of the same values (CategoricalFeature.vocabulary): one embedding per value, and match features. */
  vocabulary?: string;
}
export interface NumericColumn {
  name: string;
  role: 'numeric';
  entity: Entity;
  transform: 'log1p' | 'identity';
}
export interface MultiColumn {
  name: string;
  role: 'multi';
  entity: Entity;
  buckets: number;
  separator: string;
  maxLen: number;
  vocabulary?: string;
}
export interface LabelColumn {
  name: string;
  role: 'label';
  /** Task name (default: the column name). */
  task: string;
  appliesTo: CandidateKind;
  parent?: string;
}
export interface TimeColumn {
  name: string;
  role: 'time';
  /** Unix seconds, Unix milliseconds, or an ISO-8601 date string. */
  unit: 's' | 'ms' | 'iso';
}
/** The data's own split: each row says train, valid or test (not a feature). */
export interface SplitColumn {
  name: string;
  role: 'split';
  /** Cell value (trimmed, lower case) -> split; nothing else is accepted. */
  values: Record<string, Split>;
  /** Share of the train rows carved out as validation when the data has no valid rows (unset: 0.1). */
  validShare?: number;
  /** Seed of the hash that carves validation rows out of train. */
  seed: number;
}
export interface OtherColumn {
  name: string;
  role: 'group' | 'candidate_kind' | 'ignore';
}
export type ColumnSchema = CategoricalColumn | NumericColumn | MultiColumn | LabelColumn | TimeColumn | SplitColumn | OtherColumn;

export interface TableSchema {
  /** CSV only: one ASCII character (default ","). */
  delimiter: string;
  /** CSV only: the first line names the columns (default true); otherwise columns are positional. */
  header: boolean;
  /** Cell values that mean "missing" for features (default [""]); a missing label masks the task. */
  missing: string[];
  columns: ColumnSchema[];
  /** The candidate kind of every row, when no column has role candidate_kind (default: the first kind). */
  candidateKind: CandidateKind;
  /** The candidate kinds (default item + coupon); a feature's entity and a task's appliesTo name one. */
  kinds: KindSpec[];
  /**
   * Split shares; with a time column the split is by time, else by a seeded hash of the row number.
   * Absent when a column with role "split" gives each row's split.
   */
  split?: { valid: number; test: number; seed: number };
}

const ROLES: readonly ColumnRole[] = ['categorical', 'numeric', 'multi', 'label', 'time', 'split', 'group', 'candidate_kind', 'ignore'];
const SPLITS: readonly Split[] = ['train', 'valid', 'test'];
/** What a split column accepts unless its schema gives "values" ("validation": the name many benchmarks use). */
const SPLIT_VALUES: Record<string, Split> = { train: 'train', valid: 'valid', validation: 'valid', test: 'test' };
const MAX_BUCKETS = 1 << 24;

class SchemaError extends Error {}

/** Reads and validates a schema file; every problem is reported as "<file>: <where>: <what>". */
export function loadSchema(path: string): TableSchema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read schema ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`schema ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseSchema(json, path);
}

export function parseSchema(json: unknown, label = 'schema'): TableSchema {
  try {
    return parse(json);
  } catch (e) {
    if (e instanceof SchemaError) throw new Error(`${label}: ${e.message}`);
    throw e;
  }
}

function bad(msg: string): never {
  throw new SchemaError(msg);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function onlyKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) bad(`${where}: unknown key "${k}" (allowed: ${allowed.join(', ')})`);
}

function oneOf<T extends string>(v: unknown, options: readonly T[], where: string, dflt?: T): T {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || !options.includes(v as T)) bad(`${where} must be one of ${options.map((x) => `"${x}"`).join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function intIn(v: unknown, lo: number, hi: number, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(`${where} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return v;
}

/** The optional "vocabulary" of a categorical or multi column, as a spread. */
function vocabularyOf(c: Record<string, unknown>, where: string): { vocabulary?: string } {
  if (c.vocabulary === undefined) return {};
  if (typeof c.vocabulary !== 'string' || c.vocabulary.trim() === '') bad(`${where}: "vocabulary" must be a non-empty string`);
  return { vocabulary: c.vocabulary };
}

function parse(json: unknown): TableSchema {
  if (!isObject(json)) bad('must be a JSON object with a "columns" array');
  onlyKeys(json, ['delimiter', 'header', 'missing', 'columns', 'candidateKind', 'kinds', 'split', 'description'], 'top level');
  const kinds = parseKinds(json.kinds);
  const kindNames = kinds.map((k) => k.name);
  const delimiter = json.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length !== 1) bad(`"delimiter" must be one character, got ${JSON.stringify(delimiter)}`);
  const header = json.header ?? true;
  if (typeof header !== 'boolean') bad(`"header" must be true or false`);
  const missing = json.missing ?? [''];
  if (!Array.isArray(missing) || missing.some((m) => typeof m !== 'string')) bad(`"missing" must be an array of strings`);
  if (!Array.isArray(json.columns) || json.columns.length === 0) bad(`"columns" must be a non-empty array`);
  const columns = json.columns.map((c, i) => parseColumn(c, `columns[${i}]`, kindNames));
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) bad(`column "${c.name}" is declared twice`);
    names.add(c.name);
  }
  const features = columns.filter((c) => c.role === 'categorical' || c.role === 'numeric' || c.role === 'multi');
  const labels = columns.filter((c): c is LabelColumn => c.role === 'label');
  if (labels.length === 0) bad(`no column has role "label": a model needs at least one task`);
  if (features.length === 0) bad(`no feature column (role categorical, numeric or multi)`);
  if (features.some((f) => f.name === CANDIDATE_KIND_FEATURE.name)) bad(`"${CANDIDATE_KIND_FEATURE.name}" is reserved (use role "candidate_kind" for that column)`);
  const byVocabulary = new Map<string, CategoricalColumn | MultiColumn>();
  for (const c of features) {
    if (c.role === 'numeric' || c.vocabulary === undefined) continue;
    const first = byVocabulary.get(c.vocabulary);
    if (!first) byVocabulary.set(c.vocabulary, c);
    else if (first.buckets !== c.buckets) bad(`columns "${first.name}" and "${c.name}" share vocabulary "${c.vocabulary}" but not "buckets" (${first.buckets} vs ${c.buckets})`);
  }
  const tasks = new Set<string>();
  for (const l of labels) {
    if (tasks.has(l.task)) bad(`task "${l.task}" is labelled by two columns`);
    tasks.add(l.task);
  }
  for (const l of labels) if (l.parent !== undefined && !tasks.has(l.parent)) bad(`task "${l.task}": parent "${l.parent}" is not a task`);
  for (const role of ['time', 'split', 'candidate_kind'] as const) {
    const withRole = columns.filter((c) => c.role === role);
    if (withRole.length > 1) bad(`at most one column may have role "${role}", got ${withRole.map((c) => `"${c.name}"`).join(', ')}`);
  }
  const splitColumn = columns.find((c) => c.role === 'split');
  const timeColumn = columns.find((c) => c.role === 'time');
  if (splitColumn && timeColumn) {
    bad(`columns "${splitColumn.name}" (role "split") and "${timeColumn.name}" (role "time") both decide the split: keep one (to use the time as a feature, give it role "numeric")`);
  }
  if (splitColumn && json.split !== undefined) {
    bad(`column "${splitColumn.name}" has role "split", so the top-level "split" shares do not apply: remove "split" (the column's own "validShare" and "seed" say how validation rows are carved from train when the data has none)`);
  }
  const groups = columns.filter((c) => c.role === 'group' || (c.role === 'categorical' && c.group));
  if (groups.length > 1) bad(`at most one group column (role "group", or "group": true on a categorical column), got ${groups.map((g) => g.name).join(', ')}`);
  const candidateKind = oneOf(json.candidateKind, kindNames, '"candidateKind"', kindNames[0]);
  if (json.candidateKind !== undefined && columns.some((c) => c.role === 'candidate_kind')) bad(`give either "candidateKind" or a column with role "candidate_kind", not both`);
  const schema: TableSchema = { delimiter, header, missing: missing as string[], columns, candidateKind, kinds };
  if (!splitColumn) schema.split = parseSplit(json.split);
  return schema;
}

/** The shares of a time or hash split when the schema gives none. */
export const DEFAULT_SPLIT: Readonly<NonNullable<TableSchema['split']>> = { valid: 0.1, test: 0.1, seed: 1 };

function parseSplit(s: unknown): NonNullable<TableSchema['split']> {
  if (s === undefined) return { ...DEFAULT_SPLIT };
  if (!isObject(s)) bad(`"split" must be an object like {"valid": 0.1, "test": 0.1, "seed": 1}`);
  onlyKeys(s, ['valid', 'test', 'seed'], '"split"');
  const share = (v: unknown, k: string) => {
    if (v === undefined) return 0.1;
    if (typeof v !== 'number' || !(v > 0 && v < 1)) bad(`"split.${k}" must be a number in (0, 1), got ${JSON.stringify(v)}`);
    return v;
  };
  const valid = share(s.valid, 'valid');
  const test = share(s.test, 'test');
  if (valid + test >= 0.9) bad(`"split": valid + test must leave at least 10% for training`);
  const seed = s.seed === undefined ? 1 : intIn(s.seed, 0, 2 ** 31 - 1, '"split.seed"');
  return { valid, test, seed };
}

/** The "kinds" list: [{"name": "ad", "field": "ads"}, ...]; "field" defaults to the name + "s". */
function parseKinds(v: unknown): KindSpec[] {
  if (v === undefined) return DEFAULT_KINDS.map((k) => ({ ...k }));
  if (!Array.isArray(v)) bad(`"kinds" must be a list like [{"name": "item", "field": "items"}, {"name": "ad", "field": "ads"}]`);
  const kinds = v.map((k, i): KindSpec => {
    if (!isObject(k)) bad(`kinds[${i}] must be an object with "name" (and optionally "field", "value")`);
    onlyKeys(k, ['name', 'field', 'value'], `kinds[${i}]`);
    const out: KindSpec = { name: k.name as string, field: (k.field ?? (typeof k.name === 'string' ? `${k.name}s` : undefined)) as string };
    if (k.value !== undefined) out.value = k.value as KindSpec['value'];
    return out;
  });
  const why = kindsProblem(kinds);
  if (why) bad(`"kinds": ${why}`);
  return kinds;
}

function parseColumn(c: unknown, where: string, kinds: readonly CandidateKind[]): ColumnSchema {
  const ENTITIES: readonly Entity[] = ['user', 'context', ...kinds];
  if (!isObject(c)) bad(`${where} must be an object with "name" and "role"`);
  if (typeof c.name !== 'string' || c.name === '') bad(`${where}: "name" must be a non-empty string`);
  where = `${where} ("${c.name}")`;
  const role = oneOf(c.role, ROLES, `${where}: "role"`);
  const name = c.name;
  const entity = () => oneOf(c.entity, ENTITIES, `${where}: "entity"`);
  switch (role) {
    case 'categorical':
      onlyKeys(c, ['name', 'role', 'entity', 'buckets', 'group', 'vocabulary'], where);
      if (c.group !== undefined && typeof c.group !== 'boolean') bad(`${where}: "group" must be true or false`);
      return { name, role, entity: entity(), buckets: intIn(c.buckets, 2, MAX_BUCKETS, `${where}: "buckets"`), group: c.group === true, ...vocabularyOf(c, where) };
    case 'numeric':
      onlyKeys(c, ['name', 'role', 'entity', 'transform'], where);
      return { name, role, entity: entity(), transform: oneOf(c.transform, ['log1p', 'identity'] as const, `${where}: "transform"`, 'identity') };
    case 'multi': {
      onlyKeys(c, ['name', 'role', 'entity', 'buckets', 'separator', 'maxLen', 'vocabulary'], where);
      const separator = c.separator ?? '|';
      if (typeof separator !== 'string' || separator === '') bad(`${where}: "separator" must be a non-empty string`);
      return {
        name,
        role,
        entity: entity(),
        buckets: intIn(c.buckets, 2, MAX_BUCKETS, `${where}: "buckets"`),
        separator,
        maxLen: intIn(c.maxLen, 1, 1024, `${where}: "maxLen"`),
        ...vocabularyOf(c, where),
      };
    }
    case 'label': {
      onlyKeys(c, ['name', 'role', 'task', 'appliesTo', 'parent'], where);
      const task = c.task ?? name;
      if (typeof task !== 'string' || task === '') bad(`${where}: "task" must be a non-empty string`);
      if (c.parent !== undefined && typeof c.parent !== 'string') bad(`${where}: "parent" must be a task name`);
      const appliesTo = oneOf(c.appliesTo, kinds, `${where}: "appliesTo"`, kinds[0]);
      return c.parent === undefined ? { name, role, task, appliesTo } : { name, role, task, appliesTo, parent: c.parent as string };
    }
    case 'time':
      onlyKeys(c, ['name', 'role', 'unit'], where);
      return { name, role, unit: oneOf(c.unit, ['s', 'ms', 'iso'] as const, `${where}: "unit"`, 's') };
    case 'split': {
      onlyKeys(c, ['name', 'role', 'values', 'validShare', 'seed'], where);
      const col: SplitColumn = { name, role, values: splitValues(c.values, where), seed: c.seed === undefined ? 1 : intIn(c.seed, 0, 2 ** 31 - 1, `${where}: "seed"`) };
      if (c.validShare !== undefined) {
        if (typeof c.validShare !== 'number' || !(c.validShare > 0 && c.validShare <= 0.5)) bad(`${where}: "validShare" must be a number in (0, 0.5], got ${JSON.stringify(c.validShare)}`);
        col.validShare = c.validShare;
      }
      return col;
    }
    default:
      onlyKeys(c, ['name', 'role'], where);
      return { name, role };
  }
}

/** A split column's "values" (cell value -> split), keyed as cells are matched: trimmed, lower case. */
function splitValues(v: unknown, where: string): Record<string, Split> {
  if (v === undefined) return { ...SPLIT_VALUES };
  if (!isObject(v) || Object.keys(v).length === 0) bad(`${where}: "values" must be a non-empty object like {"dev": "valid"}`);
  const out: [string, Split][] = [];
  const given = new Map<string, string>();
  for (const [k, split] of Object.entries(v)) {
    const key = k.trim().toLowerCase();
    if (key === '') bad(`${where}: "values" has an empty cell value`);
    if (given.has(key)) bad(`${where}: "values": ${JSON.stringify(given.get(key))} and ${JSON.stringify(k)} are the same cell value (matched trimmed, in any case)`);
    given.set(key, k);
    out.push([key, oneOf(split, SPLITS, `${where}: "values".${JSON.stringify(k)}`)]);
  }
  // fromEntries defines own properties, so even a "__proto__" key stays a plain entry.
  return Object.fromEntries(out);
}

/** Feature declarations of a schema, plus the built-in candidate_kind feature (the server sets it). */
export function schemaFeatures(s: TableSchema): FeatureSpec[] {
  const out: FeatureSpec[] = [];
  for (const c of s.columns) {
    const vocabulary = 'vocabulary' in c && c.vocabulary !== undefined ? { vocabulary: c.vocabulary } : {};
    if (c.role === 'categorical') out.push({ name: c.name, entity: c.entity, kind: 'categorical', buckets: c.buckets, ...vocabulary });
    else if (c.role === 'numeric') out.push({ name: c.name, entity: c.entity, kind: 'numeric', transform: c.transform, mean: 0, std: 1 });
    else if (c.role === 'multi') out.push({ name: c.name, entity: c.entity, kind: 'multi', buckets: c.buckets, maxLen: c.maxLen, separator: c.separator, ...vocabulary });
  }
  out.push(candidateKindFeature(s.kinds));
  return out;
}

export function schemaTasks(s: TableSchema): TaskSpec[] {
  return s.columns
    .filter((c): c is LabelColumn => c.role === 'label')
    .map((c) => (c.parent ? { name: c.task, appliesTo: c.appliesTo, parent: c.parent } : { name: c.task, appliesTo: c.appliesTo }));
}
