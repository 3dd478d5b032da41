// Which columns of a features row (NetBuilder.features(): field embeddings, pooled multi-valued
// embeddings, their pairwise dots, the numerics) come from which field, read off the graph the
// trainer runs. The request-shared export (first-layer.ts) splits the first layers' weight
// rows by these columns into a shared (per request) and a per-candidate product.

import type { GraphNode } from '../engine/graph.ts';
import { Concat } from '../engine/ops/concat.ts';
import { EmbedFields } from '../engine/ops/embed.ts';
import { DotInteraction } from '../engine/ops/interaction.ts';
import { NumericInput } from '../engine/ops/numeric.ts';
import { MeanPool } from '../engine/ops/pool.ts';
import type { EmbeddingTable } from '../engine/params.ts';
import type { FeatureLayout } from '../features/layout.ts';
import type { FeatureSpec } from '../features/spec.ts';

/** One embedded field of a features row: a `cat` column or a multi-valued field. */
export interface FieldColumns {
  spec: FeatureSpec;
  /** First column of its embedding in the features row (dim columns). */
  start: number;
  /** `cat` column, or -1 for a multi-valued field. */
  catColumn: number;
  /** Index in layout.multi, or -1 for a `cat` column. */
  multi: number;
  /** The graph node that embeds it (EmbedFields or MeanPool). */
  source: GraphNode;
}

export interface FeatureColumns {
  /** The features node itself and every node it is computed from (topological order). */
  nodes: GraphNode[];
  width: number;
  dim: number;
  table: EmbeddingTable;
  fields: FieldColumns[];
  /** Column of the dot product of fields i < j (field indices), or null without interactions. */
  pairColumn: ((i: number, j: number) => number) | null;
  /** Column of each numeric feature (layout.numeric order), with its spec. */
  numerics: { column: number; spec: FeatureSpec }[];
}

const isVector = (n: GraphNode) => n.op instanceof EmbedFields || n.op instanceof MeanPool;
const partsOf = (n: GraphNode): readonly GraphNode[] => (n.op instanceof Concat ? n.inputs : [n]);

/** The column map of `node` if it is a features row as NetBuilder.features() builds it, else null. */
export function featureColumns(node: GraphNode, layout: FeatureLayout): FeatureColumns | null {
  const parts = partsOf(node);
  if (!parts.every((p) => isVector(p) || p.op instanceof DotInteraction || p.op instanceof NumericInput)) return null;
  const vectors = parts.filter(isVector);
  if (!vectors.length) return null;
  const tables = new Set(vectors.map((v) => (v.op as EmbedFields | MeanPool).table));
  if (tables.size !== 1) return null;
  const table = [...tables][0];
  const dim = table.dim;
  const fields: FieldColumns[] = [];
  const numerics: FeatureColumns['numerics'] = [];
  let pairStart = -1;
  let fieldCount = 0;
  const nodes: GraphNode[] = [];
  let col = 0;
  for (const p of parts) {
    if (p.op instanceof EmbedFields) {
      if (p.op.fields !== layout.catWidth) return null;
      for (let c = 0; c < layout.catWidth; c++) {
        const bins = layout.numericBins.find((b) => b?.column === c);
        const spec = c < layout.categorical.length ? layout.categorical[c] : bins?.spec;
        if (!spec) return null;
        fields.push({ spec, start: col + c * dim, catColumn: c, multi: -1, source: p });
      }
    } else if (p.op instanceof MeanPool) {
      const spec = layout.multi[p.op.field];
      fields.push({ spec, start: col, catColumn: -1, multi: p.op.field, source: p });
    } else if (p.op instanceof DotInteraction) {
      // Its input must be exactly this row's vectors, in order: then field i of the dots is fields[i].
      const vin = partsOf(p.inputs[0]);
      if (vin.length !== vectors.length || vin.some((v, i) => v !== vectors[i])) return null;
      if (p.inputs[0] !== vectors[0]) nodes.push(p.inputs[0]);
      pairStart = col;
      fieldCount = p.op.fields;
    } else if (p.op instanceof NumericInput) {
      layout.numeric.forEach((spec, d) => numerics.push({ column: col + d, spec }));
    }
    col += p.dim;
  }
  if (col !== node.dim) return null;
  if (pairStart >= 0 && fieldCount !== fields.length) return null;
  const F = fields.length;
  // Pairs (i, j), i < j, in row-major order of the upper triangle (DotInteraction).
  const pairColumn = pairStart < 0 ? null : (i: number, j: number) => pairStart + i * F - (i * (i + 1)) / 2 + (j - i - 1);
  nodes.unshift(...vectors);
  for (const p of parts) if (!nodes.includes(p)) nodes.push(p);
  if (!nodes.includes(node)) nodes.push(node);
  nodes.sort((a, b) => a.id - b.id);
  return { nodes, width: col, dim, table, fields, pairColumn, numerics };
}
