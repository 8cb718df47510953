/**
 * Which of a fixed set of markers (special tokens, tags) starts at a position of the text, found by
 * looking at one character instead of comparing with every marker. A marker split over chunks is looked
 * up again at each chunk, and comparing it with every marker of its set (a `charCodeAt` on each side per
 * character) cost more than reading the text around it: harmony's special-token lookup was most of
 * what its headers cost (BENCHMARKS.md, session 9). Used by harmony and qwen3_xml.
 */

/** No marker of the set is at the position. */
export const NO_MATCH = -1;
/** The text ends with a proper prefix of a marker: read it again with what follows. */
export const PARTIAL_MATCH = -2;

/**
 * A set of markers, all starting with the same character and none a prefix of another: the first
 * position at which they differ, and per (ASCII) character there the markers that have it.
 */
export interface MarkerSet {
  readonly markers: readonly string[];
  readonly at: number;
  readonly byChar: ReadonlyArray<readonly number[]>;
}

export function markerSet(markers: readonly string[]): MarkerSet {
  const shortest = Math.min(...markers.map((m) => m.length));
  let at = 1;
  while (at < shortest - 1 && markers.every((m) => m.charCodeAt(at) === markers[0].charCodeAt(at))) at++;
  const byChar: number[][] = Array.from({ length: 128 }, () => []);
  markers.forEach((m, k) => byChar[m.charCodeAt(at)].push(k));
  return { markers, at, byChar };
}

/**
 * Which marker of `set` is at `s[i]` (where the caller has seen the markers' first character): its
 * index in the set, PARTIAL_MATCH when `s` ends with a proper prefix of one, NO_MATCH otherwise.
 */
export function matchAny(s: string, i: number, set: MarkerSet): number {
  const avail = s.length - i;
  const { markers, at } = set;
  // The characters before `at` are the same in every marker.
  const first = markers[0];
  const shared = avail < at ? avail : at;
  for (let j = 1; j < shared; j++) if (s.charCodeAt(i + j) !== first.charCodeAt(j)) return NO_MATCH;
  if (avail <= at) return PARTIAL_MATCH;
  const c = s.charCodeAt(i + at);
  if (c >= 128) return NO_MATCH;
  const candidates = set.byChar[c];
  let partial = false;
  for (let x = 0; x < candidates.length; x++) {
    const k = candidates[x];
    const m = markers[k];
    const len = avail < m.length ? avail : m.length;
    let j = at + 1;
    while (j < len && s.charCodeAt(i + j) === m.charCodeAt(j)) j++;
    if (j === len) {
      if (len === m.length) return k;
      partial = true;
    }
  }
  return partial ? PARTIAL_MATCH : NO_MATCH;
}
