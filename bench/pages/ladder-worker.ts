/// <reference lib="webworker" />
/**
 * The steps between BARE and STACK, to attribute the overhead, in a worker of its own:
 *
 * - ENGINE: our transformers.js engine (src/engines/transformers.ts) alone — `engine.generate()` on the
 *   prompt the service would render; one message per chunk to the page.
 * - SERVICE: the ResponsesService (prompt, engine, parser, event writer, SSE encoding) read inside the
 *   worker; one message per `response.output_text.delta` record to the page.
 *
 * Like BARE, every message is timed on arrival by the page (bench/pages/ladder.ts).
 */
import { transformersEngine, type TransformersEngine } from '../../src/engines/transformers.ts';
import { ChatTemplate } from '../../src/prompt/chat.ts';
import { createResponsesService, type ResponsesService } from '../../src/service/service.ts';

declare const self: DedicatedWorkerGlobalScope;

export type LadderRequest =
  | { type: 'load'; model: string; device: string; dtype: string }
  | { type: 'engine' | 'service'; prompt: string; maxTokens: number };

export type LadderMessage =
  | { type: 'loaded'; loadMs: number }
  | { type: 'token' }
  | { type: 'done'; inputTokens: number; outputTokens: number; text: string }
  | { type: 'error'; message: string };

let engine: TransformersEngine | null = null;
let service: ResponsesService | null = null;
let template: ChatTemplate | null = null;

async function load(model: string, device: string, dtype: string): Promise<number> {
  const t0 = performance.now();
  await engine?.unload();
  engine = transformersEngine({ model, device, dtype, wasmPaths: '/ort/' });
  await engine.load();
  service = createResponsesService({ engine });
  template = new ChatTemplate(engine.models()[0].chatTemplate);
  return performance.now() - t0;
}

async function viaEngine(prompt: string, maxTokens: number): Promise<void> {
  const info = engine!.models()[0];
  const rendered = template!.render({ messages: [{ role: 'user', content: prompt }], tools: [], bosToken: info.bosToken, eosToken: info.eosToken });
  let text = '';
  for await (const ev of engine!.generate({
    model: info.id,
    prompt: rendered,
    sampling: { temperature: 0, topP: 1, maxTokens },
    signal: new AbortController().signal,
  })) {
    if (ev.type === 'chunk') {
      text += ev.text;
      self.postMessage({ type: 'token' } satisfies LadderMessage);
    } else {
      self.postMessage({ type: 'done', inputTokens: ev.inputTokens, outputTokens: ev.outputTokens, text } satisfies LadderMessage);
    }
  }
}

async function viaService(prompt: string, maxTokens: number): Promise<void> {
  const id = engine!.models()[0].id;
  const res = await service!.fetch('http://worker.local/v1/responses', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: id, input: prompt, temperature: 0, max_output_tokens: maxTokens, stream: true }),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let sse = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = decoder.decode(value, { stream: true });
    sse += chunk;
    for (let i = chunk.indexOf('event: response.output_text.delta\n'); i !== -1; i = chunk.indexOf('event: response.output_text.delta\n', i + 1)) {
      self.postMessage({ type: 'token' } satisfies LadderMessage);
    }
  }
  const usage = /"input_tokens":(\d+).*"output_tokens":(\d+)/.exec(sse.slice(sse.lastIndexOf('event: ')));
  const text = [...sse.matchAll(/"type":"response\.output_text\.delta".*?"delta":("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]) as string).join('');
  self.postMessage({ type: 'done', inputTokens: Number(usage?.[1] ?? 0), outputTokens: Number(usage?.[2] ?? 0), text } satisfies LadderMessage);
}

self.onmessage = async (e: MessageEvent<LadderRequest>) => {
  const msg = e.data;
  try {
    if (msg.type === 'load') self.postMessage({ type: 'loaded', loadMs: await load(msg.model, msg.device, msg.dtype) } satisfies LadderMessage);
    else if (msg.type === 'engine') await viaEngine(msg.prompt, msg.maxTokens);
    else await viaService(msg.prompt, msg.maxTokens);
  } catch (err) {
    self.postMessage({ type: 'error', message: (err as Error)?.message ?? String(err) } satisfies LadderMessage);
  }
};
