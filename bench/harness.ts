/**
 * What the browser benchmarks share (bench/browser.ts, bench/profile.ts): the dev server and Chromium
 * (e2e/browser.ts), contexts that survive the dev server's reloads, the benchmark pages and the paths
 * they time, and CDP access to workers and to the browser's per-process CPU time.
 */
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { launchBrowser, startApp, type AppServer } from '../e2e/browser.ts';
import type { BareBench } from './pages/bare.ts';
import type { RunResult } from './pages/common.ts';
import type { StackBench } from './pages/stack.ts';

export const STORIES = '/models/stories260K';

const started = performance.now();
export const log = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
export const elapsedSeconds = () => (performance.now() - started) / 1000;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `window.bench` of a benchmark page (inside `page.evaluate` callbacks). */
export type Bench<T> = { bench: T };

let app: AppServer | null = null;
let browser: Browser | null = null;
/** Dev-server `full-reload`s kept from the benchmark pages (see `newContext`). */
export let suppressedReloads = 0;

export async function startHarness(): Promise<{ url: string; browser: Browser }> {
  app = await startApp({ harness: true });
  browser = await launchBrowser();
  return { url: app.url, browser };
}

export async function stopHarness(): Promise<void> {
  await browser?.close().catch(() => {});
  await app?.close().catch(() => {});
  browser = null;
  app = null;
}

const theBrowser = () => browser ?? (() => { throw new Error('startHarness() first'); })();

