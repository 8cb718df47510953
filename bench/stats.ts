/** Small statistics for benchmark samples. */

export interface Stats {
  n: number;
  median: number;
  min: number;
  max: number;
  /** Interquartile range (linear interpolation between samples). */
  q1: number;
  q3: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, median: quantile(s, 0.5), min: s[0] ?? NaN, max: s.at(-1) ?? NaN, q1: quantile(s, 0.25), q3: quantile(s, 0.75) };
}

export const round = (x: number, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Rounds every number of a Stats (for JSON). */
export function rounded(s: Stats, digits = 1): Stats {
  return { n: s.n, median: round(s.median, digits), min: round(s.min, digits), max: round(s.max, digits), q1: round(s.q1, digits), q3: round(s.q3, digits) };
}
