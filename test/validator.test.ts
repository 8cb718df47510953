/**
 * Proves that test/helpers/validate-stream.ts and test/helpers/sse.ts accept canonical streams and reject every
 * rule violation with a precise message. The canonical streams are also replayed through openai-node 7.x and 6.x
 * `responses.stream()` to make sure "valid" here means "accepted by the official client".
 */
import fc from 'fast-check';
import OpenAI from 'openai';
import OpenAI6 from 'openai6';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import {
  parseSse,
  parseSseChunks,
  readSseResponse,
  toSseBody,
  validateSseFraming,
} from './helpers/sse.ts';
import {
  StreamValidationError,
  validateStream,
  type ValidateStreamOptions,
  type ValidateToolSpec,
} from './helpers/validate-stream.ts';

// ---------------------------------------------------------------------------------------------------------------
// A hand-written builder for canonical streams (target profile §6). Deliberately independent of src/.

type Ev = Record<string, any>;

const RESP_ID = 'resp_0123456789abcdef';

function baseResponse(status: string, output: Ev[] = []): Ev {
  return {
    id: RESP_ID,
    object: 'response',
    created_at: 1_750_000_000,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: 'test-model',
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: null,
    user: null,
    metadata: {},
  };
}

const USAGE = {
  input_tokens: 12,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 30,
  output_tokens_details: { reasoning_tokens: 5 },
  total_tokens: 42,
};

class StreamBuilder {
  events: Ev[] = [];
  done: Ev[] = [];
  private index = 0;

  constructor() {
    this.push({ type: 'response.created', response: baseResponse('in_progress') });
    this.push({ type: 'response.in_progress', response: baseResponse('in_progress') });
  }

  private push(e: Ev): void {
    // Deep copy: no object is shared between events, so a mutation touches exactly one place.
    const { type, ...rest } = structuredClone(e);
    this.events.push({ type, sequence_number: this.events.length, ...rest });
  }

