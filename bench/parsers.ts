/**
 * Parser + event writer throughput per tool-call format, in Node: a ~1 MB transcript written the way
 * the format's models write (text, reasoning and calls), fed in 4-character chunks, median of several
 * runs. A benchmark, not a test: `npm run bench:parsers` prints a table and writes
 * `bench/results.json` → `parser_mb_per_s`.
 *
 *     npm run bench:parsers [-- --runs 7 --mb 1] [--formats hermes,qwen3_xml]
 *
 * With `--formats` only those run, and bench/results.json is left alone.
 *
 * The measuring runs in a child `node` on an esbuild bundle of this file (as the product ships: bundled,
 * with syntax minification; see `bundleSelf`),
 * not under tsx: with tsx's loader in the process, every full garbage collection also walked tsx's own
 * heap, and where the collections fell moved the same pipeline's count by -10% to +20% (llama3_json:
 * 489 under tsx, 411 bundled).
 *
 *     npm run bench:instructions [-- --formats hermes,qwen3_xml]
 *
 * counts instructions instead of timing them: each format's pipeline runs under valgrind (callgrind)
 * in `node --predictable` (one thread, no timing-dependent heuristics, fixed seeds; a larger initial old
 * space, INSTR_OLD_SPACE_MB, keeps full collections out of the counted window), once with
 * INSTR_WARMUP passes over the transcript and once with INSTR_WARMUP + INSTR_PASSES; the difference per
 * pass and byte is the steady-state cost, without start-up or JIT warm-up. The warm-up matters: V8 still
 * optimizes functions that run once per call (call start and end, item close) during the second to
 * eighth passes, and a window that holds one of those compilations (5-10 ms each for the writer's item
 * functions) or a full garbage collection counts it: the same code counted 402, 476 and 386 per byte in
 * passes 5-8, 9-12 and 13-16 (llama3_json, session 7). So 8 passes are counted after 8 of warm-up.
 * The same code gives the same count to within 0.1% on a busy or an idle machine, so it settles A/B
 * comparisons that timings on this shared VM cannot (they move 2-4x between runs), down to about 5-10%:
 * below that, where the collections and late compilations fall moves a count as much as the code's own
 * cost (BENCHMARKS.md, sessions 6 and 7); compare the JIT code's own share (a callgrind profile) for
 * smaller changes. It needs valgrind (Debian's `valgrind` package).
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EventWriter, type WireResponse } from '../src/events/writer.ts';
import { createOutputParser, type DeltaSink, type OutputParser } from '../src/parsers/index.ts';
import { writeReport } from './report.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('runs', 7);
const TARGET_BYTES = Math.round(arg('mb', 1) * 1024 * 1024);
const CHUNK = 4;
const ONLY = process.argv.includes('--formats') ? process.argv[process.argv.indexOf('--formats') + 1].split(',') : null;
/** Passes over the transcript before counting (JIT warm-up), passes counted, and the transcript's size in MB. */
const INSTR_WARMUP = 8;
const INSTR_PASSES = 8;
const INSTR_MB = 0.25;
/**
 * Old space the counting children start with (MB), so that no full collection falls in the counted
 * window: the same code of mistral_v11 counted 266 or 705 per byte depending on whether one incremental
 * marking (and its write barrier on every store meanwhile) ran during the counted passes, which an
 * unrelated change to another module's start-up decided (BENCHMARKS.md, session 9). Scavenges of the
 * young generation, the pipeline's own allocation cost, are still counted.
 */
const INSTR_OLD_SPACE_MB = 64;

const PROSE =
  'The weather in Paris is mild today, with a light breeze from the west. Temperatures <20 °C> are expected, ' +
  'so a jacket is a good idea — "just in case". Zürich will be cooler; 東京 warmer. ';
const REASONING = 'The user wants the weather. I should call get_weather for each city, then summarise.';

let n = 0;
function args(): Record<string, unknown> {
  n++;
  return {
    city: n % 3 === 0 ? 'Zürich "Altstadt"' : 'Paris',
    days: n % 7,
    units: { temp: 'celsius', wind: 'km/h' },
    tags: ['a', 'b}', 'c\\d'],
    verbose: n % 2 === 0,
  };
}
const json = (v: unknown) => JSON.stringify(v, null, 1).replace(/\n\s*/g, ' ');

