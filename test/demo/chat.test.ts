/**
 * The demo's tool loop (demo/app/chat.ts) through the official SDK and the real service, with the
 * scripted engine as the model: the model calls a tool, the page runs it, sends the output, and the
 * model's answer is built from that output.
 */
import OpenAI from 'openai';
import { describe, expect, test } from 'vitest';
import { createResponsesService, scriptedEngine, type ScriptedRequest } from '../../src/index.ts';
import { Conversation, type TurnStats } from '../../demo/app/chat.ts';

function setup(output: (r: ScriptedRequest) => string) {
  const seen: ScriptedRequest[] = [];
  const engine = scriptedEngine({ model: 'demo-model', output: (r) => (seen.push(r), output(r)) });
  const service = createResponsesService({ engine });
  const client = new OpenAI({ apiKey: 'local', baseURL: 'http://localhost/v1', fetch: service.fetch, maxRetries: 0 });
  return { client, seen };
}

/** A model that calls the calculator, then answers with what the tool returned. */
const calculatorModel = (r: ScriptedRequest) => {
  const last = r.messages.at(-1)!;
  if (last.role === 'tool') return `<think>\nThe tool said ${last.content}.\n</think>\n\nThe answer is ${JSON.parse(String(last.content)).result}.`;
  return '<tool_call>\n{"name": "calculator", "arguments": {"expression": "17 * 23 + 2^10"}}\n</tool_call>';
};

describe('Conversation', () => {
  test('runs the tool loop: call → the page computes → function_call_output → the answer carries the computed value', async () => {
    const { client, seen } = setup(calculatorModel);
    const chat = new Conversation(client);
    const events: string[] = [];
    const stats: TurnStats[] = [];
    const results: Array<{ name: string; output: string; ok: boolean }> = [];
    const args: string[] = [];
    const result = await chat.send('What is 17 * 23 + 2^10?', {
      model: 'demo-model',
      view: {
        itemAdded: (key, item) => events.push(`${key} ${item.type}`),
        delta: (_key, kind, d) => kind === 'arguments' && args.push(d),
        toolResult: (_key, call, r) => results.push({ name: call.name, ...r }),
        responseDone: (_round, s) => stats.push(s),
      },
    });
    expect(results).toEqual([{ name: 'calculator', output: '{"result":1415}', ok: true }]);
    expect(result).toEqual({ status: 'completed', text: 'The answer is 1415.', rounds: 2 });
    expect(args.length).toBeGreaterThan(1); // the arguments streamed in pieces
    expect(args.join('')).toBe('{"expression": "17 * 23 + 2^10"}');
    expect(events).toEqual(['0:0 function_call', '1:0 reasoning', '1:1 message']);
    expect(stats.map((s) => [s.status, s.outputTokens > 0, s.ttftMs !== null])).toEqual([
      ['completed', true, true],
      ['completed', true, true],
    ]);
    // The second request carried the call and its output; the tools were offered both times.
    expect(seen[1].messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(seen.every((r) => r.tools.map((t) => t.function.name).join() === 'calculator,current_time,convert_units')).toBe(true);
    // History is kept for the next message.
    expect(chat.history.map((i) => ('type' in i && i.type) || ('role' in i && i.role))).toEqual(['user', 'function_call', 'function_call_output', 'reasoning', 'message']);
  });

  test('a tool error goes back to the model as an error output, and the loop stops after maxToolRounds', async () => {
    const { client, seen } = setup(() => '<tool_call>\n{"name": "calculator", "arguments": {"expression": "1/0"}}\n</tool_call>');
    const chat = new Conversation(client, { maxToolRounds: 3 });
    const outputs: string[] = [];
    const result = await chat.send('divide', { model: 'demo-model', view: { toolResult: (_k, _c, r) => outputs.push(r.output) } });
    expect(result.status).toBe('tool_limit');
    expect(seen).toHaveLength(3);
    expect(outputs).toHaveLength(3);
    expect(JSON.parse(outputs[0]).error).toMatch(/division by zero/i);
  });

  test('stop: an aborted turn ends as aborted, and the next message works', async () => {
    const { client } = setup((r) => (r.turn === 0 ? 'word '.repeat(400) : 'fine'));
    const chat = new Conversation(client);
    const controller = new AbortController();
    let n = 0;
    const aborted = await chat.send('long', {
      model: 'demo-model',
      signal: controller.signal,
      view: { delta: () => ++n === 5 && controller.abort() },
    });
    expect(aborted.status).toBe('aborted');
    const next = await chat.send('short', { model: 'demo-model', useTools: false });
    expect(next).toEqual({ status: 'completed', text: 'fine', rounds: 1 });
  });

  test('a failed response surfaces as an error the page can show', async () => {
    const engine = scriptedEngine({ model: 'demo-model', output: ['partial ', new Error('GPU device lost')] });
    const client = new OpenAI({ apiKey: 'local', baseURL: 'http://localhost/v1', fetch: createResponsesService({ engine }).fetch, maxRetries: 0 });
    await expect(new Conversation(client).send('hi', { model: 'demo-model' })).rejects.toThrow(/GPU device lost/);
  });
});