  text(id: string, chunks: string[], status: 'completed' | 'incomplete' = 'completed'): this {
    const output_index = this.index++;
    const text = chunks.join('');
    const at = { item_id: id, output_index, content_index: 0 };
    this.push({ type: 'response.output_item.added', output_index, item: { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
    this.push({ type: 'response.content_part.added', ...at, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
    for (const delta of chunks) this.push({ type: 'response.output_text.delta', ...at, delta, logprobs: [] });
    this.push({ type: 'response.output_text.done', ...at, text, logprobs: [] });
    const part = { type: 'output_text', annotations: [], logprobs: [], text };
    this.push({ type: 'response.content_part.done', ...at, part });
    const item = { id, type: 'message', status, content: [part], role: 'assistant' };
    this.push({ type: 'response.output_item.done', output_index, item });
    this.done.push(item);
    return this;
  }

  reasoning(id: string, chunks: string[]): this {
    const output_index = this.index++;
    const text = chunks.join('');
    const at = { item_id: id, output_index, content_index: 0 };
    this.push({ type: 'response.output_item.added', output_index, item: { id, type: 'reasoning', summary: [], content: [], status: 'in_progress' } });
    this.push({ type: 'response.content_part.added', ...at, part: { type: 'reasoning_text', text: '' } });
    for (const delta of chunks) this.push({ type: 'response.reasoning_text.delta', ...at, delta });
    this.push({ type: 'response.reasoning_text.done', ...at, text });
    this.push({ type: 'response.content_part.done', ...at, part: { type: 'reasoning_text', text } });
    const item = { id, type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text }], status: 'completed' };
    this.push({ type: 'response.output_item.done', output_index, item });
    this.done.push(item);
    return this;
  }

  call(id: string, callId: string, name: string, chunks: string[], status: 'completed' | 'incomplete' = 'completed'): this {
    const output_index = this.index++;
    const args = chunks.join('');
    this.push({ type: 'response.output_item.added', output_index, item: { id, type: 'function_call', status: 'in_progress', arguments: '', call_id: callId, name } });
    for (const delta of chunks) this.push({ type: 'response.function_call_arguments.delta', item_id: id, output_index, delta });
    if (chunks.length > 0) this.push({ type: 'response.function_call_arguments.done', item_id: id, output_index, arguments: args, name });
    const item = { id, type: 'function_call', status, arguments: args, call_id: callId, name };
    this.push({ type: 'response.output_item.done', output_index, item });
    this.done.push(item);
    return this;
  }

  completed(): Ev[] {
    this.push({ type: 'response.completed', response: { ...baseResponse('completed', this.done), usage: USAGE } });
    return this.events;
  }

  incomplete(): Ev[] {
    const output = this.done.filter((i) => !(i.type === 'function_call' && i.status === 'incomplete'));
    this.push({
      type: 'response.incomplete',
      response: { ...baseResponse('incomplete', output), incomplete_details: { reason: 'max_output_tokens' }, usage: USAGE },
    });
    return this.events;
  }

  failed(message: string): Ev[] {
    this.push({ type: 'error', error: { code: 'server_error', message, param: null } });
    this.push({ type: 'response.failed', response: { ...baseResponse('failed', this.done), error: { code: 'server_error', message } } });
    return this.events;
  }
}

const WEATHER: ValidateToolSpec = {
  name: 'get_weather',
  strict: true,
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};
const TIME: ValidateToolSpec = { name: 'get_time', strict: true, parameters: null };
const TOOLS = [WEATHER, TIME];

/** Request tools in wire format, for the SDK replay. */
const SDK_TOOLS = TOOLS.map((t) => ({ type: 'function' as const, name: t.name, strict: t.strict ?? null, parameters: (t.parameters ?? null) as Record<string, unknown> | null }));

const GOOD: Record<string, () => Ev[]> = {
  text: () => new StreamBuilder().text('msg_a1', ['Hel', 'lo', ' wörld 🌍']).completed(),
  'reasoning+text': () => new StreamBuilder().reasoning('rs_a1', ['Let me ', 'think.']).text('msg_a2', ['Hi', '!']).completed(),
  'text+2 parallel calls': () =>
    new StreamBuilder()
      .text('msg_a1', ['Checking.'])
      .call('fc_a1', 'call_a1', 'get_weather', ['{"city"', ':"Paris"}'])
      .call('fc_a2', 'call_a2', 'get_weather', ['{"city":"Oslo"}'])
      .completed(),
  'parameterless call': () => new StreamBuilder().call('fc_b1', 'call_b1', 'get_time', ['{}']).completed(),
  'incomplete mid-text': () => new StreamBuilder().text('msg_c1', ['The answer is', ' long'], 'incomplete').incomplete(),
  'incomplete mid-call (left out of output)': () =>
    new StreamBuilder().text('msg_d1', ['Calling.']).call('fc_d1', 'call_d1', 'get_weather', ['{"ci'], 'incomplete').incomplete(),
  'incomplete call without any argument delta': () => new StreamBuilder().call('fc_d2', 'call_d2', 'get_weather', [], 'incomplete').incomplete(),
  'error+failed': () => new StreamBuilder().text('msg_e1', ['partial']).failed('generation crashed'),
  'error while an item is open': () => {
    const b = new StreamBuilder();
    b.events.push(
      { type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { id: 'msg_f1', type: 'message', status: 'in_progress', content: [], role: 'assistant' } },
      { type: 'response.content_part.added', sequence_number: 3, item_id: 'msg_f1', output_index: 0, content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } },
      { type: 'response.output_text.delta', sequence_number: 4, item_id: 'msg_f1', output_index: 0, content_index: 0, delta: 'par', logprobs: [] },
    );
    return b.failed('engine died');
  },
};

const asEvents = (e: Ev[]): ResponseStreamEvent[] => e as unknown as ResponseStreamEvent[];
const clone = (e: Ev[]): Ev[] => structuredClone(e);
/** Re-assigns sequence numbers, so a mutation tests its own rule and not the seq rule. */
const renumber = (e: Ev[]): Ev[] => e.map((x, k) => ({ ...x, sequence_number: k }));
const find = (e: Ev[], type: string, nth = 0): number => {
  const hits = e.flatMap((x, k) => (x.type === type ? [k] : []));
  const k = hits[nth];
  if (k === undefined) throw new Error(`test setup: no ${type} #${nth}`);
  return k;
};
const last = (e: Ev[]): Ev => e[e.length - 1]!;

function sdkReplay(body: string, major: 7 | 6): Promise<{ events: string[]; final: any }> {
  const fetchImpl = async (): Promise<Response> => {
    const bytes = new TextEncoder().encode(body);
    const chunks: Uint8Array[] = [];
    for (let k = 0; k < bytes.length; k += 37) chunks.push(bytes.slice(k, k + 37));
    return new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      }),
      { status: 200, headers: { 'content-type': 'text/event-stream' } },
    );
  };
  const Ctor = (major === 7 ? OpenAI : OpenAI6) as unknown as new (o: object) => OpenAI;
  const client = new Ctor({ apiKey: 'x', baseURL: 'http://fake/v1', maxRetries: 0, fetch: fetchImpl });
  const s = client.responses.stream({ model: 'm', input: 'hi', tools: SDK_TOOLS });
  return (async () => {
    const events: string[] = [];
    for await (const ev of s) events.push(ev.type);
    return { events, final: await s.finalResponse() };
  })();
}

// ---------------------------------------------------------------------------------------------------------------