export async function openPage(ctx: BrowserContext, path: string): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => log(`  ${path}: page error: ${e.message}`));
  await page.goto(`${app!.url}${path}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 120_000 });
  return page;
}

/**
 * The dev server reloaded a page (Vite re-optimizing dependencies it discovered late) and wiped its
 * state, or a module went stale under a worker.
 */
export const isDevServerChurn = (err: unknown) =>
  /Execution context was destroyed|navigation|Target page, context or browser has been closed|Failed to fetch dynamically imported module|Outdated Optimize Dep|error loading dynamically imported module|the worker failed to start|worker_crashed|The model worker crashed/i.test(
    String(err),
  );

/**
 * A context whose pages ignore the dev server's `full-reload` (sent when Vite re-optimizes a
 * dependency it discovered late — here also when another process shares node_modules/.vite): a
 * reload mid-run would wipe a page's loaded model. Modules already loaded keep working; anything that
 * still breaks is retried by `section`.
 */
export async function newContext(): Promise<BrowserContext> {
  const ctx = await theBrowser().newContext();
  const origin = new URL(app!.url).origin.replace(/^http/, 'ws');
  await ctx.routeWebSocket(
    (url) => url.origin === origin,
    (ws) => {
      const server = ws.connectToServer();
      server.onMessage((msg) => {
        if (String(msg).includes('"full-reload"')) {
          suppressedReloads++;
          return;
        }
        ws.send(msg);
      });
    },
  );
  return ctx;
}

/** Runs `fn` in a fresh context (closed after); again when the dev server broke a page under it. */
export async function section<T>(label: string, fn: (ctx: BrowserContext) => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ctx = await newContext();
    try {
      return await fn(ctx);
    } catch (err) {
      if (attempt >= tries || !isDevServerChurn(err)) throw err;
      log(`  ${label}: the dev server broke a page under the benchmark (${String(err).split('\n')[0]}); again (${attempt + 1}/${tries})`);
      await sleep(2000);
    } finally {
      await ctx.close().catch(() => {});
    }
  }
}

/**
 * Vite discovers the workers' dependencies (zod, @huggingface/jinja, …) only when a worker first
 * imports them, then re-optimizes and reloads every open page. Start the workers once, and wait until
 * a round goes by with no reload.
 */
export async function prime(): Promise<void> {
  for (let round = 1; round <= 4; round++) {
    const ctx = await theBrowser().newContext();
    let navigations = 0;
    try {
      const stack = await openPage(ctx, '/bench/pages/stack.html');
      const bare = await openPage(ctx, '/bench/pages/bare.html');
      for (const p of [stack, bare]) p.on('framenavigated', (f) => void (f === p.mainFrame() && navigations++));
      await stack.evaluate((m) => (window as unknown as Bench<StackBench>).bench.hostLadder(m, 'wasm'), STORIES);
      await bare.evaluate((m) => (window as unknown as Bench<BareBench>).bench.load(m, 'wasm'), STORIES);
      await sleep(3000);
    } catch (err) {
      if (!isDevServerChurn(err)) throw err;
      navigations++;
    } finally {
      await ctx.close().catch(() => {});
    }
    log(`  prime round ${round}: ${navigations} reload(s)`);
    if (navigations === 0) return;
  }
}

// ------------------------------------------------------------------------------------------ paths

/**
 * BARE and STACK, and the steps between them (bench/pages/stack-worker.ts):
 * bare → yield (bare + the engine's task yield between model steps) → engine (our engine
 * alone) → service (+ service, parser, writer, SSE; in the worker) → runtime (+ the worker boundary,
 * read raw in the page) → stack (+ service worker, host page, SDK).
 */
export type PathName = 'bare' | 'yield' | 'engine' | 'service' | 'runtime' | 'stack';
export const ALL_PATHS: PathName[] = ['bare', 'yield', 'engine', 'service', 'runtime', 'stack'];

export interface PathPages {
  /** Load time (ms) of the one model every path runs on (`stack`: page → runtime ready). */
  loadMs: Record<string, number>;
  /** The page that times every path. */
  page(path: PathName): Page;
  /** One generation of `tokens` (default: the options') new tokens on `path`. */
  run(path: PathName, tokens?: number): Promise<RunResult>;
  /** The worker that generates for `path` (CDP target id), for profiling: the same one for every path. */
  workerTarget(path: PathName): Promise<string | null>;
  /**
   * A full collection in the page, the worker and the service worker, so that the next run does not pay
   * for the garbage of the one before (the worker's heap is ~60 MB, mostly the tokenizer: a major
   * collection pauses it 40–60 ms).
   */
  collectGarbage(): Promise<void>;
}

export interface PathOptions {
  paths: PathName[];
  modelUrl: string;
  modelId: string;
  backend: string;
  prompt: string;
  tokens: number;
}

/**
 * Opens the STACK page in `ctx` and hosts the runtime on bench/pages/stack-worker.ts, whose worker runs
 * every path on one loaded model: BARE, YIELD, ENGINE and SERVICE inside it, RUNTIME through
 * `runtime.fetch`, STACK through the SDK and the service worker. Two workers that each load the model
 * run it at speeds up to 15% apart (BENCHMARKS.md, session 10), so the paths share one.
 */
export async function openPaths(ctx: BrowserContext, o: PathOptions): Promise<PathPages> {
  const stack = await openPage(ctx, '/bench/pages/stack.html');
  const loadMs: Record<string, number> = {};
  loadMs.stack = (await stack.evaluate(([m, d]) => (window as unknown as Bench<StackBench>).bench.hostLadder(m, d), [o.modelUrl, o.backend])).loadMs;

  const run = (path: PathName, tokens = o.tokens): Promise<RunResult> => {
    if (path === 'stack') return stack.evaluate(([m, p, n]) => (window as unknown as Bench<StackBench>).bench.run(m, p, n), [o.modelId, o.prompt, tokens] as const);
    if (path === 'runtime') return stack.evaluate(([m, p, n]) => (window as unknown as Bench<StackBench>).bench.runtime(m, p, n), [o.modelId, o.prompt, tokens] as const);
    return stack.evaluate(([step, p, n]) => (window as unknown as Bench<StackBench>).bench.ladder(step, p, n), [path, o.prompt, tokens] as const);
  };
  const workerTarget = async (): Promise<string | null> => {
    const cdp = await ctx.newCDPSession(stack);
    const { targetInfo } = (await cdp.send('Target.getTargetInfo')) as { targetInfo: { targetId: string } };
    await cdp.detach();
    const targets = await listTargets();
    return targets.find((t) => t.type === 'worker' && t.url.includes('stack-worker') && t.parentId === targetInfo.targetId)?.targetId ?? null;
  };
  const collectGarbage = async () => {
    if (!(await heaps(ctx, stack, 'stack-worker')).worker) throw new Error('collectGarbage: no CDP target for the decode worker (stack-worker)');
  };
  return { loadMs, page: () => stack, run, workerTarget, collectGarbage };
}

// -------------------------------------------------------------------------------------------- CDP

interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
  browserContextId?: string;
  parentId?: string;
}

let browserCdp: CDPSession | null = null;
async function browserSession(): Promise<CDPSession> {
  browserCdp ??= await theBrowser().newBrowserCDPSession();
  return browserCdp;
}

export async function listTargets(): Promise<TargetInfo[]> {
  const { targetInfos } = (await (await browserSession()).send('Target.getTargets')) as { targetInfos: TargetInfo[] };
  return targetInfos;
}

export interface TargetSession {
  send<T>(method: string, params?: Record<string, unknown>): Promise<T>;
  detach(): Promise<void>;
}

/**
 * A CDP session on a worker or service-worker target (playwright-core gives sessions for pages only):
 * non-flattened, through the browser session's Target.sendMessageToTarget.
 */
export async function targetSession(targetId: string): Promise<TargetSession> {
  const b = await browserSession();
  const { sessionId } = (await b.send('Target.attachToTarget', { targetId, flatten: false })) as { sessionId: string };
  let id = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const onMessage = (e: { sessionId: string; message: string }) => {
    if (e.sessionId !== sessionId) return;
    const msg = JSON.parse(e.message) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id !== undefined ? pending.get(msg.id) : undefined;
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  };
  b.on('Target.receivedMessageFromTarget', onMessage);
  return {
    send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const i = ++id;
        pending.set(i, { resolve: resolve as (v: unknown) => void, reject });
        b.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: i, method, params }) }).catch(reject);
      });
    },
    async detach() {
      b.off('Target.receivedMessageFromTarget', onMessage);
      await b.send('Target.detachFromTarget', { sessionId }).catch(() => {});
    },
  };
}

export interface HeapUsage {
  usedSize: number;
  totalSize: number;
  backingStorageSize?: number;
}

/** JS heap of the page, its runtime worker and the service worker, each after a forced GC. */
export async function heaps(ctx: BrowserContext, page: Page, workerUrlPart: string): Promise<Record<'page' | 'worker' | 'serviceWorker', HeapUsage | null>> {
  const pageCdp = await ctx.newCDPSession(page);
  await pageCdp.send('HeapProfiler.collectGarbage');
  const pageHeap = (await pageCdp.send('Runtime.getHeapUsage')) as HeapUsage;
  const { targetInfo } = (await pageCdp.send('Target.getTargetInfo')) as { targetInfo: TargetInfo };
  await pageCdp.detach();
  const mine = (await listTargets()).filter((t) => t.browserContextId === targetInfo.browserContextId);
  const read = async (t: TargetInfo | undefined): Promise<HeapUsage | null> => {
    if (!t) return null;
    const s = await targetSession(t.targetId);
    try {
      await s.send('HeapProfiler.collectGarbage');
      return await s.send<HeapUsage>('Runtime.getHeapUsage');
    } finally {
      await s.detach();
    }
  };
  const worker = await read(mine.find((t) => t.type === 'worker' && t.url.includes(workerUrlPart) && t.parentId === targetInfo.targetId));
  const serviceWorker = await read(mine.find((t) => t.type === 'service_worker'));
  return { page: pageHeap, worker, serviceWorker };
}

/** CPU seconds used so far by each of the browser's processes, by process type (CDP SystemInfo). */
export async function processCpu(): Promise<Record<string, number>> {
  const { processInfo } = (await (await browserSession()).send('SystemInfo.getProcessInfo' as never)) as unknown as {
    processInfo: Array<{ type: string; id: number; cpuTime: number }>;
  };
  const out: Record<string, number> = {};
  for (const p of processInfo) {
    const type = p.type === 'GPU' ? 'gpu' : p.type.includes('.') ? 'utility' : p.type;
    out[type] = (out[type] ?? 0) + p.cpuTime;
  }
  return out;
}

/** CPU ms used by the whole machine so far (all cores, /proc/stat; 0 where there is no /proc). */
export function machineCpuMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]; // cpu user nice system idle iowait irq softirq steal …
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
    return (busy * 1000) / 100; // USER_HZ = 100
  } catch {
    return 0;
  }
}

/** CPU ms used by the browser's processes between two `processCpu()` readings, by type and in all. */
export function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const d = Math.max(0, ((after[k] ?? 0) - (before[k] ?? 0)) * 1000);
    out[k] = d;
    total += d;
  }
  out.total = total;
  return out;
}
