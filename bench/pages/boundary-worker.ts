/// <reference lib="webworker" />
/**
 * Worker-boundary benchmark worker: the runtime's worker host (src/browser/host.ts, over comlink) with
 * the *scripted* engine, so a stream costs nothing but the service, the SSE encoding and the crossing.
 * A plain `{ type: IN_WORKER }` message makes it read the same stream inside the worker and post the
 * stats back: the rate with no boundary.
 */
import * as Comlink from 'comlink';
import '../../src/browser/errors.ts';
import { createWorkerHost } from '../../src/browser/host.ts';
import { scriptedEngine } from '../../src/engines/scripted.ts';
import { createResponsesService } from '../../src/service/service.ts';
import { IN_WORKER, IN_WORKER_RESULT, type BoundaryStats } from './common.ts';

declare const self: DedicatedWorkerGlobalScope;

const MODEL = 'scripted-boundary';
const WORDS = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', ',', ' and', ' then', ' it', ' rests', '.', '\n'];
/** 200k pseudo-tokens; requests cap them with max_output_tokens. */
const TOKENS: string[] = Array.from({ length: 200_000 }, (_, i) => WORDS[i % WORDS.length]);

const engine = scriptedEngine({ model: MODEL, output: TOKENS });
const service = createResponsesService({ engine });

/** Counts SSE records (`event:` lines) in a byte stream, reading it to the end. */
async function countSse(body: ReadableStream<Uint8Array>): Promise<{ events: number; bytes: number }> {
  const reader = body.getReader();
  let events = 0;
  let bytes = 0;
  // A record starts with "event: " at the start of a line; count "\n\n" terminators instead (cheap, exact for our encoder).
  let prevNl = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (let i = 0; i < value.length; i++) {
      const nl = value[i] === 10;
      if (nl && prevNl) events++;
      prevNl = nl;
    }
  }
  return { events, bytes };
}

// The runtime's own worker host around the scripted engine: the same fetch, ports and liveness answers.
const host = createWorkerHost({ makeEngine: () => ({ ...engine, load: async () => {}, unload: async () => {}, info: { backend: 'scripted' } }) });

/** The same stream read inside the worker (no boundary). */
async function inWorker(tokens: number): Promise<BoundaryStats> {
  const t0 = performance.now();
  const res = await service.fetch('http://worker.local/v1/responses', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, input: 'Write.', max_output_tokens: tokens, stream: true }),
  });
  const { events, bytes } = await countSse(res.body!);
  return { events, bytes, ms: performance.now() - t0 };
}

Comlink.expose(host);
// A plain message beside comlink's (which ignores messages of unknown type): the in-worker rate.
self.addEventListener('message', (e: MessageEvent<{ type?: string; tokens?: number }>) => {
  if (e.data?.type !== IN_WORKER) return;
  void inWorker(e.data.tokens ?? 0).then((stats) => self.postMessage({ type: IN_WORKER_RESULT, stats }));
});