describe('validateStream accepts canonical streams', () => {
  for (const [name, build] of Object.entries(GOOD)) {
    it(name, () => {
      const events = build();
      const r = validateStream(asEvents(events), { tools: TOOLS });
      expect(r.response.id).toBe(RESP_ID);
      expect(r.items.length).toBe(events.filter((e) => e.type === 'response.output_item.done').length);
      // The same events survive our SSE framing round trip.
      expect(validateSseFraming(toSseBody(events))).toEqual(events);
    });
  }

  it('returns the final response, items and output text', () => {
    const r = validateStream(asEvents(GOOD['text+2 parallel calls']!()), { tools: TOOLS });
    expect(r.terminal).toBe('response.completed');
    expect(r.outputText).toBe('Checking.');
    expect(r.items.map((i) => i.type)).toEqual(['message', 'function_call', 'function_call']);
    expect(r.response.usage?.total_tokens).toBe(42);
  });

  it('excludes nothing but the truncated call from an incomplete output', () => {
    const r = validateStream(asEvents(GOOD['incomplete mid-call (left out of output)']!()), { tools: TOOLS });
    expect(r.terminal).toBe('response.incomplete');
    expect(r.items.map((i) => i.id)).toEqual(['msg_d1', 'fc_d1']);
    expect(r.response.output.map((i) => i.id)).toEqual(['msg_d1']);
  });

  it('accepts tool_choice constraints that are met, and reasoningFirst', () => {
    const calls = GOOD['text+2 parallel calls']!();
    expect(() => validateStream(asEvents(calls), { tools: TOOLS, toolChoice: 'auto' })).not.toThrow();
    const onlyCalls = new StreamBuilder().call('fc_1', 'call_1', 'get_weather', ['{"city":"Rome"}']).completed();
    expect(() => validateStream(asEvents(onlyCalls), { tools: TOOLS, toolChoice: 'required' })).not.toThrow();
    expect(() => validateStream(asEvents(onlyCalls), { tools: TOOLS, toolChoice: { type: 'function', name: 'get_weather' } })).not.toThrow();
    expect(() => validateStream(asEvents(GOOD.text!()), { tools: TOOLS, toolChoice: 'none' })).not.toThrow();
    // Truncated forced call (case 27): no call in output, still valid.
    expect(() =>
      validateStream(asEvents(GOOD['incomplete call without any argument delta']!()), { tools: TOOLS, toolChoice: 'required' }),
    ).not.toThrow();
    expect(() => validateStream(asEvents(GOOD['reasoning+text']!()), { reasoningFirst: true })).not.toThrow();
  });

  for (const name of ['text', 'reasoning+text', 'text+2 parallel calls', 'parameterless call', 'incomplete mid-text', 'incomplete mid-call (left out of output)']) {
    for (const major of [7, 6] as const) {
      it(`openai-node ${major}.x responses.stream() accepts '${name}'`, async () => {
        const events = GOOD[name]!();
        const { events: types, final } = await sdkReplay(toSseBody(events), major);
        expect(types).toEqual(events.map((e) => e.type));
        expect(final.id).toBe(RESP_ID);
        expect(final.status).toBe(last(events).response.status);
        expect(final.output.map((o: Ev) => o.id)).toEqual(last(events).response.output.map((o: Ev) => o.id));
      });
    }
  }

  it('openai-node 7.x rejects the error+failed stream with the error message', async () => {
    await expect(sdkReplay(toSseBody(GOOD['error+failed']!()), 7)).rejects.toThrow(/generation crashed/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface Mutation {
  name: string;
  base: keyof typeof GOOD;
  mutate: (e: Ev[]) => Ev[];
  error: RegExp;
  opts?: ValidateStreamOptions;
}

const MUTATIONS: Mutation[] = [
  // Case 2
  { name: 'gap in sequence numbers', base: 'text', mutate: (e) => { e[4]!.sequence_number = 5; return e; }, error: /^event 4 \(response\.output_text\.delta\): sequence_number 5 but expected 4/ },
  { name: 'sequence numbers start at 1', base: 'text', mutate: (e) => e.map((x) => ({ ...x, sequence_number: x.sequence_number + 1 })), error: /^event 0 \(response\.created\): sequence_number 1 but expected 0/ },
  // Case 3
  { name: 'first event is not response.created', base: 'text', mutate: (e) => renumber(e.slice(1)), error: /^event 0 \(response\.in_progress\): the first event must be response\.created/ },
  { name: 'created with status completed', base: 'text', mutate: (e) => { e[0]!.response.status = 'completed'; return e; }, error: /^event 0 \(response\.created\): response\.status 'completed' but expected 'in_progress'/ },
  { name: 'created with non-empty output', base: 'text', mutate: (e) => { e[0]!.response.output = [{ id: 'msg_x' }]; return e; }, error: /event 0 .*response\.output must be \[\]/ },
  { name: 'created without error:null', base: 'text', mutate: (e) => { delete e[0]!.response.error; return e; }, error: /event 0 .*response\.error must be present and null/ },
  { name: 'created with wrong object', base: 'text', mutate: (e) => { e[0]!.response.object = 'chat.completion'; return e; }, error: /response\.object 'chat\.completion' but expected 'response'/ },
  // Case 4
  { name: 'missing in_progress', base: 'text', mutate: (e) => renumber([e[0]!, ...e.slice(2)]), error: /^event 1 \(response\.output_item\.added\): expected response\.in_progress as the second event/ },
  { name: 'in_progress twice', base: 'text', mutate: (e) => renumber([e[0]!, e[1]!, clone([e[1]!])[0]!, ...e.slice(2)]), error: /^event 2 \(response\.in_progress\): response\.in_progress may only appear once/ },
  { name: 'in_progress with another response id', base: 'text', mutate: (e) => { e[1]!.response.id = 'resp_other'; return e; }, error: /^event 1 \(response\.in_progress\): response\.id 'resp_other' does not match the created id 'resp_0123456789abcdef'/ },
  // Case 5
  { name: 'duplicate terminal event', base: 'text', mutate: (e) => renumber([...e, clone([last(e)])[0]!]), error: /response\.completed\): terminal event must be the last event, but 1 event\(s\) follow/ },
  { name: 'missing terminal event', base: 'text', mutate: (e) => e.slice(0, -1), error: /ended without a terminal event/ },
  { name: 'terminal with another response id', base: 'text', mutate: (e) => { last(e).response.id = 'resp_zzz'; return e; }, error: /response\.completed\): response\.id 'resp_zzz' does not match the created id/ },
  { name: 'completed with status incomplete (vLLM compat shape)', base: 'text', mutate: (e) => { last(e).response.status = 'incomplete'; return e; }, error: /response\.completed\): response\.status 'incomplete' but expected 'completed'/ },
  // Case 25
  { name: 'response.reasoning_part.added event', base: 'reasoning+text', mutate: (e) => { e[find(e, 'response.content_part.added')]!.type = 'response.reasoning_part.added'; return e; }, error: /event 3 \(response\.reasoning_part\.added\): event type 'response\.reasoning_part\.added' is not allowed \(vLLM-only/ },
  { name: 'unknown event type', base: 'text', mutate: (e) => { e[3]!.type = 'response.foo'; return e; }, error: /event 3 \(response\.foo\): event type 'response\.foo' is not allowed/ },
  // Case 36
  { name: 'top-level error key on a normal event', base: 'text', mutate: (e) => { e[4]!.error = { message: 'x' }; return e; }, error: /event 4 \(response\.output_text\.delta\): normal event carries a truthy top-level "error" key/ },
  // Cases 10, 16, 17
  { name: 'interleaved items', base: 'text+2 parallel calls', mutate: (e) => { const k = find(e, 'response.output_item.added', 1); const [fc] = e.splice(k, 1); e.splice(4, 0, fc!); return renumber(e); }, error: /^event 4 \(response\.output_item\.added\): output_item\.added for 'fc_a1' while item 'msg_a1' \(output_index 0, added at event 2\) is still open; items must be strictly sequential/ },
  { name: 'output_index gap', base: 'text+2 parallel calls', mutate: (e) => { for (const x of e) if (x.output_index === 1) x.output_index = 2; return e; }, error: /response\.output_item\.added\): output_index 2 but expected 1/ },
  { name: 'first output_index is 1', base: 'text', mutate: (e) => { for (const x of e) if (x.output_index === 0) x.output_index = 1; return e; }, error: /^event 2 \(response\.output_item\.added\): output_index 1 but expected 0/ },
  // Case 9
  { name: 'wrong item_id on a text delta', base: 'text', mutate: (e) => { e[4]!.item_id = 'msg_x'; return e; }, error: /^event 4 \(response\.output_text\.delta\): item_id 'msg_x' does not match open item 'msg_a1'$/ },
  { name: 'wrong output_index on an args delta', base: 'text+2 parallel calls', mutate: (e) => { e[find(e, 'response.function_call_arguments.delta')]!.output_index = 0; return e; }, error: /function_call_arguments\.delta\): output_index 0 does not match open item 'fc_a1' \(output_index 1\)/ },
  { name: 'output_item.done with another id', base: 'text', mutate: (e) => { e[find(e, 'response.output_item.done')]!.item.id = 'msg_zz'; return e; }, error: /response\.output_item\.done\): item\.id 'msg_zz' does not match open item 'msg_a1'/ },
  { name: 'delta after the item was closed', base: 'text', mutate: (e) => { const k = find(e, 'response.output_item.done'); e.splice(k + 1, 0, { ...clone([e[4]!])[0]! }); return renumber(e); }, error: /response\.output_text\.delta\): no output item is open/ },
  // Case 7
  { name: 'content_index 1', base: 'text', mutate: (e) => { e[5]!.content_index = 1; return e; }, error: /^event 5 \(response\.output_text\.delta\): content_index 1 but expected 0/ },
  { name: 'missing logprobs on a text delta', base: 'text', mutate: (e) => { delete e[4]!.logprobs; return e; }, error: /^event 4 \(response\.output_text\.delta\): missing logprobs array/ },
  // Case 6
  { name: 'empty text delta', base: 'text', mutate: (e) => { e[4]!.delta = ''; e.forEach((x) => { if (x.text !== undefined && x.type === 'response.output_text.done') x.text = x.text.slice(3); }); return e; }, error: /^event 4 \(response\.output_text\.delta\): empty delta/ },
  { name: 'text delta before content_part.added', base: 'text', mutate: (e) => renumber(e.filter((x) => x.type !== 'response.content_part.added')), error: /^event 3 \(response\.output_text\.delta\): delta before content_part\.added for 'msg_a1'/ },
  { name: 'message without any text delta', base: 'text', mutate: (e) => renumber(e.filter((x) => x.type !== 'response.output_text.delta')), error: /output_text\.done without any preceding output_text\.delta/ },
  { name: 'message added without content: []', base: 'text', mutate: (e) => { delete e[2]!.item.content; return e; }, error: /^event 2 \(response\.output_item\.added\): message item\.content must be \[\]/ },
  { name: 'message added with status completed', base: 'text', mutate: (e) => { e[2]!.item.status = 'completed'; return e; }, error: /message item\.status 'completed' but expected 'in_progress'/ },
  { name: 'content part added with non-empty text', base: 'text', mutate: (e) => { e[3]!.part.text = 'x'; return e; }, error: /^event 3 \(response\.content_part\.added\): part\.text must be ''/ },
  { name: 'output_item.done before content_part.done', base: 'text', mutate: (e) => renumber(e.filter((x) => x.type !== 'response.content_part.done')), error: /output_item\.done before the content part of 'msg_a1' was closed/ },
  // Case 8
  { name: 'output_text.done text differs from deltas', base: 'text', mutate: (e) => { e[find(e, 'response.output_text.done')]!.text = 'Hello world'; return e; }, error: /response\.output_text\.done\): text 'Hello world' does not equal the concatenated deltas 'Hello wörld 🌍'/ },
  { name: 'content_part.done text differs', base: 'text', mutate: (e) => { e[find(e, 'response.content_part.done')]!.part.text = 'nope'; return e; }, error: /response\.content_part\.done\): part\.text 'nope' does not equal the concatenated deltas/ },
  { name: 'output_item.done message text differs', base: 'text', mutate: (e) => { e[find(e, 'response.output_item.done')]!.item.content[0].text = 'nope'; return e; }, error: /response\.output_item\.done\): item\.content\[0\]\.text 'nope' does not equal the concatenated deltas/ },
  // Case 23
  { name: 'reasoning_text.delta before content_part.added', base: 'reasoning+text', mutate: (e) => { e.splice(find(e, 'response.content_part.added'), 1); return renumber(e); }, error: /^event 3 \(response\.reasoning_text\.delta\): delta before content_part\.added for 'rs_a1'/ },
  { name: 'reasoning part typed output_text', base: 'reasoning+text', mutate: (e) => { e[3]!.part = { type: 'output_text', text: '', annotations: [] }; return e; }, error: /part\.type 'output_text' but expected 'reasoning_text' for a reasoning item/ },
  { name: 'reasoning_text.done differs from deltas', base: 'reasoning+text', mutate: (e) => { e[find(e, 'response.reasoning_text.done')]!.text = 'x'; return e; }, error: /response\.reasoning_text\.done\): text 'x' does not equal the concatenated deltas 'Let me think\.'/ },
  { name: 'reasoning added with summary missing', base: 'reasoning+text', mutate: (e) => { delete e[2]!.item.summary; return e; }, error: /reasoning item\.summary must be \[\]/ },
  // Cases 11–15
  { name: 'args.done without a delta', base: 'parameterless call', mutate: (e) => renumber(e.filter((x) => x.type !== 'response.function_call_arguments.delta')), error: /^event 3 \(response\.function_call_arguments\.done\): function_call_arguments\.done without a preceding function_call_arguments\.delta for 'fc_b1'/ },
  { name: 'args.done missing name', base: 'text+2 parallel calls', mutate: (e) => { delete e[find(e, 'response.function_call_arguments.done')]!.name; return e; }, error: /function_call_arguments\.done\): missing name \(expected 'get_weather'/ },
  { name: 'args.done with another name', base: 'text+2 parallel calls', mutate: (e) => { e[find(e, 'response.function_call_arguments.done')]!.name = 'get_time'; return e; }, error: /function_call_arguments\.done\): name 'get_time' does not match the item's name 'get_weather'/ },
  { name: 'args.done differs from deltas', base: 'text+2 parallel calls', mutate: (e) => { e[find(e, 'response.function_call_arguments.done')]!.arguments = '{"city":"Rome"}'; return e; }, error: /arguments '\{\\"city\\":\\"Rome\\"\}' do not equal the concatenated deltas/ },
  { name: 'empty args delta', base: 'text+2 parallel calls', mutate: (e) => { const k = find(e, 'response.function_call_arguments.delta'); e.splice(k, 0, { ...e[k]!, delta: '' }); return renumber(e); }, error: /function_call_arguments\.delta\): empty delta/ },
  { name: 'function_call added with arguments', base: 'parameterless call', mutate: (e) => { e[2]!.item.arguments = '{}'; return e; }, error: /function_call item\.arguments must be '' on output_item\.added/ },
  { name: 'function_call id is a call_ id (id/call_id confusion)', base: 'parameterless call', mutate: (e) => { e[2]!.item.call_id = 'call_x'; e[2]!.item.id = 'call_x'; return e; }, error: /function_call item\.id 'call_x' must have prefix 'fc_'/ },
  { name: 'output_item.done changes call_id', base: 'parameterless call', mutate: (e) => { e[find(e, 'response.output_item.done')]!.item.call_id = 'call_other'; return e; }, error: /item\.call_id 'call_other' does not match the added call_id 'call_b1'/ },
  { name: 'parameterless tool with empty arguments', base: 'parameterless call', mutate: (e) => { e[3]!.delta = ' '; e[4]!.arguments = ' '; e[5]!.item.arguments = ' '; last(e).response.output[0].arguments = ' '; return e; }, opts: { tools: TOOLS }, error: /tool 'get_time' has no parameters, so arguments must be an empty JSON object like "\{\}" \(got ' '\)/ },
  { name: 'invalid JSON arguments', base: 'text+2 parallel calls', mutate: (e) => { const k = find(e, 'response.function_call_arguments.delta', 1); e[k]!.delta = ':"Paris"'; e[k + 1]!.arguments = '{"city":"Paris"'; e[k + 2]!.item.arguments = '{"city":"Paris"'; last(e).response.output[1].arguments = '{"city":"Paris"'; return e; }, error: /arguments '\{\\"city\\":\\"Paris\\"' of completed call to 'get_weather' are not valid JSON/ },
  { name: 'arguments violate a strict schema', base: 'text+2 parallel calls', mutate: (e) => { const k = find(e, 'response.function_call_arguments.delta', 2); e[k]!.delta = '{"town":"Oslo"}'; e[k + 1]!.arguments = '{"town":"Oslo"}'; e[k + 2]!.item.arguments = '{"town":"Oslo"}'; last(e).response.output[2].arguments = '{"town":"Oslo"}'; return e; }, opts: { tools: TOOLS }, error: /arguments of 'get_weather' do not match its parameters schema: \$ is missing required property 'city'/ },
  { name: 'call to an unknown tool', base: 'parameterless call', mutate: (e) => { for (const x of e) if (x.name === 'get_time' || x.item?.name) { if (x.name) x.name = 'rm_rf'; if (x.item) x.item.name = 'rm_rf'; } last(e).response.output[0].name = 'rm_rf'; return e; }, opts: { tools: TOOLS }, error: /function_call name 'rm_rf' is not one of the request tools \[get_weather, get_time\]/ },
  // Case 40
  { name: 'message id without msg_ prefix', base: 'text', mutate: (e) => { for (const x of e) { if (x.item_id) x.item_id = 'message_1'; if (x.item) x.item.id = 'message_1'; } last(e).response.output[0].id = 'message_1'; return e; }, error: /^event 2 \(response\.output_item\.added\): message item\.id 'message_1' must have prefix 'msg_'/ },
  { name: 'call_id without call_ prefix', base: 'parameterless call', mutate: (e) => { e[2]!.item.call_id = 'chatcmpl-tool-1'; return e; }, error: /function_call item\.call_id 'chatcmpl-tool-1' must be a non-empty id with prefix 'call_'/ },
  { name: 'reasoning id with msg_ prefix', base: 'reasoning+text', mutate: (e) => { e[2]!.item.id = 'msg_r'; return e; }, error: /reasoning item\.id 'msg_r' must have prefix 'rs_'/ },
  { name: 'response id without resp_ prefix', base: 'text', mutate: (e) => { for (const x of e) if (x.response) x.response.id = 'chatcmpl-1'; return e; }, error: /^event 0 \(response\.created\): response\.id 'chatcmpl-1' must be a non-empty id with prefix 'resp_'/ },
  { name: 'duplicate call_id', base: 'text+2 parallel calls', mutate: (e) => { for (const x of e) if (x.item?.call_id === 'call_a2') x.item.call_id = 'call_a1'; last(e).response.output[2].call_id = 'call_a1'; return e; }, error: /response\.output_item\.added\): duplicate call_id 'call_a1' \(already used by the item added at event \d+\)/ },
  { name: 'duplicate item id', base: 'text+2 parallel calls', mutate: (e) => { for (const x of e) { if (x.item_id === 'fc_a2') x.item_id = 'fc_a1'; if (x.item?.id === 'fc_a2') x.item.id = 'fc_a1'; } return e; }, error: /duplicate item id 'fc_a1'/ },
  // Case 21
  { name: 'completed output differs from done items (call_id)', base: 'text+2 parallel calls', mutate: (e) => { last(e).response.output[1].call_id = 'call_zz'; return e; }, error: /response\.completed\): response\.output\[1\]\.call_id is 'call_zz' but output_item\.done \(event \d+\) had 'call_a1'/ },
  { name: 'completed output missing an item', base: 'text+2 parallel calls', mutate: (e) => { last(e).response.output.pop(); return e; }, error: /response\.output has 2 items but 3 were streamed \(missing 'fc_a2'/ },
  { name: 'completed output in another order', base: 'text+2 parallel calls', mutate: (e) => { last(e).response.output.reverse(); return e; }, error: /response\.completed\): response\.output\[0\]\.id is 'fc_a2' but output_item\.done \(event 7\) had 'msg_a1'/ },
  { name: 'completed output with empty output', base: 'text', mutate: (e) => { last(e).response.output = []; return e; }, error: /response\.output has 0 items but 1 were streamed/ },
  // Cases 26, 27
  { name: 'truncated call present in incomplete output', base: 'incomplete mid-call (left out of output)', mutate: (e) => { last(e).response.output.push(e[find(e, 'response.output_item.done', 1)]!.item); return e; }, error: /response\.incomplete\): response\.output\[1\] contains the truncated function call 'fc_d1'.*must be left out/ },
  { name: 'incomplete without incomplete_details', base: 'incomplete mid-text', mutate: (e) => { last(e).response.incomplete_details = null; return e; }, error: /response\.incomplete\): response\.incomplete_details\.reason must be a non-empty string/ },
  { name: 'incomplete item inside response.completed', base: 'text', mutate: (e) => { e[find(e, 'response.output_item.done')]!.item.status = 'incomplete'; last(e).response.output[0].status = 'incomplete'; return e; }, error: /^event 9 \(response\.output_item\.done\): item 'msg_a1' closed with status 'incomplete' but the response ended with response\.completed/ },
  { name: 'item still open at the terminal event', base: 'text', mutate: (e) => renumber(e.filter((x) => x.type !== 'response.output_item.done')), error: /response\.completed\): item 'msg_a1' \(output_index 0\) is still open at the terminal event/ },
  { name: 'item done without status', base: 'text', mutate: (e) => { delete e[find(e, 'response.output_item.done')]!.item.status; return e; }, error: /item\.status undefined \(missing\) but expected 'completed' or 'incomplete'/ },
  // Case 22
  { name: 'usage total wrong', base: 'text', mutate: (e) => { last(e).response.usage = { ...USAGE, total_tokens: 41 }; return e; }, error: /response\.completed\): usage\.total_tokens 41 but input_tokens \+ output_tokens = 42/ },
  { name: 'usage without input_tokens_details', base: 'text', mutate: (e) => { const { input_tokens_details: _, ...u } = USAGE; last(e).response.usage = u; return e; }, error: /usage\.input_tokens_details\.cached_tokens must be a non-negative integer/ },
  { name: 'usage with float tokens', base: 'text', mutate: (e) => { last(e).response.usage = { ...USAGE, output_tokens: 29.5, total_tokens: 41.5 }; return e; }, error: /usage\.output_tokens must be a non-negative integer \(got 29\.5\)/ },
  { name: 'usage missing on completed', base: 'text', mutate: (e) => { last(e).response.usage = null; return e; }, error: /response\.usage must be an object \(got null\)/ },
  // Case 28
  { name: 'error event not followed by response.failed', base: 'error+failed', mutate: (e) => renumber(e.slice(0, -1)), error: /\(error\): an error event must be immediately followed by response\.failed/ },
  { name: 'response.failed without an error event', base: 'error+failed', mutate: (e) => renumber(e.filter((x) => x.type !== 'error')), error: /response\.failed\): response\.failed must be immediately preceded by an error event/ },
  { name: 'flat error event', base: 'error+failed', mutate: (e) => { const k = find(e, 'error'); const { error: err, ...rest } = e[k]!; e[k] = { ...rest, ...err }; return e; }, error: /\(error\): error event must carry a nested "error" object/ },
  { name: 'failed response without error', base: 'error+failed', mutate: (e) => { last(e).response.error = null; return e; }, error: /response\.failed\): response\.error must be \{code, message\}/ },
  // Cases 18–20
  { name: 'tool_choice none with a call', base: 'parameterless call', opts: { toolChoice: 'none' }, mutate: (e) => e, error: /output_item\.added\): function_call item 'fc_b1' emitted although tool_choice is 'none'/ },
  { name: 'tool_choice required with a message', base: 'text+2 parallel calls', opts: { toolChoice: 'required' }, mutate: (e) => e, error: /^event 2 \(response\.output_item\.added\): message item 'msg_a1' emitted although tool_choice 'required' forces a tool call/ },
  { name: 'tool_choice required without a call', base: 'text', opts: { toolChoice: 'required' }, mutate: () => new StreamBuilder().reasoning('rs_1', ['hmm']).completed(), error: /^event 8 \(response\.completed\): tool_choice 'required' requires at least one function_call item, none was streamed/ },
  { name: 'named tool_choice with another name', base: 'parameterless call', opts: { tools: TOOLS, toolChoice: { type: 'function', name: 'get_weather' } }, mutate: (e) => e, error: /function_call name 'get_time' but tool_choice forces 'get_weather'/ },
  { name: 'named tool_choice with two calls', base: 'text', opts: { toolChoice: { type: 'function', name: 'get_weather' } }, mutate: () => new StreamBuilder().call('fc_1', 'call_1', 'get_weather', ['{"city":"A"}']).call('fc_2', 'call_2', 'get_weather', ['{"city":"B"}']).completed(), error: /expected exactly one function_call item, got 2/ },
  // Case 24 (soft flag)
  { name: 'reasoningFirst: reasoning after text', base: 'text', opts: { reasoningFirst: true }, mutate: () => new StreamBuilder().text('msg_a1', ['Hi']).reasoning('rs_a1', ['hm']).completed(), error: /reasoning item 'rs_a1' comes after message item 'msg_a1'; reasoning must come first/ },
  { name: 'reasoningFirst: reasoning_tokens 0', base: 'reasoning+text', opts: { reasoningFirst: true }, mutate: (e) => { last(e).response.usage = { ...USAGE, output_tokens_details: { reasoning_tokens: 0 } }; return e; }, error: /reasoning_tokens 0 must be > 0 when reasoning was streamed/ },
];

