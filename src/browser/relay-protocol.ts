/** Messages between the service worker and the host page (see sw.ts and relay.ts). */

export const RELAY_REQUEST = 'web-responses:relay-request';

/** Service worker → every window: "serve this if you are the host", with a port for the answer. */
export interface RelayRequest {
  type: typeof RELAY_REQUEST;
  url: string;
  method: string;
  headers: Array<[string, string]>;
  body: string | null;
  port: MessagePort;
}

/** Host → service worker, first, at once: "I am the host, the answer follows" (no timeout after it). */
export interface RelayAccepted {
  accepted: true;
}

/** Host → service worker, on the request's port: the response, its body over a port (port-stream.ts). */
export interface RelayAnswer {
  status: number;
  headers: Array<[string, string]>;
  body: MessagePort | null;
}

/** Service worker → host, on the request's port: the client went away (aborted fetch, cancelled body). */
export interface RelayAbort {
  abort: true;
}

/**
 * Host → service worker, on the request's port: the runtime's worker died before the body it sends the
 * service worker directly was over; the service worker ends the stream with `error` + `response.failed`.
 */
export interface RelayFailed {
  failed: { code: string; message: string };
}
