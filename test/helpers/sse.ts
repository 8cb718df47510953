/**
 * Test helpers for the SSE wire format of `POST /v1/responses` (protocol doc §2.1, §6.1, §7 cases 1 and 33).
 *
 * - `parseSse` / `parseSseChunks` decode a body the way a client does (eventsource-parser, streaming UTF-8).
 * - `validateSseFraming` checks our exact framing: `event: X\ndata: <compact JSON>\n\n`, X === json.type,
 *   no `data: [DONE]`.
 * - `readSseResponse` reads a fetch `Response` incrementally and returns the parsed events.
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';

export interface SseRecord {
  event: string | undefined;
  data: string;
}

/**
 * Incremental SSE decoder: bytes → UTF-8 text (streaming `TextDecoder`, so a chunk boundary inside a multi-byte
 * character is fine) → eventsource-parser (so a boundary between `\r` and `\n` is fine).
 *
 * Like openai-node's decoder, a final record without its trailing blank line is flushed by `end()`.
 * Unknown SSE fields (e.g. `foo: bar`) or an invalid `retry:` make it throw.
 */
export class SseDecoder {
  readonly records: SseRecord[] = [];
  readonly comments: string[] = [];
  #decoder = new TextDecoder('utf-8', { fatal: true });
  #parser: EventSourceParser;
  #ended = false;

