// Data sources by the name the CLI uses (--data NAME).

import { referenceTask } from './reference.ts';
import { syntheticShop } from './synthetic/shop.ts';
import type { DataSource } from './source.ts';

export interface SourceOptions {
  rows?: number;
  seed?: number;
}

export function openDataSource(name: string, o: SourceOptions): DataSource {
  if (name === 'synthetic') return syntheticShop({ rows: o.rows, seed: o.seed });
  if (name === 'reference') return referenceTask({ rows: o.rows, seed: o.seed });
  throw new Error(`unknown data source "${name}" (known: synthetic, reference)`);
}
