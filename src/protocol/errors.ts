/**
 * Errors that reach a client, in OpenAI's envelope:
 * `{"error": {"message", "type", "param", "code"}}` with a non-2xx status.
 */

export type ErrorType = 'invalid_request_error' | 'not_found_error' | 'server_error';

export interface ErrorBody {
  message: string;
  type: ErrorType;
  param: string | null;
  code: string | null;
}

/** A failure that is reported to the client before any stream byte, as an HTTP status plus the envelope. */
export class ResponsesError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly param: string | null;
  readonly code: string | null;
  /** Extra HTTP headers for the error response (e.g. `allow` on a 405). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    opts: { type?: ErrorType; param?: string | null; code?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ResponsesError';
    this.status = status;
    this.type = opts.type ?? (status >= 500 ? 'server_error' : status === 404 ? 'not_found_error' : 'invalid_request_error');
    this.param = opts.param ?? null;
    this.code = opts.code ?? null;
    this.headers = opts.headers ?? {};
  }

  toJSON(): { error: ErrorBody } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 400 about one request field (`param` is the path, e.g. `input[1].call_id`). */
export function invalidRequest(param: string | null, message: string, code: string | null = null): ResponsesError {
  return new ResponsesError(400, message, { param, code });
}
