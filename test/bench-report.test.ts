import { describe, expect, it } from 'vitest';
import { targets } from '../bench/report.ts';
import { stats } from '../bench/stats.ts';

/** A fixed pseudo-random sequence in [0, 1), so the synthetic runs are the same on every machine. */
function sequence(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

/**
 * Results as bench/browser.ts writes them for one backend, from per-repetition decode speeds: BARE
 * drifts over `drift` (the machine's speed during a run) and STACK is BARE × `ratio` × (1 ± `jitter`).
 */
function decodeResults(opts: { reps: number; ratio: number; jitter: number; drift: number; ttftExtra: number; seed?: number }) {
  const rnd = sequence(opts.seed ?? 7);
  const bare: number[] = [];
  const stack: number[] = [];
  const ttftBare: number[] = [];
  const ttftStack: number[] = [];
  for (let i = 0; i < opts.reps; i++) {
    const b = 120 * (1 - opts.drift * rnd());
    bare.push(b);
    stack.push(b * opts.ratio * (1 + opts.jitter * (2 * rnd() - 1)));
    const t = 67 + 4 * rnd();
    ttftBare.push(t);
    ttftStack.push(t + opts.ttftExtra + 2 * (2 * rnd() - 1));
  }
  const sb = stats(bare);
  const ss = stats(stack);
  return {
    decode_ratio: { wasm: ss.median / sb.median },
    ttft_overhead_ms: { wasm: stats(ttftStack).median - stats(ttftBare).median },
    parser_mb_per_s: { hermes: 40 },
    browser_decode: {
      wasm: {
        paths: { bare: { decode_tps: sb }, stack: { decode_tps: ss } },
        paired: {
          decode_ratio: stats(stack.map((s, i) => s / bare[i])),
          ttft_overhead_ms: stats(ttftStack.map((t, i) => t - ttftBare[i])),
        },
      },
    },
  };
}

const row = (md: string, start: string) => {
  const line = md.split('\n').find((l) => l.startsWith(`| ${start}`) && l.includes('| wasm |'));
  if (!line) throw new Error(`no "${start}" row for wasm in:\n${md}`);
  return line;
};

describe('bench/report.ts: targets judged on paired repetitions', () => {
  it('settles a 1.5% cost as met when the machine drifts by 40% during the run (the drift cancels in each pair)', () => {
    const r = decodeResults({ reps: 300, ratio: 0.985, jitter: 0.02, drift: 0.4, ttftExtra: 5 });
    // Each path's own median moves with the drift; the two medians alone could not settle this.
    const md = targets(r);
    expect(row(md, 'decode ratio')).toContain('✅ met');
    expect(row(md, 'decode ratio')).toMatch(/^\| [^|]+ \| wasm \| 0\.98\d ± 0\.00\d \(IQR [^,]+, 300 repetitions; ratio of the two medians: /);
    expect(row(md, 'TTFT overhead')).toContain('✅ met');
  });

  it('calls a 5% cost missed and a 25 ms TTFT overhead missed', () => {
    const md = targets(decodeResults({ reps: 300, ratio: 0.95, jitter: 0.02, drift: 0.4, ttftExtra: 25 }));
    expect(row(md, 'decode ratio')).toContain('❌ missed');
    expect(row(md, 'TTFT overhead')).toContain('❌ missed');
  });

  it('leaves a ratio near the target not settled when too few repetitions know it', () => {
    const md = targets(decodeResults({ reps: 5, ratio: 0.975, jitter: 0.05, drift: 0.2, ttftExtra: 14 }));
    expect(row(md, 'decode ratio')).toMatch(/not settled: 0\.\d{3}–[01]\.\d{3} \(95% interval\) holds the target/);
    expect(row(md, 'TTFT overhead')).toContain('not settled');
  });

  it('does not judge a single pair of runs, whatever its value', () => {
    const md = targets(decodeResults({ reps: 1, ratio: 1, jitter: 0, drift: 0, ttftExtra: 1 }));
    expect(row(md, 'decode ratio')).toContain('not settled: one pair of runs gives no interval');
    expect(row(md, 'TTFT overhead')).toContain('not settled: one pair of runs gives no interval');
  });

  it('says "not measured" without paired results', () => {
    const md = targets({ parser_mb_per_s: { hermes: 40 } });
    expect(row(md, 'decode ratio')).toContain('not measured');
    expect(row(md, 'TTFT overhead')).toContain('not measured');
  });
});
