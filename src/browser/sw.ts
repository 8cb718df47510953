/// <reference lib="webworker" />
/**
 * The service-worker side of `fetch('/v1/…')`: same-origin requests under `/v1/` are relayed to the
 * page that hosts the runtime (see `hostRuntime` in relay.ts) and answered with its Response — the
 * SSE body arrives over a MessagePort (port-stream.ts), from the runtime's worker directly when the host
 * serves with `fetchToPort`, so streaming, back-pressure and cancellation go both ways. Every other
 * request is left alone. The service worker keeps no state it depends on: a request goes first to the
 * window that hosted the last one, and to every window when that one does not accept in time or is
 * gone, so a restarted service worker (which forgot) keeps working.
 *
 *     // your service worker
 *     import { handleResponsesFetch } from 'web-responses/sw';
 *     self.addEventListener('fetch', (event) => handleResponsesFetch(event));
 */
import { streamTracker } from './stream-tracker.ts';
import { portToStream } from './port-stream.ts';
export { handleAppShellFetch, handleAppShellMessage, isShellRequest, SHELL_CACHE, type ShellCacheOptions } from './shell-cache.ts';
import {
  RELAY_REQUEST,
  type RelayAbort,
  type RelayAccepted,
  type RelayAnswer,
  type RelayFailed,
  type RelayRequest,
} from './relay-protocol.ts';

declare const self: ServiceWorkerGlobalScope;

export interface RelayOptions {
  /** Path prefix that is served (default `/v1/`). */
  prefix?: string;
  /** How long to wait for a host to accept a request before answering 503 (ms, default 3000). */
  hostTimeoutMs?: number;
}

function errorResponse(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code } }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

/**
 * Handles the fetch event when it is for the Responses API (returns true), otherwise leaves it to the
 * next handler (returns false).
 */
export function handleResponsesFetch(event: FetchEvent, options: RelayOptions = {}): boolean {
  const url = new URL(event.request.url);
  const prefix = options.prefix ?? '/v1/';
  if (url.origin !== self.location.origin || !(url.pathname + '/').startsWith(prefix)) return false;
  // The service worker stays alive until the relayed body ends, so a new version activating (or the
  // browser's idle timer) does not cut a response mid-stream.
  let finished!: () => void;
  event.waitUntil(new Promise<void>((resolve) => (finished = resolve)));
  event.respondWith(
    relay(event.request, options.hostTimeoutMs ?? 3000, () => finished()).catch((err) => {
      finished();
      throw err;
    }),
  );
  return true;
}

/**
 * The window that accepted the last request: asked alone first, so the other tabs are not woken and sent
 * a copy of every request body. Only a hint — lost when the service worker restarts.
 */
let lastHostId: string | null = null;
/** How long the last host has to accept before every window is asked. */
const HINT_MS = 250;

