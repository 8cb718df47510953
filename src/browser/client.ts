/**
 * The page side of `fetch('/v1/…')` through the service worker: register it, and a fetch that works
 * from the very first page load — before the service worker controls the page, a request goes to the
 * runtime this tab hosts, or waits a moment for the service worker, or gets an answer that says what
 * to do. Never a request to the network and never a hang.
 */
import type { WorkerRuntime } from './runtime.ts';
import { SHELL_WARM, type ShellWarmMessage } from './shell-cache.ts';

export interface RegisterOptions {
  /** Service worker scope (default `/`: it must cover the `/v1/` routes). */
  scope?: string;
  /** How long to wait for the new service worker to take control of this page (ms, default 10000). */
  controlTimeoutMs?: number;
}

/** Waits for `navigator.serviceWorker.controller` (up to `timeoutMs`); true when this page is controlled. */
export async function whenControlled(timeoutMs = 10_000): Promise<boolean> {
  if (!('serviceWorker' in navigator)) return false;
  if (navigator.serviceWorker.controller) return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      navigator.serviceWorker.removeEventListener('controllerchange', onChange);
      resolve(Boolean(navigator.serviceWorker.controller));
    }, timeoutMs);
    const onChange = () => {
      clearTimeout(timer);
      resolve(true);
    };
    navigator.serviceWorker.addEventListener('controllerchange', onChange, { once: true });
  });
}

/**
 * Registers the service worker (ours, `worker/sw.ts` built by your bundler, or your own that calls
 * `handleResponsesFetch`) as a module, and resolves once it controls this page. On a first visit the
 * ready-made worker claims the page as soon as it activates; `controlled: false` means it did not
 * (e.g. a hard reload, which bypasses service workers until the next normal load).
 */
export async function registerResponsesWorker(
  scriptURL: string | URL,
  options: RegisterOptions = {},
): Promise<{ registration: ServiceWorkerRegistration; controlled: boolean }> {
  if (!('serviceWorker' in navigator)) {
    throw new Error('Service workers are not available here (they need a secure context: https:// or http://localhost).');
  }
  const scope = options.scope ?? '/';
  let registration: ServiceWorkerRegistration;
  try {
    registration = await navigator.serviceWorker.register(scriptURL, { type: 'module', scope });
  } catch (err) {
    // Offline, re-registering fails to fetch the script: the installed version keeps serving.
    const existing = await navigator.serviceWorker.getRegistration(scope);
    if (!existing?.active) throw err;
    registration = existing;
  }
  await navigator.serviceWorker.ready;
  const controlled = await whenControlled(options.controlTimeoutMs ?? 10_000);
  if (controlled) warmShellCache();
  return { registration, controlled };
}

const DESTINATION_OF: Record<string, RequestDestination> = { script: 'script', link: 'style', css: 'image', img: 'image', image: 'image', other: 'script' };

/**
 * Tells the service worker which same-origin files this page loaded (the document and what it
 * loaded before the service worker was in control), so an offline reload finds them.
 */
function warmShellCache(): void {
  const files: ShellWarmMessage['files'] = [{ url: location.href, destination: 'document' }];
  for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
    const destination = DESTINATION_OF[e.initiatorType];
    if (destination && new URL(e.name).origin === location.origin) files.push({ url: e.name, destination });
  }
  navigator.serviceWorker.controller?.postMessage({ type: SHELL_WARM, files } satisfies ShellWarmMessage);
}

export interface LocalFetchOptions {
  /** The runtime this tab hosts, if any (served directly while no service worker controls the page). */
  runtime?: () => WorkerRuntime | Promise<WorkerRuntime> | undefined | null;
  /** Path prefix of the API (default `/v1/`). */
  prefix?: string;
  /** With no service worker and no runtime here, how long to wait for the service worker (ms, default 3000). */
  waitMs?: number;
}

/**
 * A `fetch` for the SDK (`new OpenAI({ baseURL: location.origin + '/v1', fetch: localFetch(…) })`) or
 * plain code that works from the first page load. Same-origin requests under `/v1/` go through the
 * service worker when it controls the page; otherwise to the runtime this tab hosts; otherwise, after
 * waiting `waitMs` for the service worker, they get a 503 `service_worker_not_ready` saying what to do.
 * Everything else goes to the global `fetch` unchanged.
 */
export function localFetch(options: LocalFetchOptions = {}): typeof fetch {
  const prefix = options.prefix ?? '/v1/';
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    const api = url.origin === location.origin && (url.pathname + '/').startsWith(prefix);
    if (!api || navigator.serviceWorker?.controller) return fetch(input, init);
    const rt = await options.runtime?.();
    if (rt) return rt.fetch(input, init);
    if (await whenControlled(options.waitMs ?? 3000)) return fetch(input, init);
    const error = {
      message:
        'No service worker controls this page yet, so /v1/ has no one to answer it (a first visit before ' +
        'registration finished, or a hard reload). Await registerResponsesWorker(…) before the first request, ' +
        'host the runtime in this tab, or reload the page normally.',
      type: 'server_error',
      param: null,
      code: 'service_worker_not_ready',
    };
    return new Response(JSON.stringify({ error }), { status: 503, headers: { 'content-type': 'application/json; charset=utf-8' } });
  };
}
