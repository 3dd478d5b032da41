// Early stopping on a validation score (mean validation AUC over tasks): remembers the best
// pass and says when `patience` passes in a row have not improved on it.

export class EarlyStopping {
  private best = -Infinity;
  private bestPass = -1;
  private passes = 0;

  constructor(readonly patience: number) {
    if (!(Number.isInteger(patience) && patience >= 1)) throw new Error(`patience must be an integer >= 1, got ${patience}`);
  }

  /** Records one validation pass; true when its score is the best so far (keep its weights). */
  observe(score: number): boolean {
    if (!Number.isFinite(score)) throw new Error(`validation score is ${score}: a task cannot be scored on the validation split`);
    const improved = score > this.best;
    if (improved) {
      this.best = score;
      this.bestPass = this.passes;
    }
    this.passes++;
    return improved;
  }

  /** True once `patience` passes after the best one have not improved on it. */
  get shouldStop(): boolean {
    return this.passes - 1 - this.bestPass >= this.patience;
  }

  get bestScore(): number {
    return this.best;
  }
}
