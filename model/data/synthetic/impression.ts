// One simulated impression as indices into the catalogue, reused between rows (the shop writes
// it in place, so streaming allocates nothing per row). Per-task arrays are indexed by the task
// indices of behaviour.ts (CLICK, CART, PURCHASE, REDEEM).

import { HISTORY_LEN, N_CATEGORIES } from './vocabulary.ts';

/** One simulated impression, as indices into the catalogue (reused between rows). */
export interface Impression {
  index: number;
  time: number;
  day: number;
  hour: number;
  weekday: number;
  device: number;
  user: number;
  isCoupon: boolean;
  item: number;
  coupon: number;
  /** Recent-view categories, oldest first. */
  history: Uint8Array;
  /** Category counts in `history`. */
  histCount: Uint8Array;
  /** Logits without intercepts, by task index (behaviour.ts): click, cart|click, purchase|click, redeem. */
  x: Float64Array;
  /** True probabilities per task (0 where the task is masked). */
  p: Float64Array;
  /** Sampled labels per task (-1 = masked). */
  y: Int8Array;
}

export function newImpression(): Impression {
  return {
    index: 0,
    time: 0,
    day: 0,
    hour: 0,
    weekday: 0,
    device: 0,
    user: 0,
    isCoupon: false,
    item: -1,
    coupon: -1,
    history: new Uint8Array(HISTORY_LEN),
    histCount: new Uint8Array(N_CATEGORIES),
    x: new Float64Array(4),
    p: new Float64Array(4),
    y: new Int8Array(4),
  };
}
