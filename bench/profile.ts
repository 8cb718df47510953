/**
 * Where the time goes, per path (BARE, ENGINE, SERVICE, RUNTIME, STACK; see bench/harness.ts): a V8
 * CPU profile of the worker that generates (and of the page, for RUNTIME and STACK) during one
 * generation, summed by category — ONNX Runtime (wasm / JS), transformers.js, our src/, other
 * dependencies, GC, idle — plus the CPU time of all the browser's processes. An investigation tool for
 * BENCHMARKS.md, not part of `npm run bench`.
 *
 *     npx tsx bench/profile.ts [--backend wasm] [--tokens 128] [--reps 3] [--paths bare,engine,service,runtime,stack] [--top 12]
 */
import { BENCH_MODEL, ensureBenchDecoder } from './fixtures.ts';
import { ALL_PATHS, cpuDelta, log, openPaths, prime, processCpu, section, startHarness, stopHarness, targetSession, type PathName, type TargetSession } from './harness.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const BACKEND = arg('backend', 'wasm');
const TOKENS = Number(arg('tokens', '128'));
const REPS = Number(arg('reps', '3'));
const TOP = Number(arg('top', '12'));
const PATHS = arg('paths', ALL_PATHS.join(',')).split(',') as PathName[];
const PROMPT = 'Tell me a long story about a lighthouse keeper and the sea.';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

function category(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (url.endsWith('.wasm')) return 'ORT wasm';
  if (/onnxruntime-web|\/ort\//.test(url)) return 'ORT JS';
  if (url.includes('huggingface_transformers')) return 'transformers.js';
  if (url.includes('/src/')) return 'src/';
  if (url.includes('/bench/')) return 'bench page';
  if (url.includes('/.vite/deps/')) return 'other deps';
  return 'native / other';
}

/** Self time (ms) by category, and our own functions (src/) by name. */
function summarize(p: CpuProfile): { byCategory: Map<string, number>; ours: Map<string, number> } {
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const byCategory = new Map<string, number>();
  const ours = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const n = nodes.get(p.samples[i])!;
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const cat = category(n.callFrame.url, n.callFrame.functionName);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + ms);
    if (cat === 'src/') {
      const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/src\//, 'src/').replace(/\?.*$/, '')}:${n.callFrame.lineNumber + 1}`;
      ours.set(key, (ours.get(key) ?? 0) + ms);
    }
  }
  return { byCategory, ours };
}

const CATEGORIES = ['ORT wasm', 'ORT JS', 'transformers.js', 'src/', 'other deps', 'bench page', 'GC', 'native / other', 'idle'];

