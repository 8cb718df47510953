/**
 * Heap over many responses in Node: the `openai` SDK → ResponsesService → transformers.js engine on
 * stories260K (onnxruntime-node), the same code the runtime worker runs, minus the browser. Complements
 * the browser bench's 100-response memory section: it runs long enough to tell warm-up from a leak.
 *
 *     npx tsx bench/node-memory.ts [--responses 800] [--every 200] [--snapshots]
 *
 * Prints the heap used after two forced collections every `--every` responses (after 20 of warm-up).
 * With `--snapshots` it writes heap snapshots before and after the first block to
 * node_modules/.cache/web-responses-bench/ and prints what grew between them by V8 node type and name
 * (self sizes). A benchmark, not a test: it reads numbers, it does not judge them.
 */
import OpenAI from 'openai';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import { createResponsesService } from '../src/index.ts';
import { transformersEngine } from '../src/engines/transformers.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  // Re-run with the collector exposed (tsx passes node flags through NODE_OPTIONS).
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc` },
  });
  process.exit(r.status ?? 1);
}

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RESPONSES = arg('responses', 800);
const EVERY = arg('every', 200);
const SNAPSHOTS = process.argv.includes('--snapshots');
const MODEL = fileURLToPath(new URL('../../shared/models/stories260K', import.meta.url));
const OUT = fileURLToPath(new URL('../node_modules/.cache/web-responses-bench/', import.meta.url));

const engine = transformersEngine({ model: MODEL, dtype: 'fp32' });
await engine.load();
const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://localhost/v1', fetch: createResponsesService({ engine }).fetch });

async function respond(): Promise<void> {
  const stream = await client.responses.create({ model: 'stories260K', input: 'Once upon a time', temperature: 0, max_output_tokens: 16, stream: true });
  for await (const event of stream) if (event.type === 'response.failed') throw new Error(JSON.stringify(event.response.error));
}

function heapUsed(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** Self size per (node type, name) of a heap snapshot; strings, numbers and code by type only. */
function sizesByKind(file: string): Map<string, number> {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const fields: string[] = snap.snapshot.meta.node_fields;
  const types: string[] = snap.snapshot.meta.node_types[0];
  const [t, n, s, k] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size'), fields.length];
  const out = new Map<string, number>();
  for (let i = 0; i < snap.nodes.length; i += k) {
    const type = types[snap.nodes[i + t]];
    const named = type === 'object' || type === 'closure' || type === 'hidden' || type === 'object shape';
    const key = named ? `${type} ${String(snap.strings[snap.nodes[i + n]]).slice(0, 60)}` : type;
    out.set(key, (out.get(key) ?? 0) + snap.nodes[i + s]);
  }
  return out;
}

for (let i = 0; i < 20; i++) await respond();
let last = heapUsed();
console.log(`after 20 warm-up responses: heap used ${(last / 1e6).toFixed(3)} MB`);
mkdirSync(OUT, { recursive: true });
const before = SNAPSHOTS ? v8.writeHeapSnapshot(`${OUT}node-memory-before.heapsnapshot`) : '';
for (let done = 0; done < RESPONSES; ) {
  for (let i = 0; i < EVERY && done < RESPONSES; i++, done++) await respond();
  const now = heapUsed();
  console.log(`after ${done}: heap used ${(now / 1e6).toFixed(3)} MB, ${now - last >= 0 ? '+' : ''}${Math.round((now - last) / EVERY)} B per response`);
  last = now;
  if (before && done === EVERY) {
    const after = v8.writeHeapSnapshot(`${OUT}node-memory-after.heapsnapshot`);
    const [a, b] = [sizesByKind(before), sizesByKind(after)];
    const grew = [...new Set([...a.keys(), ...b.keys()])]
      .map((key) => [key, (b.get(key) ?? 0) - (a.get(key) ?? 0)] as const)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 10);
    console.log(`grew in the first ${EVERY} (snapshot self sizes, bytes):`);
    for (const [key, bytes] of grew) console.log(`  ${String(bytes).padStart(9)}  ${key}`);
  }
}
