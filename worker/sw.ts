/// <reference lib="webworker" />
/**
 * A ready-made service worker: answers same-origin `/v1/*` from the tab that hosts the runtime, and
 * leaves every other request alone. Register it with `{ type: 'module', scope: '/' }`.
 */
import { handleResponsesFetch } from '../src/browser/sw.ts';

declare const self: ServiceWorkerGlobalScope;

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => void handleResponsesFetch(event));
