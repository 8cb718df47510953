/// <reference lib="webworker" />
/**
 * Offline app shell for a service worker: same-origin GETs for the page, its scripts, styles, icons,
 * manifest, workers and ONNX Runtime's .wasm files are answered from the network when it answers
 * and from a cache when it does not (network first: an online visit always gets the newest files and
 * refreshes the copy). Model weights are not copied here: transformers.js keeps them in its own
 * Cache Storage (`transformers-cache`), so they are stored once.
 *
 * The files of the very first visit load before the service worker exists; the page lists them once
 * it is controlled (`registerResponsesWorker` does) and `handleAppShellMessage` caches them.
 *
 *     import { handleAppShellFetch, handleAppShellMessage, handleResponsesFetch } from 'web-responses/sw';
 *     self.addEventListener('fetch', (event) => handleResponsesFetch(event) || handleAppShellFetch(event));
 *     self.addEventListener('message', (event) => handleAppShellMessage(event));
 */

declare const self: ServiceWorkerGlobalScope;

export const SHELL_CACHE = 'web-responses-shell';

export interface ShellCacheOptions {
  /** Cache Storage name (default `web-responses-shell`). */
  cacheName?: string;
  /** Which same-origin GETs to keep for offline use (default: see `isShellRequest`). */
  include?: (url: URL, destination: RequestDestination) => boolean;
}

/** Page → service worker: the same-origin files this page loaded before it was controlled. */
export const SHELL_WARM = 'web-responses:cache-shell';
export interface ShellWarmMessage {
  type: typeof SHELL_WARM;
  files: Array<{ url: string; destination: RequestDestination }>;
}

const SHELL_DESTINATIONS = new Set<RequestDestination>(['document', 'script', 'style', 'image', 'font', 'manifest', 'worker', 'sharedworker']);

/**
 * The default: documents, scripts, styles, images, fonts, the manifest, workers, and `.wasm`/`.mjs`
 * files (ONNX Runtime fetches its wasm with a plain fetch). Not `/v1/` and not model files.
 */
export function isShellRequest(url: URL, destination: RequestDestination): boolean {
  if (url.pathname.startsWith('/v1/')) return false;
  return SHELL_DESTINATIONS.has(destination) || /\.(wasm|mjs)$/.test(url.pathname);
}

/** Handles the fetch event when it is an app-shell request (returns true), otherwise returns false. */
export function handleAppShellFetch(event: FetchEvent, options: ShellCacheOptions = {}): boolean {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || request.headers.has('range')) return false;
  if (!(options.include ?? isShellRequest)(url, request.destination)) return false;
  event.respondWith(networkFirst(event, options.cacheName ?? SHELL_CACHE));
  return true;
}

async function networkFirst(event: FetchEvent, cacheName: string): Promise<Response> {
  const { request } = event;
  try {
    const response = await fetch(request);
    if (response.ok && response.type === 'basic') {
      const copy = response.clone();
      event.waitUntil(caches.open(cacheName).then((cache) => cache.put(request, copy)).catch(() => {}));
    }
    return response;
  } catch (err) {
    const cache = await caches.open(cacheName);
    // ignoreVary: a dev server's `Vary: Origin` would otherwise hide files cached by the warm-up fetch.
    const cached =
      (await cache.match(request, { ignoreVary: true })) ??
      (request.mode === 'navigate' ? await cache.match(request, { ignoreSearch: true, ignoreVary: true }) : undefined);
    if (cached) return cached;
    throw err; // offline and never fetched: the browser's own network error
  }
}

/**
 * Handles a page's list of the files it loaded before the service worker controlled it (returns true
 * when the message was one): each same-origin shell file not cached yet is fetched and kept.
 */
export function handleAppShellMessage(event: ExtendableMessageEvent, options: ShellCacheOptions = {}): boolean {
  const msg = event.data as ShellWarmMessage | undefined;
  if (msg?.type !== SHELL_WARM || !Array.isArray(msg.files)) return false;
  const include = options.include ?? isShellRequest;
  event.waitUntil(
    (async () => {
      const cache = await caches.open(options.cacheName ?? SHELL_CACHE);
      for (const file of msg.files) {
        const url = new URL(file.url, self.location.href);
        if (url.origin !== self.location.origin || !include(url, file.destination) || (await cache.match(url.href, { ignoreVary: true }))) continue;
        try {
          const response = await fetch(url.href, { credentials: 'same-origin' });
          if (response.ok) await cache.put(url.href, response);
        } catch {
          // offline or gone: the next online visit caches it
        }
      }
    })(),
  );
  return true;
}