  constructor() {
    this.#parser = createParser({
      onEvent: (m) => {
        this.records.push({ event: m.event, data: m.data });
      },
      onComment: (c) => {
        this.comments.push(c);
      },
      onError: (err) => {
        throw new Error(`SSE parse error (${err.type}): ${err.message}${err.line !== undefined ? ` in line ${JSON.stringify(err.line)}` : ''}`);
      },
    });
  }

  /** Feeds decoded text. */
  pushText(text: string): void {
    if (this.#ended) throw new Error('SseDecoder: pushText() after end()');
    if (text) this.#parser.feed(text);
  }

  /** Feeds raw bytes (any split, including inside a UTF-8 sequence). */
  pushBytes(chunk: Uint8Array): void {
    if (this.#ended) throw new Error('SseDecoder: pushBytes() after end()');
    this.pushText(this.#decoder.decode(chunk, { stream: true }));
  }

  /** Flushes the UTF-8 decoder and a trailing record that lacks its blank line; returns all records. */
  end(): SseRecord[] {
    if (!this.#ended) {
      this.pushText(this.#decoder.decode());
      // A record not terminated by a blank line is still delivered (openai-node does the same).
      this.#parser.feed('\n\n');
      this.#ended = true;
    }
    return this.records;
  }
}

/** Parses a complete SSE body. */
export function parseSse(text: string): SseRecord[] {
  const d = new SseDecoder();
  d.pushText(text);
  return d.end();
}

/** Parses an SSE body delivered as byte chunks (arbitrary split points). */
export function parseSseChunks(chunks: Uint8Array[]): SseRecord[] {
  const d = new SseDecoder();
  for (const c of chunks) d.pushBytes(c);
  return d.end();
}

export interface SseFramingOptions {
  /** Allow comment-only records such as `: keep-alive\n\n` (§6.1 permits them). Default true. */
  allowComments?: boolean;
}

function clip(s: string, max = 120): string {
  const q = JSON.stringify(s);
  return q.length > max ? `${q.slice(0, max - 4)}..."` : q;
}

/**
 * Asserts §7 case 1 on a complete body and returns the parsed events.
 *
 * Every record must be exactly `event: <type>\ndata: <json>\n\n` where `<json>` is a single-line JSON object
 * serialized compactly (identical to `JSON.stringify(JSON.parse(json))`), `<type>` equals `json.type`, line
 * endings are `\n`, and the body contains no `data: [DONE]`. The result is cross-checked against eventsource-parser.
 */
export function validateSseFraming(body: string, opts: SseFramingOptions = {}): ResponseStreamEvent[] {
  const allowComments = opts.allowComments ?? true;
  const fail = (msg: string): never => {
    throw new Error(`SSE framing: ${msg}`);
  };

  if (body.length === 0) fail('body is empty');
  const done = /^data: ?\[DONE\]/m.exec(body);
  if (done) fail(`body contains 'data: [DONE]' at offset ${done.index}; Responses streams never send [DONE]`);
  const cr = body.indexOf('\r');
  if (cr >= 0) fail(`body contains '\\r' at offset ${cr}; records must use '\\n' line endings`);
  if (!body.endsWith('\n\n')) fail(`body must end with a blank line ('\\n\\n'); it ends with ${clip(body.slice(-40))}`);

  const events: ResponseStreamEvent[] = [];
  const raw = body.slice(0, -2).split('\n\n');
  let offset = 0;
  raw.forEach((rec, k) => {
    const where = `record ${k} (offset ${offset})`;
    offset += rec.length + 2;
    if (rec.length === 0) fail(`${where} is empty (extra blank line between records)`);
    const lines = rec.split('\n');
    if (lines.every((l) => l.startsWith(':'))) {
      if (!allowComments) fail(`${where} is a comment record ${clip(rec)}, comments are not allowed here`);
      return;
    }
    const m = /^event: (\S+)\ndata: (\S[^\n]*)$/.exec(rec);
    if (!m) {
      fail(`${where} is not exactly 'event: <type>\\ndata: <json>' (got ${clip(rec)})`);
      return;
    }
    const [, name, data] = m as unknown as [string, string, string];
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch (e) {
      fail(`${where} (event: ${name}): data is not JSON (${(e as Error).message}): ${clip(data)}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      fail(`${where} (event: ${name}): data must be a JSON object, got ${clip(data)}`);
    }
    const compact = JSON.stringify(parsed);
    if (compact !== data) fail(`${where} (event: ${name}): data is not compact single-line JSON: ${clip(data)}`);
    const type = (parsed as { type?: unknown }).type;
    if (type !== name) {
      fail(`${where}: 'event: ${name}' does not match data.type ${typeof type === 'string' ? `'${type}'` : String(type)}`);
    }
    events.push(parsed as ResponseStreamEvent);
  });

  // Cross-check against a real SSE parser.
  const parsed = parseSse(body);
  if (parsed.length !== events.length) {
    fail(`eventsource-parser found ${parsed.length} events, framing check found ${events.length}`);
  }
  parsed.forEach((r, k) => {
    const ev = events[k] as { type: string };
    if (r.event !== ev.type || r.data !== JSON.stringify(ev)) {
      fail(`eventsource-parser disagrees at event ${k}: event=${String(r.event)} data=${clip(r.data)}`);
    }
  });
  return events;
}

export interface ReadSseOptions {
  /** Run `validateSseFraming` on the whole body (default true). When false, records are only JSON-parsed. */
  validateFraming?: boolean;
  /** Passed to `validateSseFraming`. */
  allowComments?: boolean;
}

export interface SseBody {
  text: string;
  chunks: Uint8Array[];
  records: SseRecord[];
}

/**
 * Reads a fetch `Response` body chunk by chunk, decoding incrementally.
 * Checks status 200 and `Content-Type: text/event-stream`.
 */
export async function readSseBody(res: Response): Promise<SseBody> {
  const ct = res.headers.get('content-type') ?? '';
  if (res.status !== 200 || !ct.toLowerCase().startsWith('text/event-stream')) {
    const text = await res.text().catch(() => '<unreadable body>');
    throw new Error(`expected 200 text/event-stream, got ${res.status} '${ct}': ${text.slice(0, 500)}`);
  }
  if (!res.body) throw new Error('response has no body');
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  const incremental = new SseDecoder();
  const whole = new TextDecoder('utf-8', { fatal: true });
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    incremental.pushBytes(value);
    text += whole.decode(value, { stream: true });
  }
  text += whole.decode();
  return { text, chunks, records: incremental.end() };
}

/** Reads a streamed `/v1/responses` reply and returns its events (framing validated by default). */
export async function readSseResponse(res: Response, opts: ReadSseOptions = {}): Promise<ResponseStreamEvent[]> {
  const { text, records } = await readSseBody(res);
  if (opts.validateFraming ?? true) {
    const events = validateSseFraming(text, { allowComments: opts.allowComments ?? true });
    if (records.length !== events.length) {
      throw new Error(`incremental decode found ${records.length} events, whole-body decode found ${events.length}`);
    }
    return events;
  }
  return records.map((r, k) => {
    try {
      return JSON.parse(r.data) as ResponseStreamEvent;
    } catch (e) {
      throw new Error(`SSE event ${k} (event: ${String(r.event)}): data is not JSON (${(e as Error).message})`);
    }
  });
}

/** Serializes events the way our server must (`event: type\ndata: json\n\n`). Handy for building test bodies. */
export function toSseBody(events: readonly object[]): string {
  return events.map((e) => `event: ${String((e as { type?: unknown }).type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');
}
