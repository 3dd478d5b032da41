// The simulated period and its traffic: 14 days from Monday 2024-03-04 with a diurnal curve and
// busier weekends. Rows are in time order, so a row's position in the log (a timeline
// fraction) maps to its time through the cumulative traffic.

/** Simulated period, starting Monday 2024-03-04 00:00 UTC. */
export const DAYS = 14;
export const T0 = 1_709_510_400;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** Traffic per hour of the day (relative); weekends get WEEKEND_TRAFFIC times more. */
const HOURLY_TRAFFIC = [
  0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.35, 0.6, 0.8, 0.9, 0.95, 1.0, 1.1, 1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.55, 1.7,
  1.6, 1.2, 0.7,
];
const WEEKEND_TRAFFIC = 1.15;

/** Piecewise-uniform traffic over the hours of the period; maps a timeline fraction to a time. */
export class Timeline {
  private readonly cum: Float64Array;
  private readonly w: Float64Array;
  constructor() {
    const H = DAYS * 24;
    this.w = new Float64Array(H);
    this.cum = new Float64Array(H + 1);
    for (let h = 0; h < H; h++) {
      const day = Math.floor(h / 24);
      const weekend = day % 7 >= 5;
      this.w[h] = HOURLY_TRAFFIC[h % 24] * (weekend ? WEEKEND_TRAFFIC : 1);
      this.cum[h + 1] = this.cum[h] + this.w[h];
    }
  }
  /** Seconds since T0 at timeline fraction f in [0, 1). Non-decreasing in f. */
  secondsAt(f: number): number {
    const H = this.w.length;
    const x = Math.min(Math.max(f, 0), 1) * this.cum[H];
    let lo = 0;
    let hi = H - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.cum[mid] <= x) lo = mid;
      else hi = mid - 1;
    }
    const frac = Math.min(1, Math.max(0, (x - this.cum[lo]) / this.w[lo]));
    return lo * 3600 + Math.min(3599, Math.floor(frac * 3600));
  }
}