async function main(): Promise<void> {
  const model = ensureBenchDecoder();
  await startHarness();
  try {
    await prime();
    await section('profile', async (ctx) => {
      const pages = await openPaths(ctx, { paths: PATHS, modelUrl: model.url, modelId: BENCH_MODEL, backend: BACKEND, prompt: PROMPT, tokens: TOKENS });
      for (const path of PATHS) await pages.run(path); // warm-up
      interface Totals {
        worker: Map<string, number>;
        page: Map<string, number>;
        ours: Map<string, number>;
        wall: number;
        cpu: number;
        cpuByType: Map<string, number>;
        tps: number[];
        n: number;
      }
      const totals = new Map<PathName, Totals>();
      for (let rep = 0; rep < REPS; rep++) {
        for (const path of rep % 2 === 0 ? PATHS : [...PATHS].reverse()) {
          const worker = await targetSession((await pages.workerTarget(path))!);
          const pageSession = path === 'runtime' || path === 'stack' ? await ctx.newCDPSession(pages.page(path)) : null;
          const pageCdp: TargetSession | null = pageSession && {
            send: <T>(method: string, params: Record<string, unknown> = {}) => pageSession.send(method as never, params as never) as Promise<T>,
            detach: () => pageSession.detach(),
          };
          for (const s of [worker, pageCdp]) {
            if (!s) continue;
            await s.send('Profiler.enable');
            await s.send('Profiler.setSamplingInterval', { interval: 100 });
            await s.send('Profiler.start');
          }
          const before = await processCpu();
          const t0 = performance.now();
          const r = await pages.run(path);
          const wall = performance.now() - t0;
          const cpuAll = cpuDelta(before, await processCpu());
          const cpu = cpuAll.total;
          const wp = (await worker.send<{ profile: CpuProfile }>('Profiler.stop')).profile;
          const pp = pageCdp ? (await pageCdp.send<{ profile: CpuProfile }>('Profiler.stop')).profile : null;
          await worker.detach();
          await pageCdp?.detach();
          const w = summarize(wp);
          const t: Totals = totals.get(path) ?? { worker: new Map(), page: new Map(), ours: new Map(), wall: 0, cpu: 0, cpuByType: new Map(), tps: [], n: 0 };
          for (const [k, v] of w.byCategory) t.worker.set(k, (t.worker.get(k) ?? 0) + v);
          for (const [k, v] of w.ours) t.ours.set(k, (t.ours.get(k) ?? 0) + v);
          if (pp) {
            const p = summarize(pp);
            for (const [k, v] of p.byCategory) t.page.set(k, (t.page.get(k) ?? 0) + v);
            for (const [k, v] of p.ours) t.ours.set(`[page] ${k}`, (t.ours.get(`[page] ${k}`) ?? 0) + v);
          }
          t.wall += wall;
          t.cpu += cpu;
          for (const [k, v] of Object.entries(cpuAll)) if (k !== 'total') t.cpuByType.set(k, (t.cpuByType.get(k) ?? 0) + v);
          t.tps.push(r.decodeTps);
          t.n += r.tokens;
          totals.set(path, t);
          log(`  rep ${rep} ${path.padEnd(7)} ${r.decodeTps.toFixed(2)} tok/s, TTFT ${r.ttftMs.toFixed(0)} ms, browser CPU ${(cpu / r.tokens).toFixed(1)} ms/token`);
        }
      }
      const perToken = (m: Map<string, number>, k: string, n: number) => ((m.get(k) ?? 0) / n).toFixed(2);
      console.log(`\nWorker self time per generated token (ms), ${BACKEND}, ${TOKENS} tokens × ${REPS} reps; sampling profiler (100 µs)\n`);
      console.log(`| category | ${PATHS.join(' | ')} |`);
      console.log(`|---|${PATHS.map(() => '---').join('|')}|`);
      for (const c of CATEGORIES) console.log(`| ${c} | ${PATHS.map((p) => perToken(totals.get(p)!.worker, c, totals.get(p)!.n)).join(' | ')} |`);
      const busy = (p: PathName) => {
        const t = totals.get(p)!;
        let sum = 0;
        for (const [k, v] of t.worker) if (k !== 'idle') sum += v;
        return (sum / t.n).toFixed(2);
      };
      console.log(`| **worker busy** | ${PATHS.map(busy).join(' | ')} |`);
      console.log(`| page main thread busy | ${PATHS.map((p) => { const t = totals.get(p)!; let s = 0; for (const [k, v] of t.page) if (k !== 'idle') s += v; return t.page.size ? (s / t.n).toFixed(2) : '–'; }).join(' | ')} |`);
      console.log(`| wall time per token | ${PATHS.map((p) => (totals.get(p)!.wall / totals.get(p)!.n).toFixed(2)).join(' | ')} |`);
      console.log(`| browser CPU (all processes) per token | ${PATHS.map((p) => (totals.get(p)!.cpu / totals.get(p)!.n).toFixed(2)).join(' | ')} |`);
      const types = [...new Set(PATHS.flatMap((p) => [...totals.get(p)!.cpuByType.keys()]))].sort();
      for (const k of types) console.log(`| … ${k} processes | ${PATHS.map((p) => ((totals.get(p)!.cpuByType.get(k) ?? 0) / totals.get(p)!.n).toFixed(2)).join(' | ')} |`);
      console.log(`| decode tok/s (each rep) | ${PATHS.map((p) => totals.get(p)!.tps.map((x) => x.toFixed(1)).join(', ')).join(' | ')} |`);
      for (const p of PATHS) {
        const t = totals.get(p)!;
        const top = [...t.ours].sort((a, b) => b[1] - a[1]).slice(0, TOP);
        if (top.length === 0) continue;
        console.log(`\n${p}: our code (src/), self time per token (µs)`);
        for (const [k, v] of top) console.log(`  ${((v / t.n) * 1000).toFixed(1).padStart(8)}  ${k}`);
      }
    });
  } finally {
    await stopHarness();
  }
}

await main();