describe('validateStream rejects each violation with a precise message', () => {
  it('has at least 20 mutations', () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(MUTATIONS.map((m) => m.name)).size).toBe(MUTATIONS.length);
  });

  for (const m of MUTATIONS) {
    it(m.name, () => {
      const good = GOOD[m.base]!();
      const mutated = m.mutate(clone(good));
      let caught: unknown;
      try {
        validateStream(asEvents(mutated), m.opts ?? {});
      } catch (e) {
        caught = e;
      }
      expect(caught, `expected '${m.name}' to be rejected`).toBeInstanceOf(StreamValidationError);
      expect((caught as Error).message).toMatch(m.error);
    });
  }

  it('error index points at the offending event', () => {
    const e = clone(GOOD.text!());
    e[5]!.item_id = 'msg_nope';
    try {
      validateStream(asEvents(e));
      expect.unreachable();
    } catch (err) {
      expect((err as StreamValidationError).eventIndex).toBe(5);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('SSE framing (case 1)', () => {
  const events = GOOD['text+2 parallel calls']!();
  const body = toSseBody(events);

  it('accepts the canonical body and comment keep-alives', () => {
    expect(validateSseFraming(body)).toEqual(events);
    expect(validateSseFraming(`: keep-alive\n\n${body}`)).toEqual(events);
    expect(() => validateSseFraming(`: keep-alive\n\n${body}`, { allowComments: false })).toThrow(/comment record/);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['data: [DONE]', `${body}data: [DONE]\n\n`, /contains 'data: \[DONE\]'/],
    ['event: line differs from type', body.replace('event: response.output_text.delta', 'event: response.text.delta'), /'event: response\.text\.delta' does not match data\.type 'response\.output_text\.delta'/],
    ['missing event: line', body.replace('event: response.in_progress\n', ''), /record 1 .*is not exactly 'event: <type>\\ndata: <json>'/],
    ['non-compact JSON', body.replace('{"type":"response.created",', '{"type": "response.created", '), /record 0 .*data is not compact single-line JSON/],
    ['multi-line data', body.replace('"sequence_number":1,', '"sequence_number":1,\ndata: '), /record 1 .*is not exactly/],
    ['CRLF line endings', body.replaceAll('\n', '\r\n'), /contains '\\r'/],
    ['missing final blank line', body.slice(0, -1), /must end with a blank line/],
    ['extra blank line', body.replace('\n\nevent: response.in_progress', '\n\n\nevent: response.in_progress'), /is not exactly|is empty/],
    ['data not JSON', body.replace(/data: \{"type":"response\.in_progress"[^\n]*/, 'data: nope'), /record 1 .*data is not JSON/],
  ];
  for (const [name, b, re] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => validateSseFraming(b)).toThrow(re);
    });
  }

  it('readSseResponse reads a fetch Response incrementally', async () => {
    const bytes = new TextEncoder().encode(body);
    const res = new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          for (let k = 0; k < bytes.length; k += 7) c.enqueue(bytes.slice(k, k + 7));
          c.close();
        },
      }),
      { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } },
    );
    const got = await readSseResponse(res);
    expect(got).toEqual(events);
    expect(() => validateStream(got, { tools: TOOLS })).not.toThrow();
  });

  it('readSseResponse rejects a non-SSE reply', async () => {
    const res = new Response('{"error":{"message":"bad"}}', { status: 400, headers: { 'content-type': 'application/json' } });
    await expect(readSseResponse(res)).rejects.toThrow(/expected 200 text\/event-stream, got 400/);
  });
});

