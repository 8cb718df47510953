/// <reference lib="webworker" />
/**
 * The demo's service worker: the ready-made one (answers /v1/* from the tab hosting the model, keeps
 * the app shell for offline use). Served at /sw.ts by the dev server and built to /sw.js.
 */
import '../worker/sw.ts';
