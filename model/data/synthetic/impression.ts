// One simulated impression as indices into the catalogue, reused between rows (the shop writes
// it in place, so streaming allocates nothing per row). Per-task arrays are indexed by the task
// indices of behaviour.ts (CLICK, CART, PURCHASE, REDEEM, AD_CLICK, AD_CONVERSION).

import { TASK_COUNT } from './behaviour.ts';
import { HISTORY_LEN, N_CATEGORIES } from './vocabulary.ts';

/** What an impression shows (its candidate kind); the shop's KINDS list them in this order. */
export const KIND_ITEM = 0;
export const KIND_COUPON = 1;
export const KIND_AD = 2;

/** One simulated impression, as indices into the catalogue (reused between rows). */
export interface Impression {
  index: number;
  time: number;
  day: number;
  hour: number;
  weekday: number;
  device: number;
  user: number;
  /** KIND_ITEM, KIND_COUPON or KIND_AD; the candidate's index in that kind's table, -1 in the others. */
  kind: number;
  item: number;
  coupon: number;
  ad: number;
  /** Recent-view categories, oldest first. */
  history: Uint8Array;
  /** Category counts in `history`. */
  histCount: Uint8Array;
  /** Logits without intercepts, by task index (behaviour.ts): click, cart|click, purchase|click, redeem, ad click, conversion|ad click. */
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
    kind: KIND_ITEM,
    item: -1,
    coupon: -1,
    ad: -1,
    history: new Uint8Array(HISTORY_LEN),
    histCount: new Uint8Array(N_CATEGORIES),
    x: new Float64Array(TASK_COUNT),
    p: new Float64Array(TASK_COUNT),
    y: new Int8Array(TASK_COUNT),
  };
}