/** Asks the last host, then every window; the first that accepts serves the request. */
async function relay(request: Request, hostTimeoutMs: number, finished: () => void): Promise<Response> {
  const body = request.method === 'GET' || request.method === 'HEAD' ? null : await request.text();
  const message: Omit<RelayRequest, 'port'> = {
    type: RELAY_REQUEST,
    url: request.url,
    method: request.method,
    headers: [...request.headers.entries()],
    body,
  };
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const channels: MessageChannel[] = [];
  let hostPort: MessagePort | null = null;
  let hostId: string | null = null;
  // The host reports a dead runtime worker when the body comes from that worker directly.
  let workerFailed!: (failed: RelayFailed['failed']) => void;
  const failure = new Promise<RelayFailed['failed']>((resolve) => (workerFailed = resolve));
  // A host accepts at once; its answer (after the model is loaded, the prompt read…) follows without a timeout.
  const answer = await new Promise<RelayAnswer | null>((resolve) => {
    const asked = new Set<string>();
    const ask = (client: Client) => {
      asked.add(client.id);
      const channel = new MessageChannel();
      channels.push(channel);
      channel.port1.onmessage = (e: MessageEvent<RelayAnswer | RelayAccepted | RelayFailed>) => {
        if ('failed' in e.data) return workerFailed(e.data.failed);
        clearTimeout(timer);
        clearTimeout(widen);
        hostPort = channel.port1;
        hostId = client.id;
        if (!('accepted' in e.data)) resolve(e.data);
      };
      client.postMessage({ ...message, port: channel.port2 }, [channel.port2]);
    };
    const askTheRest = () => {
      for (const client of windows) if (!asked.has(client.id)) ask(client);
    };
    const timer = setTimeout(() => resolve(null), hostTimeoutMs);
    let widen: ReturnType<typeof setTimeout> | undefined;
    const last = windows.find((w) => w.id === lastHostId);
    if (last) {
      ask(last);
      widen = setTimeout(askTheRest, Math.min(HINT_MS, hostTimeoutMs));
    } else askTheRest();
    if (windows.length === 0) {
      clearTimeout(timer);
      resolve(null);
    }
  });
  lastHostId = hostId;
  for (const c of channels) if (c.port1 !== hostPort) c.port1.close();
  if (!answer) {
    finished();
    return errorResponse(
      503,
      'no_runtime_host',
      'No page is hosting the model. Open the app in a tab (it loads the model and serves /v1/ for this origin), then retry.',
    );
  }
  // The client going away (an aborted fetch, a cancelled body) stops generation on the host.
  const port = hostPort as MessagePort | null;
  const abort = () => {
    port?.postMessage({ abort: true } satisfies RelayAbort);
    port?.close();
  };
  request.signal.addEventListener('abort', abort, { once: true });
  if (!answer.body) {
    port?.close();
    finished();
    return new Response(null, { status: answer.status, headers: answer.headers });
  }
  const reader = portToStream(answer.body).getReader();
  // When the host's document goes away (tab closed, crashed, navigated) its body stream may neither
  // end nor fail: the host's window disappearing from the clients list is the signal.
  let watching = true;
  const hostGone = (async (): Promise<'gone'> => {
    while (watching) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (hostId && !(await self.clients.get(hostId))) return 'gone';
    }
    return new Promise<'gone'>(() => {});
  })();
  // The relayed body is over (ended, failed, host gone or cancelled): stop watching, let the worker go.
  const settle = () => {
    watching = false;
    port?.close();
    finished();
  };
  const isSse = answer.headers.some(([k, v]) => k.toLowerCase() === 'content-type' && v.startsWith('text/event-stream'));
  const tracker = isSse ? streamTracker() : null;
  const relayed = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          const r = await Promise.race([reader.read(), hostGone, failure]);
          if (r === 'gone') throw new Error('the host tab closed');
          if (!('done' in r)) {
            // The runtime's worker died (crashed, terminated): the stream ends as the page's would.
            settle();
            void reader.cancel().catch(() => {});
            if (tracker && !tracker.ended) controller.enqueue(tracker.fail(r.code, r.message));
            controller.close();
            return;
          }
          next = r;
        } catch (err) {
          // The host tab went away mid-stream (closed, crashed, reloaded): end the stream properly.
          settle();
          if (tracker && !tracker.ended) {
            controller.enqueue(tracker.fail('host_lost', `The tab hosting the model went away mid-response (${String(err)}). Retry: another tab takes over.`));
            controller.close();
          } else controller.error(err);
          return;
        }
        if (next.done) {
          settle();
          if (tracker && !tracker.ended) {
            controller.enqueue(tracker.fail('host_lost', 'The tab hosting the model went away mid-response. Retry: another tab takes over.'));
          }
          controller.close();
          return;
        }
        tracker?.feed(next.value);
        controller.enqueue(next.value);
      },
      cancel(reason) {
        abort(); // tells the host first (abort closes the port too)
        settle();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(relayed, { status: answer.status, headers: answer.headers });
}
