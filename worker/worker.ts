/// <reference lib="webworker" />
/**
 * The Web Worker entry: hosts one engine and the ResponsesService (see src/browser/host.ts).
 */
import * as Comlink from 'comlink';
import { createWorkerHost } from '../src/browser/host.ts';

Comlink.expose(createWorkerHost());
