// The UCI in-vehicle coupon survey stores ordered quantities as text bands: visits per month
// ("never", "less1", "1~3", "4~8", "gt8"), income ("Less than $12500", "$37500 - $49999",
// "$100000 or More"), age ("below21", "21", ..., "50plus"), clock times ("2PM") and expiry
// ("2h", "1d"). Each band becomes one representative number so the model also sees the order
// (the raw band stays a categorical feature, which can learn anything non-monotone):
//
//   never                 -> 0
//   a~b, $a - $b          -> (a + b) / 2          the band's midpoint
//   lessN, Less than $N   -> N / 2                midpoint of [0, N): visits and money start at 0
//   belowN                -> N - 1                ages: a driver below 21 is 17 to 20
//   gtN, $N or More, Nplus-> 1.25 * N             a quarter beyond the open band's bound
//   N, $N                 -> N
//   "" (empty)            -> null                 missing: the encoder uses the training mean
//
// Anything else is not guessed at: it returns undefined and the row is counted as bad.

const NUM = String.raw`\$?\s*(\d+(?:\.\d+)?)`;
const patterns: [RegExp, (a: number, b: number) => number][] = [
  [new RegExp(`^${NUM}\\s*(?:~|-)\\s*${NUM}$`), (a, b) => (a + b) / 2],
  [new RegExp(`^(?:less|less than)\\s*${NUM}$`, 'i'), (a) => a / 2],
  [new RegExp(`^below\\s*${NUM}$`, 'i'), (a) => a - 1],
  [new RegExp(`^(?:gt|more than)\\s*${NUM}$`, 'i'), (a) => 1.25 * a],
  [new RegExp(`^${NUM}\\s*(?:plus|\\+|or more)$`, 'i'), (a) => 1.25 * a],
  [new RegExp(`^${NUM}$`), (a) => a],
];

/** Representative number of a band; null when empty (missing); undefined when unreadable. */
export function bandValue(raw: string): number | null | undefined {
  const s = raw.trim();
  if (s === '') return null;
  if (/^never$/i.test(s)) return 0;
  for (const [re, f] of patterns) {
    const m = re.exec(s);
    if (m) return f(Number(m[1]), Number(m[2]));
  }
  return undefined;
}

/** "7AM" -> 7, "12PM" -> 12, "12AM" -> 0, "10PM" -> 22; undefined when unreadable. */
export function clockHour(raw: string): number | undefined {
  const m = /^(\d{1,2})\s*(AM|PM)$/i.exec(raw.trim());
  if (!m) return undefined;
  const h = Number(m[1]);
  if (h < 1 || h > 12) return undefined;
  return (h % 12) + (m[2].toUpperCase() === 'PM' ? 12 : 0);
}

/** "2h" -> 2, "1d" -> 24 (hours); undefined when unreadable. */
export function durationHours(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([hd])$/i.exec(raw.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2].toLowerCase() === 'd' ? 24 : 1);
}