function py(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(py).join(', ')}]`;
  return `{${Object.entries(v as object).map(([k, x]) => `'${k}': ${py(x)}`).join(', ')}}`;
}

/** One "turn" of each format: what a model of that family writes; repeated to ~1 MB. */
const TURNS: Record<string, { reasoningFormat: string; turn: () => string }> = {
  hermes: {
    reasoningFormat: 'think',
    turn: () =>
      `${PROSE}<tool_call>\n{"name": "get_weather", "arguments": ${json(args())}}\n</tool_call>\n` +
      `<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>\n${PROSE}`,
  },
  qwen3_xml: {
    reasoningFormat: 'think',
    turn: () => {
      const a = args();
      return (
        `${PROSE}<tool_call>\n<function=get_weather>\n<parameter=city>\n${a.city}\n</parameter>\n` +
        `<parameter=days>\n${a.days}\n</parameter>\n<parameter=units>\n${JSON.stringify(a.units)}\n</parameter>\n` +
        `<parameter=verbose>\n${a.verbose}\n</parameter>\n</function>\n</tool_call>\n`
      );
    },
  },
  llama3_json: {
    reasoningFormat: 'none',
    turn: () => `{"name": "get_weather", "parameters": ${json(args())}}; {"name": "get_time", "parameters": {}}; `,
  },
  pythonic: {
    reasoningFormat: 'none',
    turn: () => {
      const a = args();
      const kw = Object.entries(a).map(([k, v]) => `${k}=${py(v)}`).join(', ');
      return `${PROSE}<|tool_call_start|>[get_weather(${kw}), get_time()]<|tool_call_end|>`;
    },
  },
  mistral: {
    reasoningFormat: 'none',
    turn: () => `${PROSE}[TOOL_CALLS][{"name": "get_weather", "arguments": ${json(args())}}, {"name": "get_time", "arguments": {}}]`,
  },
  mistral_v11: {
    reasoningFormat: 'none',
    turn: () => `${PROSE}[TOOL_CALLS]get_weather[ARGS]${json(args())}[TOOL_CALLS]get_time[ARGS]{}`,
  },
  phi4_mini_json: {
    reasoningFormat: 'none',
    turn: () => `${PROSE}functools[{"name": "get_weather", "arguments": ${json(args())}}, {"name": "get_time", "arguments": {}}]`,
  },
  harmony: {
    reasoningFormat: 'none',
    turn: () =>
      `<|channel|>analysis<|message|>${REASONING}<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>${json(args())}<|call|>` +
      `<|start|>assistant<|channel|>final<|message|>${PROSE}<|end|><|start|>assistant`,
  },
};

/** Transcript: the format's turns repeated; formats that take calls only at the start get one block. */
function transcript(format: string): string {
  const { turn } = TURNS[format];
  if (format === 'llama3_json') {
    let s = '';
    while (s.length < TARGET_BYTES) s += turn();
    return s.replace(/; $/, '');
  }
  let s = format === 'hermes' || format === 'qwen3_xml' ? `<think>\n${REASONING}\n</think>\n\n` : '';
  while (s.length < TARGET_BYTES) s += turn();
  return s;
}

const INITIAL = {
  id: 'resp_bench',
  object: 'response',
  created_at: 0,
  status: 'in_progress',
  output: [],
  model: 'bench',
  tools: [],
  tool_choice: 'auto',
} as unknown as WireResponse;

/** Reasoning format per format; `none` is the plain-text baseline (no tool-call parsing at all). */
const reasoningOf = (format: string) => (format === 'none' ? 'none' : TURNS[format].reasoningFormat);

/**
 * The tools the transcripts call, as the request would give them: the service passes the request's
 * tools to the parser, and qwen3_xml types each parameter's value by them (without them every value is
 * typed 'auto' and held until it can tell a string from JSON).
 */
const TOOLS = [
  {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string' },
        days: { type: 'integer' },
        units: { type: 'object' },
        tags: { type: 'array', items: { type: 'string' } },
        verbose: { type: 'boolean' },
      },
    },
  },
  { name: 'get_time', parameters: { type: 'object', properties: {} } },
];
const NO_TOOLS = process.env.BENCH_NO_TOOLS === '1';
const parserFor = (format: string) =>
  createOutputParser({ toolFormat: format, reasoningFormat: reasoningOf(format), tools: NO_TOOLS ? undefined : TOOLS });

function once(format: string, chunks: string[]): { seconds: number; events: number; calls: number } {
  const parser = parserFor(format);
  const writer = new EventWriter(INITIAL);
  let events = 0;
  const t0 = performance.now();
  events += feed(parser, writer, chunks);
  parser.endTo(writer);
  events += writer.finish('stop', { inputTokens: 0, outputTokens: chunks.length }).length;
  const seconds = (performance.now() - t0) / 1000;
  if (format !== 'none' && writer.ended && !writer.completedCalls) throw new Error(`${format}: the transcript produced no calls`);
  return { seconds, events, calls: writer.completedCalls };
}

/**
 * As the service does it (src/service/generation.ts): the parser writes into the writer, which hands
 * over one batch of events per engine chunk. A function of its own: TurboFan compiles the loop while it
 * runs (on-stack replacement), and inside `once` the code after the loop (`endTo`, `finish`) had no type
 * feedback yet, so that compiled loop deoptimized at its exit once per pass (`--trace-deopt`; the count
 * did not move, but the pass should not depend on it).
 */
function feed(parser: OutputParser, writer: EventWriter, chunks: string[]): number {
  let events = 0;
  for (let i = 0; i < chunks.length; i++) {
    parser.pushTo(chunks[i], writer);
    const batch = writer.drain();
    if (batch !== null) events += batch.length;
  }
  return events;
}

/** Counts what a parser writes and keeps the last string (the parser alone, with no writer behind it). */
class CountingSink implements DeltaSink {
  deltas = 0;
  last = '';
  text(t: string) {
    this.deltas++;
    this.last = t;
  }
  reasoning(t: string) {
    this.deltas++;
    this.last = t;
  }
  callArgs(t: string) {
    this.deltas++;
    this.last = t;
  }
  callStart(name: string) {
    this.deltas++;
    this.last = name;
  }
  callEnd() {
    this.deltas++;
  }
}

/** The parser alone, same chunks: its deltas are counted and dropped (the decomposition's first part). */
let keep: unknown;
function parserOnly(format: string, chunks: string[]): number {
  const parser = parserFor(format);
  const sink = new CountingSink();
  const t0 = performance.now();
  for (let i = 0; i < chunks.length; i++) parser.pushTo(chunks[i], sink);
  parser.endTo(sink);
  const deltas = sink.deltas;
  keep = sink.last;
  const seconds = (performance.now() - t0) / 1000;
  if (deltas === 0) throw new Error(`${format}: no deltas`);
  return seconds;
}

/**
 * How fast this machine is right now: ns per iteration of a fixed integer loop. On a shared VM it moves
 * between runs (seen here: 1.2–5 ns in the same hour); compare it across machines before the MB/s.
 */
function loopNs(): number {
  const N = 1e8;
  let x = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) x = (x + (i & 7)) | 0;
  const ns = ((performance.now() - t0) * 1e6) / N;
  keep = x;
  return Math.round(ns * 100) / 100;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round1 = (x: number) => Math.round(x * 10) / 10;

/** The plain-text transcript for the baseline: the formats' prose, no markup. */
function plainText(): string {
  let s = '';
  while (s.length < TARGET_BYTES) s += PROSE;
  return s;
}

/** The transcript a format is measured on, as the chunks the engine would stream. */
function chunksOf(format: string): { text: string; bytes: number; chunks: string[] } {
  const text = format === 'none' ? plainText() : transcript(format);
  const bytes = new TextEncoder().encode(text).length;
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += CHUNK) chunks.push(text.slice(i, i + CHUNK));
  return { text, bytes, chunks };
}

const formats = ['none', ...Object.keys(TURNS)].filter((f) => !ONLY || ONLY.includes(f) || f === 'none');

function saveResults(update: (all: Record<string, unknown>) => void): void {
  const file = new URL('./results.json', import.meta.url);
  const all = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  update(all);
  writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
  console.log(`\nwrote bench/results.json and ${writeReport(all)}`);
}

/** What a timed child measured: MB/s per run, the calls and events of one run. */
interface TimedRun {
  rates: number[];
  calls: number;
  events: number;
}

/**
 * Timed, in a bundled child of its own per format and measure (`full`: parser + writer; `alone`: the
 * parser into a counting sink): 3 warm-up runs, then RUNS timed runs; prints one `RESULT {json}` line.
 * One process per format and measure, as a worker serves one model: in one process for all formats,
 * the parsers' calls into their sink (the writer, the counting sink) and the splitter's calls into its
 * inner parser saw several classes, which the formats measured later paid for.
 */
function timedChild(format: string, measure: string): void {
  if (measure === 'loop') {
    console.log(`RESULT ${JSON.stringify({ rates: [loopNs()], calls: 0, events: 0 } satisfies TimedRun)}`);
    return;
  }
  const { bytes, chunks } = chunksOf(format);
  const run = () => (measure === 'alone' ? { seconds: parserOnly(format, chunks), calls: 0, events: 0 } : once(format, chunks));
  for (let i = 0; i < 3; i++) run(); // warm-up (JIT)
  const runs = Array.from({ length: RUNS }, run);
  const result: TimedRun = { rates: runs.map((r) => bytes / 1e6 / r.seconds), calls: runs[0].calls, events: runs[0].events };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/** Runs one timed child on the bundle and returns its result. */
async function timedRun(bundle: string, format: string, measure: 'full' | 'alone' | 'loop'): Promise<TimedRun> {
  const args = [bundle, '--timed-child', format, measure, '--runs', String(RUNS), '--mb', String(TARGET_BYTES / 1024 / 1024)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (data: string) => (out += data));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || line === undefined) throw new Error(`the timed run of ${format} (${measure}) failed (exit code ${code})`);
  return JSON.parse(line.slice('RESULT '.length)) as TimedRun;
}

/** Timed: per format, parser + writer and the parser alone, each in its own child; prints the table and saves it. */
async function timed(bundle: string): Promise<void> {
  const results: Record<string, number> = {};
  let plain = NaN;
  const alone: Record<string, number> = {};
  const spread: Record<string, [number, number]> = {};
  const rows: string[] = [];
  // The machine's speed, in a child like the measuring ones (under tsx the same loop timed differently).
  const loopBefore = (await timedRun(bundle, 'none', 'loop')).rates[0];
  for (const format of formats) {
    const full = await timedRun(bundle, format, 'full');
    const parser = await timedRun(bundle, format, 'alone');
    const mbps = median(full.rates);
    const lo = Math.min(...full.rates);
    const hi = Math.max(...full.rates);
    if (format === 'none') plain = round1(mbps);
    else {
      results[format] = round1(mbps);
      spread[format] = [round1(lo), round1(hi)];
    }
    alone[format] = round1(median(parser.rates));
    const name = format === 'none' ? '(plain text, no format: the floor)' : format;
    rows.push(
      `| ${name} | ${mbps.toFixed(1)} | ${lo.toFixed(1)}–${hi.toFixed(1)} | ${median(parser.rates).toFixed(1)} | ${format === 'none' ? '' : full.calls} | ${full.events} |`,
    );
  }
  const loopAfter = (await timedRun(bundle, 'none', 'loop')).rates[0];
  console.log(
    `Parser + event writer, ${(TARGET_BYTES / 1e6).toFixed(2)} MB per format in ${CHUNK}-character chunks, median of ${RUNS} (Node ${process.version}, bundled, one process per format); ` +
      `machine: ${loopBefore} → ${loopAfter} ns per loop iteration\n`,
  );
  console.log('| format | parser + writer MB/s (median) | min–max | parser alone MB/s | calls | events |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  const detail = {
    chunk_chars: CHUNK,
    runs: RUNS,
    node: process.version,
    bundled: true,
    process_per_format: true,
    spread_mb_per_s: spread,
    parser_alone_mb_per_s: alone,
    plain_text_mb_per_s: plain,
    loop_ns: [loopBefore, loopAfter],
  };
  if (!ONLY) {
    saveResults((all) => {
      all.parser_mb_per_s = results;
      all.parser_detail = detail;
    });
  }
}

/**
 * This file bundled with esbuild (sources inlined, as a bundler ships them), for the measuring
 * children: they run in plain `node`, without tsx's loader and its heap. The bundle goes to
 * node_modules/.cache, where packages still resolve.
 */
async function bundleSelf(): Promise<string> {
  const outfile = fileURLToPath(new URL('../node_modules/.cache/web-responses-bench/parsers.mjs', import.meta.url));
  const { build } = await import('esbuild');
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    packages: 'external',
    // As `vite build` ships the worker: esbuild's syntax minification, which among other things puts
    // module-level constants in place. Node 20's V8 loads an unreplaced one from the module's context
    // (and checks its type) at each use: llama3_json counted 5-8% more instructions unminified (BENCHMARKS.md
    // session 8). Names are kept, for profiles.
    minifySyntax: true,
    logLevel: 'warning',
  });
  return outfile;
}

/** Child of `--instructions`: `passes` passes of parser + writer over one format's transcript, nothing else. */
function child(format: string, passes: number): void {
  const { bytes, chunks } = chunksOf(format);
  let events = 0;
  for (let i = 0; i < passes; i++) events += once(format, chunks).events;
  console.log(`bytes ${bytes} events ${events}`);
}

const run = promisify(execFile);

/** Instructions of one child run under callgrind, and the transcript's size in bytes. */
async function countInstructions(
  bundle: string,
  format: string,
  passes: number,
): Promise<{ instructions: number; bytes: number }> {
  const { stdout, stderr } = await run(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      '--predictable',
      '--hash-seed=1',
      '--random-seed=1',
      `--initial-old-space-size=${INSTR_OLD_SPACE_MB}`,
      bundle,
      '--child',
      format,
      String(passes),
      '--mb',
      String(INSTR_MB),
    ],
    { maxBuffer: 1 << 24 },
  );
  const m = /Collected : (\d+)/.exec(stderr);
  const b = /bytes (\d+)/.exec(stdout);
  if (!m || !b) throw new Error(`valgrind printed no instruction count for ${format}:\n${stderr.slice(-2000)}`);
  return { instructions: Number(m[1]), bytes: Number(b[1]) };
}

/** Deterministic: instructions per byte per format (see the header). Two children at a time (2 cores). */
async function instructions(bundle: string): Promise<void> {
  try {
    await run('valgrind', ['--version']);
  } catch {
    throw new Error('--instructions needs valgrind: apt-get install valgrind');
  }
  const perByte: Record<string, number> = {};
  console.log(
    `Instructions per byte of transcript, parser + event writer (valgrind, node --predictable --initial-old-space-size=${INSTR_OLD_SPACE_MB}; ${INSTR_MB} MB transcripts, ` +
      `${INSTR_WARMUP + INSTR_PASSES} passes − ${INSTR_WARMUP} passes)\n`,
  );
  console.log('| format | instructions per byte | per 4-character chunk |');
  console.log('|---|---|---|');
  for (const format of formats) {
    const [warm, more] = await Promise.all([
      countInstructions(bundle, format, INSTR_WARMUP),
      countInstructions(bundle, format, INSTR_WARMUP + INSTR_PASSES),
    ]);
    const ipb = (more.instructions - warm.instructions) / INSTR_PASSES / warm.bytes;
    perByte[format] = Math.round(ipb);
    console.log(`| ${format === 'none' ? '(plain text, no format)' : format} | ${ipb.toFixed(0)} | ${(ipb * CHUNK).toFixed(0)} |`);
  }
  if (!ONLY) {
    saveResults((all) => {
      all.parser_instructions_per_byte = {
        node: process.version,
        chunk_chars: CHUNK,
        transcript_mb: INSTR_MB,
        warmup_passes: INSTR_WARMUP,
        passes: INSTR_PASSES,
        initial_old_space_mb: INSTR_OLD_SPACE_MB,
        per_byte: perByte,
      };
    });
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt > 0) child(process.argv[childAt + 1], Number(process.argv[childAt + 2]));
else if (process.argv.includes('--timed-child')) {
  const at = process.argv.indexOf('--timed-child');
  timedChild(process.argv[at + 1], process.argv[at + 2]);
}
else if (process.argv.includes('--instructions')) await instructions(await bundleSelf());
else await timed(await bundleSelf());
