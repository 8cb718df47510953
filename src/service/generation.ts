/**
 * One response from request to events: pick the model, render the prompt, run the engine, parse its
 * text and write the events. Everything that can fail before the first event is done eagerly in
 * `prepareGeneration` (and reported as an HTTP error); `run` yields the events in batches.
 */
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { ResponsesError } from '../protocol/errors.ts';
import { newId } from '../protocol/ids.ts';
import type { CreateRequest } from '../protocol/request.ts';
import { toChatMessages } from '../conversation/messages.ts';
import { ChatTemplate, type TemplateTool } from '../prompt/chat.ts';
import { createOutputParser } from '../parsers/index.ts';
import { strictArgumentsValidator } from '../protocol/arguments.ts';
import { planTools } from './tool-choice.ts';
import { EventWriter, type WireResponse } from '../events/writer.ts';
import type { Engine, EngineFinish, FinishReason, ModelInfo } from '../engines/types.ts';

export interface PreparedGeneration {
  /** The response object as `response.created` carries it. */
  readonly initial: WireResponse;
  /** Runs the engine and yields events in batches (one batch per engine chunk). */
  run(signal: AbortSignal): AsyncGenerator<ResponseStreamEvent[]>;
}

/** Compiled templates per template source (a model's template is compiled once). */
export type TemplateCache = Map<string, ChatTemplate>;

function resolveModel(engine: Engine, requested: string | null): ModelInfo {
  const models = engine.models();
  if (models.length === 0) {
    throw new ResponsesError(503, 'No model is loaded yet. Load a model, then send the request again.', {
      code: 'model_not_loaded',
    });
  }
  if (requested === null) return models[0];
  const found = models.find((m) => m.id === requested);
  if (!found) {
    const known = models.map((m) => `'${m.id}'`).join(', ');
    throw new ResponsesError(404, `The model '${requested}' does not exist or is not loaded. Loaded: ${known}.`, {
      param: 'model',
      code: 'model_not_found',
    });
  }
  return found;
}

/**
 * Timings of a response, as the terminal response's `timings` field: an extension that OpenAI's SDKs
 * ignore (unknown keys pass through), for apps that show speed and the backend that ran.
 */
export interface ResponseTimings {
  backend: string | null;
  time_to_first_token_ms: number;
  prefill_tokens_per_second: number;
  decode_tokens_per_second: number;
  total_ms: number;
}

function responseTimings(ev: EngineFinish): ResponseTimings | undefined {
  if (!ev.timings) return undefined;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    backend: ev.backend ?? null,
    time_to_first_token_ms: r(ev.timings.ttftMs),
    prefill_tokens_per_second: r(ev.timings.prefillTokensPerSecond),
    decode_tokens_per_second: r(ev.timings.decodeTokensPerSecond),
    total_ms: r(ev.timings.totalMs),
  };
}

function errorInfo(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : 'server_error';
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return { code, message };
}