describe('parseSseChunks (case 33)', () => {
  const events = [
    { type: 'response.output_text.delta', sequence_number: 0, delta: 'héllo 🌍', logprobs: [] },
    { type: 'response.output_text.delta', sequence_number: 1, delta: '€ — 日本語 ✓', logprobs: [] },
  ];
  // CRLF endings, a comment record and multi-byte characters (2-, 3- and 4-byte UTF-8 sequences).
  const body = `: keep-alive\r\n\r\n${events.map((e) => `event: ${e.type}\r\ndata: ${JSON.stringify(e)}\r\n\r\n`).join('')}`;
  const bytes = new TextEncoder().encode(body);
  const expected = parseSse(body);

  const split = (points: number[]): Uint8Array[] => {
    const cuts = [0, ...[...new Set(points)].sort((a, b) => a - b), bytes.length];
    const out: Uint8Array[] = [];
    for (let k = 0; k + 1 < cuts.length; k++) out.push(bytes.slice(cuts[k], cuts[k + 1]));
    return out;
  };

  it('parses the unsplit body', () => {
    expect(expected.map((r) => JSON.parse(r.data))).toEqual(events);
    expect(expected.map((r) => r.event)).toEqual(events.map((e) => e.type));
  });

  it('gives the same events for every single split point', () => {
    for (let p = 0; p <= bytes.length; p++) expect(parseSseChunks(split([p]))).toEqual(expected);
  });

  it('gives the same events for every arbitrary split (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }), (points) => {
        expect(parseSseChunks(split(points))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('one byte per chunk', () => {
    expect(parseSseChunks([...bytes].map((b) => Uint8Array.of(b)))).toEqual(expected);
  });
});
