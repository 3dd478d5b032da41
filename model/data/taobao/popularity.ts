// The popularity baseline: per task, the positive rate of the candidate's item in the training
// period, backed off to its category's rate, backed off to the global rate. A learned model that
// cannot beat this is not worth serving.
//
// Back-off is by smoothing rather than by thresholds: rate = (pos + M * parent) / (n + M), so an
// item seen once is mostly its category, an item seen often is mostly itself, and an unseen item
// (n = 0) is exactly its category (an unseen category exactly the global rate).

/** Prior strength, in pseudo-rows of the parent rate. */
export const SMOOTHING = 10;

interface Tally {
  n: number;
  pos: Float64Array;
}

export class Popularity {
  private readonly items = new Map<number, Tally>();
  private readonly categories = new Map<number, Tally>();
  private readonly global: Tally;

  constructor(
    readonly tasks: number,
    readonly m = SMOOTHING,
  ) {
    this.global = { n: 0, pos: new Float64Array(tasks) };
  }

  /** One training row: a label of 1 counts as a positive of that task, anything else as a negative. */
  add(item: number, category: number, labels: readonly (0 | 1 | null)[]): void {
    for (const t of [this.tally(this.items, item), this.tally(this.categories, category), this.global]) {
      t.n++;
      for (let k = 0; k < this.tasks; k++) t.pos[k] += labels[k] === 1 ? 1 : 0;
    }
  }

  private tally(m: Map<number, Tally>, key: number): Tally {
    let t = m.get(key);
    if (!t) m.set(key, (t = { n: 0, pos: new Float64Array(this.tasks) }));
    return t;
  }

  /** Predicted rate of task k for a candidate. */
  rate(item: number, category: number, k: number): number {
    const g = this.global.n ? this.global.pos[k] / this.global.n : 0;
    const c = this.categories.get(category);
    const pc = c ? (c.pos[k] + this.m * g) / (c.n + this.m) : g;
    const it = this.items.get(item);
    return it ? (it.pos[k] + this.m * pc) / (it.n + this.m) : pc;
  }
}
