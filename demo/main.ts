/**
 * The minimal demo: a scripted engine behind `createResponsesService`, driven by the official
 * `openai` SDK through the service's `fetch`. The real chat PWA replaces this page later.
 */
import OpenAI from 'openai';
import { createResponsesService, scriptedEngine } from '../src/index.ts';

const engine = scriptedEngine({
  model: 'scripted-demo',
  tokenDelayMs: 30,
  output: ({ messages }) => {
    const last = messages[messages.length - 1];
    if (last?.role === 'tool') return `The tool answered ${last.content}. That is what I know.`;
    const city = /in ([A-Z][\p{L}-]+)/u.exec(last?.content ?? '')?.[1] ?? 'Paris';
    return `<think>\nThe user asks about ${city}. I should call the weather tool.\n</think>\n\n` +
      `<tool_call>\n{"name": "get_weather", "arguments": {"city": "${city}", "unit": "celsius"}}\n</tool_call>`;
  },
});
const service = createResponsesService({ engine });
const client = new OpenAI({
  apiKey: 'local',
  baseURL: `${location.origin}/v1`,
  fetch: service.fetch,
  dangerouslyAllowBrowser: true,
});

const tools: OpenAI.Responses.Tool[] = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
    strict: true,
  },
];

const log = document.querySelector<HTMLElement>('#log')!;
const status = document.querySelector<HTMLElement>('#status')!;
const form = document.querySelector<HTMLFormElement>('#ask')!;
const promptInput = document.querySelector<HTMLInputElement>('#prompt')!;

function bubble(kind: string, text = ''): HTMLElement {
  const el = document.createElement('div');
  el.className = `turn ${kind}`;
  el.textContent = text;
  log.append(el);
  return el;
}

/** Streams one response into the page and returns its output items. */
async function streamTurn(input: OpenAI.Responses.ResponseInput) {
  const stream = client.responses.stream({ model: 'scripted-demo', input, tools });
  const els = new Map<number, HTMLElement>();
  for await (const ev of stream) {
    if (ev.type === 'response.output_item.added') {
      const kind = ev.item.type === 'function_call' ? 'call' : ev.item.type === 'reasoning' ? 'reasoning' : 'text';
      els.set(ev.output_index, bubble(kind, ev.item.type === 'function_call' ? `${ev.item.name}(` : ''));
    } else if (ev.type === 'response.output_text.delta' || ev.type === 'response.reasoning_text.delta' ||
      ev.type === 'response.function_call_arguments.delta') {
      els.get(ev.output_index)!.textContent += ev.delta;
    } else if (ev.type === 'response.output_item.done' && ev.item.type === 'function_call') {
      els.get(ev.output_index)!.textContent += ')';
    }
  }
  const final = await stream.finalResponse();
  status.textContent = `${final.status} · ${final.usage?.output_tokens ?? 0} output tokens`;
  return final.output;
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = promptInput.value.trim();
  if (!text) return;
  bubble('user', text);
  status.textContent = 'streaming…';
  try {
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: text }];
    const output = await streamTurn(input);
    // Run the tool loop: answer each call in the page, then let the model finish.
    const calls = output.filter((o) => o.type === 'function_call');
    if (calls.length > 0) {
      for (const call of calls) {
        const args = JSON.parse(call.arguments) as { city: string; unit: string };
        input.push(call, { type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ city: args.city, temperature: 21, unit: args.unit }) });
      }
      await streamTurn(input);
    }
    document.body.dataset.done = String(Number(document.body.dataset.done ?? 0) + 1);
  } catch (err) {
    status.textContent = `error: ${(err as Error).message}`;
  }
});
