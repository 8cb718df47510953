/// <reference lib="webworker" />
/**
 * A ready-made service worker: answers same-origin `/v1/*` from the tab that hosts the runtime, keeps
 * the app shell (pages, scripts, ONNX Runtime's wasm) for offline use, and leaves every other request
 * alone. Register it with `{ type: 'module', scope: '/' }` (see `registerResponsesWorker`).
 *
 * A new version takes over at once (skipWaiting + clients.claim): it keeps no state, and a response
 * the old version is streaming keeps the old one alive until it ends.
 */
import { handleAppShellFetch, handleAppShellMessage, handleResponsesFetch } from '../src/browser/sw.ts';

declare const self: ServiceWorkerGlobalScope;

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => void (handleResponsesFetch(event) || handleAppShellFetch(event)));
self.addEventListener('message', (event) => void handleAppShellMessage(event));