export function prepareGeneration(req: CreateRequest, engine: Engine, templates: TemplateCache): PreparedGeneration {
  const model = resolveModel(engine, req.model);
  const messages = toChatMessages(req);
  const plan = planTools(req, model.id, model.toolFormat);
  const validateArguments = strictArgumentsValidator(plan.tools);
  const tools: TemplateTool[] = plan.tools.map((t) => ({
    type: 'function',
    function: {
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      ...(t.parameters ? { parameters: t.parameters } : {}),
    },
  }));
  const effort = req.reasoning?.effort;
  const variables = effort ? { reasoning_effort: effort, ...(effort === 'none' ? { enable_thinking: false } : {}) } : {};

  let template = templates.get(model.chatTemplate);
  let rendered: string;
  try {
    if (!template) {
      template = new ChatTemplate(model.chatTemplate);
      templates.set(model.chatTemplate, template);
    }
    rendered = template.render({ messages, tools, bosToken: model.bosToken, eosToken: model.eosToken, variables });
  } catch (err) {
    throw new ResponsesError(500, `The chat template of model '${model.id}' failed to render: ${errorInfo(err).message}`, {
      code: 'template_error',
    });
  }

  // What the model's turn already holds before it writes: a `<think>` the template opened, then the
  // forced call opener (after closing that reasoning). The parser starts as if it had read it.
  const openThink = model.reasoningFormat === 'think' && /<think>\s*$/.test(rendered);
  const forcedPrefix = plan.prefill ? (openThink ? '</think>\n\n' : '') + plan.prefill : '';
  const prompt = rendered + forcedPrefix;
  const parserOptions = {
    toolFormat: plan.toolFormat,
    reasoningFormat: model.reasoningFormat,
    tools: plan.tools,
    prefill: (openThink ? rendered.slice(rendered.lastIndexOf('<think>')) : '') + forcedPrefix,
  };
  // Fails here (before any event) when a format name is unknown.
  createOutputParser(parserOptions);

  const initial: WireResponse = {
    id: newId('resp'),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'in_progress',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: req.instructions,
    max_output_tokens: req.max_output_tokens,
    max_tool_calls: req.max_tool_calls,
    model: model.id,
    output: [],
    parallel_tool_calls: req.parallel_tool_calls,
    previous_response_id: null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    service_tier: (req.service_tier as WireResponse['service_tier']) ?? 'auto',
    temperature: req.temperature,
    text: req.text,
    tool_choice: req.tool_choice,
    tools: req.tools,
    top_logprobs: req.top_logprobs,
    top_p: req.top_p,
    truncation: req.truncation,
    usage: null,
    metadata: req.metadata,
    // Fields OpenAI's wire carries that the SDK types leave out or type as `string | undefined`.
    // Nothing is stored here, so `store` is false whatever the request said.
    ...({ store: false, user: req.user, safety_identifier: req.safety_identifier, prompt_cache_key: req.prompt_cache_key } as object),
  };

  const { callLimit, forced } = plan;

  async function* run(signal: AbortSignal): AsyncGenerator<ResponseStreamEvent[]> {
    // A call beyond the limit is not emitted; a forced call makes no message item.
    const writer = new EventWriter(initial, { validateArguments, callLimit, dropText: forced });
    const parser = createOutputParser(parserOptions);
    yield writer.start();

    // The engine stops when the client aborts or when we have all the calls we may return.
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });

    let reason: FinishReason = 'stop';
    let inputTokens = 0;
    let outputTokens = 0;
    let cachedTokens = 0;
    let reasoningTokens = 0;
    let timings: ResponseTimings | undefined;
    let counted = 0; // tokens seen in chunks (used when the engine reports no count)
    const usage = () => ({
      inputTokens,
      outputTokens: Math.max(outputTokens, counted),
      cachedTokens,
      reasoningTokens,
    });

    try {
      for await (const ev of engine.generate({
        model: model.id,
        prompt,
        messages,
        tools,
        sampling: { temperature: req.temperature, topP: req.top_p, maxTokens: req.max_output_tokens },
        signal: stop.signal,
      })) {
        if (ev.type === 'finish') {
          reason = ev.reason;
          inputTokens = ev.inputTokens;
          outputTokens = ev.outputTokens;
          cachedTokens = ev.cachedTokens ?? 0;
          timings = responseTimings(ev);
          break;
        }
        const n = ev.tokenIds?.length ?? ev.tokens ?? 1;
        counted += n;
        const wasReasoning = parser.inReasoning;
        const reasoningBefore = writer.reasoningWrites;
        // The parser writes straight into the writer, which collects the chunk's events.
        parser.pushTo(ev.text, writer);
        // A chunk's tokens are reasoning tokens when it began inside reasoning or produced some.
        if (wasReasoning || writer.reasoningWrites !== reasoningBefore) reasoningTokens += n;
        const batch = writer.drain();
        if (writer.ended) {
          // The writer failed the response (broken call arguments): stop the engine, end the stream.
          stop.abort('response failed');
          if (batch !== null) yield batch;
          return;
        }
        if (batch !== null) yield batch;
        if (writer.completedCalls >= callLimit && !stop.signal.aborted) stop.abort('tool call limit reached');
      }
    } catch (err) {
      if (!signal.aborted) {
        // Nothing the model wrote is lost: flush what the parser held back before failing.
        parser.endTo(writer, false);
        yield writer.fail(errorInfo(err), usage());
        return;
      }
      throw signal.reason ?? err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }

    if (signal.aborted) throw signal.reason;
    const limited = writer.completedCalls >= callLimit;
    if (reason === 'abort' && !limited) throw new DOMException('The generation was aborted.', 'AbortError');
    const truncated = reason === 'length' && !limited;
    if (!limited) parser.endTo(writer, truncated);
    yield writer.ended ? (writer.drain() ?? []) : writer.finish(truncated ? 'length' : 'stop', usage(), timings);
  }

  return { initial, run };
}
