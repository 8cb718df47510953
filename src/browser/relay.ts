/**
 * The page side of the service-worker relay: one tab per origin hosts the runtime (elected with a Web
 * Lock) and serves the `/v1/` requests the service worker relays from any same-origin client.
 */
import type { PortResponse, WorkerRuntime } from './runtime.ts';
import { streamToPort } from './port-stream.ts';
import {
  RELAY_REQUEST,
  type RelayAbort,
  type RelayAccepted,
  type RelayAnswer,
  type RelayFailed,
  type RelayRequest,
} from './relay-protocol.ts';

export const HOST_LOCK = 'web-responses:runtime-host';

/**
 * What the host serves relayed requests with: a runtime, or anything with its `fetch`. With
 * `fetchToPort` too (a runtime has it), a response body goes from the runtime's worker to the service
 * worker directly, and this page's main thread is off the path of every chunk; a `fetchToPort` that
 * returns null hands that request to `fetch` (an app's target that answers some requests itself).
 */
export interface RelayTarget {
  fetch: WorkerRuntime['fetch'];
  fetchToPort?: (input: RequestInfo | URL, init?: RequestInit) => Promise<PortResponse | null> | null;
}

export interface HostHandle {
  /** Resolves when this tab became the host (it may wait while another tab hosts). */
  readonly hosting: Promise<void>;
  /** Stops hosting (releases the lock so another tab takes over). */
  release(): void;
}

/**
 * Serves relayed requests with `rt.fetch` while this tab holds the host lock. `start` runs once the
 * lock is ours (e.g. create/load the runtime then), so only one tab per origin loads the model. An app
 * that loads models later (a model picker) can return an object whose `fetch` delegates to the
 * current runtime.
 */
export function hostRuntime(start: () => Promise<RelayTarget> | RelayTarget): HostHandle {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let hosted!: () => void;
  const hosting = new Promise<void>((resolve) => (hosted = resolve));

  void navigator.locks.request(HOST_LOCK, async () => {
    const rt = await start();
    const onMessage = (event: MessageEvent) => {
      const msg = event.data as RelayRequest | undefined;
      if (msg?.type !== RELAY_REQUEST) return;
      void serve(rt, msg);
    };
    navigator.serviceWorker.addEventListener('message', onMessage);
    hosted();
    await held;
    navigator.serviceWorker.removeEventListener('message', onMessage);
  });
  return { hosting, release: () => release() };
}

async function serve(rt: RelayTarget, msg: RelayRequest): Promise<void> {
  const { port } = msg;
  port.postMessage({ accepted: true } satisfies RelayAccepted);
  // The service worker says when the client went away: the request is aborted (generation stops).
  const controller = new AbortController();
  port.onmessage = (e: MessageEvent<RelayAbort>) => {
    if (e.data?.abort) controller.abort(new DOMException('The client went away.', 'AbortError'));
  };
  let answer: RelayAnswer;
  const init = { method: msg.method, headers: msg.headers, body: msg.body, signal: controller.signal };
  try {
    const direct = await rt.fetchToPort?.(msg.url, init);
    if (direct) {
      // The worker's body port goes on to the service worker; if the worker dies first, say so.
      void direct.failed.then((failed) => port.postMessage({ failed } satisfies RelayFailed));
      port.postMessage({ status: direct.status, headers: direct.headers, body: direct.port } satisfies RelayAnswer, direct.port ? [direct.port] : []);
      return;
    }
    const res = await rt.fetch(msg.url, init);
    answer = { status: res.status, headers: [...res.headers.entries()], body: res.body ? streamToPort(res.body) : null };
  } catch (err) {
    const body = JSON.stringify({ error: { message: `The runtime failed: ${(err as Error).message}`, type: 'server_error', param: null, code: 'server_error' } });
    answer = { status: 500, headers: [['content-type', 'application/json']], body: streamToPort(new Response(body).body!) };
  }
  port.postMessage(answer, answer.body ? [answer.body] : []);
}
