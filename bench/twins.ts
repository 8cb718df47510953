/**
 * Twins: N identical BARE workers (bench/pages/bare.html), each loading the same 30M decoder, timed in a
 * rotating order, to see how far apart the same code runs the same model in two workers. Why the
 * decode bench (bench/browser.ts) runs every path in one worker. An investigation tool for
 * BENCHMARKS.md, not part of `npm run bench`.
 *
 *     npx tsx bench/twins.ts [--workers 3] [--reps 7] [--tokens 128] [--backend wasm]
 */
import { ensureBenchDecoder } from './fixtures.ts';
import { log, openPage, prime, section, startHarness, stopHarness, type Bench } from './harness.ts';
import type { BareBench } from './pages/bare.ts';
import { stats } from './stats.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const WORKERS = Number(arg('workers', '3'));
const REPS = Number(arg('reps', '7'));
const TOKENS = Number(arg('tokens', '128'));
const BACKEND = arg('backend', 'wasm');
const PROMPT = 'Tell me a long story about a lighthouse keeper and the sea.';

const model = ensureBenchDecoder();
await startHarness();
try {
  await prime();
  await section('twins', async (ctx) => {
    const pages = [];
    for (let i = 0; i < WORKERS; i++) {
      const page = await openPage(ctx, '/bench/pages/bare.html');
      await page.evaluate(([m, d]) => (window as unknown as Bench<BareBench>).bench.load(m, d), [model.url, BACKEND]);
      pages.push(page);
    }
    const tps: number[][] = pages.map(() => []);
    for (let rep = 0; rep < REPS; rep++) {
      const line: string[] = [];
      for (let k = 0; k < WORKERS; k++) {
        const i = (k + rep) % WORKERS;
        await pages[i].bringToFront();
        const r = await pages[i].evaluate(([p, n]) => (window as unknown as Bench<BareBench>).bench.run(p, n), [PROMPT, TOKENS] as const);
        if (rep > 0) tps[i].push(r.decodeTps);
      }
      for (const t of tps) line.push(rep > 0 ? t.at(-1)!.toFixed(2) : '–');
      log(`${rep === 0 ? 'warm-up' : `rep ${rep}`}: decode tok/s by worker ${line.join(' / ')}`);
    }
    const medians = tps.map((t) => stats(t).median);
    log(`medians by worker: ${medians.map((m) => m.toFixed(2)).join(' / ')}; slowest ÷ fastest ${(Math.min(...medians) / Math.max(...medians)).toFixed(3)}`);
  });
} finally {
  await stopHarness();
}
