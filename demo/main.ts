/**
 * The demo chat PWA, built on the public API the way an app would be:
 *  - this tab hosts the runtime for the origin (`hostRuntime`, one model per origin, in a Web Worker);
 *  - the ready-made service worker answers `/v1/*` and keeps the app shell for offline use;
 *  - the chat is the official `openai` SDK with `baseURL: /v1`, running the tool loop in the page.
 */
import OpenAI from 'openai';
import { createWorkerRuntime, type WorkerRuntime } from '../src/browser/runtime.ts';
import { hostRuntime } from '../src/browser/relay.ts';
import { localFetch, registerResponsesWorker } from '../src/browser/client.ts';
import { probeDevice, type DeviceReport } from '../src/engines/device.ts';
import { Conversation, type TurnStats, type TurnView } from './app/chat.ts';
import { REMOTE_MODELS, defaultEntry, fetchLocalModels, hubReachable, planLoad, type BackendChoice, type CatalogueEntry } from './app/catalogue.ts';
import { explainChatError, explainLoadError, type Explained } from './app/errors.ts';
import { ProgressMeter, formatBytes } from './app/format.ts';
import { checkStorage, deleteCachedModel, isCached, listCachedModels, type CachedModel } from './app/storage.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
};

const state = {
  device: null as DeviceReport | null,
  backend: (new URLSearchParams(location.search).get('backend') as BackendChoice | null) ?? 'auto',
  entries: [] as CatalogueEntry[],
  hubOk: false,
  cached: [] as CachedModel[],
  selected: null as CatalogueEntry | null,
  /** What answers now: a catalogue entry loaded here, or the host tab's model (key 'other-tab'). */
  loaded: null as { key: string; label: string; model: string; modelId: string; backend: string } | null,
  runtime: null as WorkerRuntime | null,
  loading: false,
  hosting: false,
  controller: null as AbortController | null,
};

// ---------------------------------------------------------------------------------------------------
// Banners: errors a person can act on, and notices.

const narrow = () => !window.matchMedia('(min-width: 960px)').matches;

function banner(key: string, b: Explained | null): void {
  const box = $('banners');
  // On a phone the models panel covers the page: an error must be seen.
  if (b?.level === 'error' && narrow()) openPanel(false);
  box.querySelector(`[data-key="${key}"]`)?.remove();
  if (!b) return;
  const div = el('div', `banner ${b.level}`);
  div.dataset.key = key;
  div.setAttribute('role', b.level === 'error' ? 'alert' : 'status');
  div.append(el('strong', '', b.title), el('span', '', b.detail));
  const close = el('button', 'ghost', '✕');
  close.type = 'button';
  close.setAttribute('aria-label', 'Dismiss');
  close.onclick = () => div.remove();
  div.append(close);
  box.append(div);
}

// ---------------------------------------------------------------------------------------------------
// The runtime: this tab hosts it for the whole origin; other tabs talk to it through /v1.

const noModel = () =>
  new Response(
    JSON.stringify({ error: { message: 'No model is loaded yet: pick one under Models.', type: 'invalid_request_error', param: 'model', code: 'model_not_found' } }),
    { status: 404, headers: { 'content-type': 'application/json' } },
  );

const host = hostRuntime(() => ({
  fetch: (input: RequestInfo | URL, init?: RequestInit) => (state.runtime && state.loaded ? state.runtime.fetch(input, init) : Promise.resolve(noModel())),
  // Bodies go from the model's worker to the service worker directly (null: `fetch` answers instead).
  fetchToPort: (input: RequestInfo | URL, init?: RequestInit) => (state.runtime && state.loaded ? state.runtime.fetchToPort(input, init) : null),
}));
void host.hosting.then(() => {
  state.hosting = true;
  banner('other-tab', null);
  renderCatalogue();
});
setTimeout(() => {
  if (!state.hosting) {
    banner('other-tab', {
      level: 'info',
      title: 'Another tab runs the model',
      detail: 'This app is open in another tab, which hosts the model for every tab (one copy in GPU memory). This tab chats through it; close the other tab to load models here.',
    });
    void adoptRemoteModel();
  }
}, 1500);

const client = new OpenAI({
  apiKey: 'local',
  baseURL: `${location.origin}/v1`,
  dangerouslyAllowBrowser: true,
  maxRetries: 0,
  // Through the service worker; on the very first visit, before it controls the page, straight to the runtime.
  fetch: localFetch({ runtime: () => (state.loaded ? state.runtime : null) }),
});
const params = new URLSearchParams(location.search);
const conversation = new Conversation(client, {
  temperature: params.has('temperature') ? Number(params.get('temperature')) : 0.7,
  maxOutputTokens: 1024,
});

/** In a tab that does not host: use whatever model the host tab has loaded. */
async function adoptRemoteModel(): Promise<void> {
  try {
    const { data } = await client.models.list();
    if (data[0] && !state.hosting) {
      state.loaded = { key: 'other-tab', label: data[0].id, model: data[0].id, modelId: data[0].id, backend: 'other tab' };
      renderStatus();
    }
  } catch {
    // the host has no model yet
  }
}

// ---------------------------------------------------------------------------------------------------
// Models panel: catalogue, device, storage, cached models.

function openPanel(open: boolean): void {
  document.body.classList.toggle('panel-open', open);
  $('model-button').setAttribute('aria-expanded', String(open));
}

function renderDevice(): void {
  const d = state.device;
  if (!d) return;
  const adapter = d.adapter ? [d.adapter.vendor, d.adapter.architecture, d.adapter.description].filter(Boolean).join(' ') : '';
  $('device').textContent = d.backend === 'webgpu' ? `WebGPU: ${adapter || 'adapter found'}${d.shaderF16 ? ' · shader-f16' : ' · no shader-f16 (f32 models)'}` : d.reason;
}

function renderCatalogue(): void {
  const list = $('catalogue');
  list.replaceChildren();
  if (!state.device) return;
  const groups: Array<[string, CatalogueEntry[]]> = [
    ['On this server', state.entries.filter((e) => e.source === 'local')],
    [state.hubOk ? 'From the Hugging Face hub' : 'From the Hugging Face hub (unreachable now)', state.entries.filter((e) => e.source === 'hub')],
    ['WebLLM (MLC, WebGPU only)', state.entries.filter((e) => e.source === 'webllm')],
  ];
  for (const [title, entries] of groups) {
    if (entries.length === 0) continue;
    list.append(el('li', 'group', title));
    for (const entry of entries) {
      const plan = planLoad(entry, state.device, state.backend);
      const cached = isCached(entry.model, state.cached);
      const li = el('li', `model${state.loaded?.key === entry.key ? ' current' : ''}${state.selected?.key === entry.key ? ' selected' : ''}`);
      li.dataset.key = entry.key;
      const head = el('div', 'model-head');
      head.append(el('strong', '', entry.label));
      const tags = el('span', 'tags');
      if (plan.bytes) tags.append(el('span', 'tag', `${entry.source === 'local' ? '' : '≈'}${formatBytes(plan.bytes)}`));
      tags.append(el('span', 'tag', plan.dtype));
      if (entry.needsShaderF16) tags.append(el('span', 'tag', 'needs f16'));
      if (cached) tags.append(el('span', 'tag ok', 'cached'));
      head.append(tags);
      li.append(head);
      const remoteDown = entry.source !== 'local' && !state.hubOk && !cached;
      li.append(el('p', `muted small${plan.ok ? '' : ' warn'}`, plan.ok ? `${plan.reason}${entry.note ? ` · ${entry.note}` : ''}` : `Cannot run here: ${plan.reason}`));
      const load = el('button', 'load', state.loaded?.key === entry.key ? 'Loaded' : 'Load');
      load.type = 'button';
      load.disabled = !plan.ok || state.loading || !state.hosting || state.loaded?.key === entry.key;
      if (remoteDown) load.title = 'The hub is unreachable and this model is not cached.';
      load.onclick = () => void loadEntry(entry);
      li.append(load);
      list.append(li);
    }
  }
}

async function refreshStorage(): Promise<void> {
  state.cached = await listCachedModels().catch(() => []);
  const box = $('cached');
  box.replaceChildren();
  for (const c of state.cached) {
    const li = el('li');
    li.append(el('span', '', `${c.model} · ${formatBytes(c.bytes)}`));
    const del = el('button', 'ghost small', 'Delete');
    del.type = 'button';
    del.disabled = state.loaded !== null && isCached(state.loaded.model, [c]);
    del.title = del.disabled ? 'In use: load another model first.' : `Delete ${c.model} from this device`;
    del.onclick = async () => {
      await deleteCachedModel(c.model);
      await refreshStorage();
      renderCatalogue();
    };
    li.append(del);
    box.append(li);
  }
  if (state.cached.length === 0) box.append(el('li', 'muted', 'No model downloaded yet.'));
  const est = await navigator.storage?.estimate?.().catch(() => null);
  $('storage').textContent = est?.quota ? `${formatBytes(est.usage ?? 0)} used of ${formatBytes(est.quota)} this site may use.` : '';
}

// ---------------------------------------------------------------------------------------------------
// Loading a model, with progress (bytes, speed, time left).

function showLoading(label: string | null): void {
  $('loading').hidden = label === null;
  if (label !== null) {
    $('loading-label').textContent = label;
    $('loading-file').textContent = '';
    ($('loading-bar') as HTMLProgressElement).removeAttribute('value');
    $('loading-text').textContent = 'Starting…';
  }
}

let meter = new ProgressMeter();
function onProgress(p: unknown): void {
  const q = p as { file?: string; overall?: { loaded: number; total: number }; progress?: number; text?: string };
  const bar = $('loading-bar') as HTMLProgressElement;
  if (q.overall) {
    const snap = meter.update(q.overall.loaded, q.overall.total);
    if (snap.fraction !== null) bar.value = snap.fraction;
    $('loading-text').textContent = snap.text;
    $('loading-file').textContent = q.file ?? '';
    document.body.dataset.progress = String(snap.loaded);
  } else if (typeof q.progress === 'number') {
    bar.value = q.progress; // WebLLM: a fraction and a sentence
    $('loading-text').textContent = q.text ?? '';
  }
}

async function loadEntry(entry: CatalogueEntry): Promise<void> {
  if (!state.device || state.loading) return;
  const plan = planLoad(entry, state.device, state.backend);
  if (!plan.ok) return banner('load', { level: 'error', title: `${entry.label} cannot run here`, detail: plan.reason });
  const cached = isCached(entry.model, state.cached);
  if (!cached && plan.bytes) {
    const storage = await checkStorage(plan.bytes, navigator.storage, formatBytes);
    if (!storage.ok) return banner('load', { level: 'error', title: 'Not enough storage', detail: storage.message });
  }
  banner('load', null);
  state.loading = true;
  state.selected = entry;
  renderCatalogue();
  meter = new ProgressMeter();
  if (narrow()) openPanel(false); // the progress shows above the chat
  showLoading(`Loading ${entry.label}${cached ? ' from this device' : ''}`);
  delete document.body.dataset.modelLoaded;
  const engineOptions = { device: plan.backend, dtype: plan.dtype, availableDtypes: Object.keys(entry.sizes), wasmPaths: '/ort/' };
  try {
    state.loaded = null;
    if (state.runtime) await state.runtime.load({ model: entry.model, engine: entry.engine, engineOptions });
    else {
      state.runtime = createWorkerRuntime({ model: entry.model, engine: entry.engine, engineOptions, onProgress });
      await state.runtime.ready;
    }
    const status = await state.runtime.status();
    const info = status.info as { device?: string; deviceReport?: DeviceReport } | null;
    const { data } = await state.runtime.fetch('/v1/models').then((r) => r.json() as Promise<{ data: Array<{ id: string }> }>);
    state.loaded = { key: entry.key, label: entry.label, model: entry.model, modelId: data[0].id, backend: info?.device ?? plan.backend };
    document.body.dataset.modelLoaded = state.loaded.modelId;
    if (state.loaded.backend === 'wasm' && state.device.backend !== 'webgpu') {
      banner('backend', { level: 'info', title: 'No WebGPU here: using WASM on the CPU', detail: `${state.device.reason} Answers will be slower than on a GPU.` });
    }
  } catch (err) {
    const explained = explainLoadError(err, { model: entry.label, online: navigator.onLine, cached, cachedModels: state.cached });
    banner('load', explained);
    document.body.dataset.loadError = explained.title;
  } finally {
    state.loading = false;
    showLoading(null);
    renderStatus();
    renderCatalogue();
    void refreshStorage().then(renderCatalogue);
  }
}

function renderStatus(): void {
  $('model-name').textContent = state.loaded ? state.loaded.label : 'Choose a model';
  const badge = $('backend');
  badge.hidden = !state.loaded;
  const backend = state.loaded?.backend ?? '';
  badge.textContent = backend === 'webgpu' ? 'WebGPU' : backend === 'wasm' ? 'WASM' : backend;
  badge.title = backend === 'webgpu' && state.device?.adapter ? [state.device.adapter.vendor, state.device.adapter.architecture].filter(Boolean).join(' ') : '';
}

// ---------------------------------------------------------------------------------------------------
// Chat: streamed text, reasoning (collapsible), tool calls as their arguments stream, stop, stats.

function scrollDown(): void {
  const chat = $('chat');
  chat.scrollTop = chat.scrollHeight;
}

function turnView(container: HTMLElement): TurnView {
  const parts = new Map<string, { root: HTMLElement; body: HTMLElement }>();
  return {
    itemAdded(key, item) {
      let root: HTMLElement;
      let body: HTMLElement;
      if (item.type === 'reasoning') {
        const details = el('details', 'reasoning');
        details.open = true;
        details.append(el('summary', '', 'Thinking…'));
        body = el('div', 'reasoning-text');
        details.append(body);
        root = details;
      } else if (item.type === 'function_call') {
        root = el('div', 'tool-call streaming');
        const head = el('div', 'tool-head');
        head.append(el('span', 'tool-icon', '⚙'), el('code', 'tool-name', item.name));
        body = el('code', 'tool-args');
        root.append(head, body);
      } else {
        root = el('div', 'answer');
        body = root;
      }
      parts.set(key, { root, body });
      container.append(root);
      scrollDown();
    },
    delta(key, _kind, delta) {
      const p = parts.get(key);
      if (p) p.body.textContent += delta;
      scrollDown();
    },
    itemDone(key, item) {
      const p = parts.get(key);
      if (!p) return;
      if (item.type === 'reasoning') {
        (p.root as HTMLDetailsElement).open = false;
        p.root.querySelector('summary')!.textContent = 'Reasoning';
      } else if (item.type === 'function_call') {
        p.root.classList.remove('streaming');
        p.body.textContent = item.arguments;
      }
    },
    toolResult(key, _call, result) {
      const p = parts.get(key);
      if (!p) return;
      const out = el('div', `tool-result${result.ok ? '' : ' failed'}`);
      out.append(el('span', 'muted', result.ok ? '→ ' : '✗ '), el('code', '', result.output));
      p.root.append(out);
    },
    responseDone(_round, stats: TurnStats) {
      const parts = [
        stats.tokensPerSecond ? `${stats.tokensPerSecond.toFixed(1)} tok/s` : null,
        stats.ttftMs !== null ? `first token ${Math.round(stats.ttftMs)} ms` : null,
        `${stats.outputTokens} tokens`,
        stats.backend ? (stats.backend === 'webgpu' ? 'WebGPU' : stats.backend === 'wasm' ? 'WASM' : stats.backend) : null,
        stats.status !== 'completed' ? stats.status : null,
      ].filter(Boolean);
      container.append(el('div', 'stats', parts.join(' · ')));
    },
  };
}

function setBusy(busy: boolean): void {
  $('send').hidden = busy;
  $('stop').hidden = !busy;
  ($('prompt') as HTMLTextAreaElement).disabled = busy;
}

async function send(text: string): Promise<void> {
  if (!state.loaded) {
    openPanel(true);
    return banner('chat', { level: 'error', title: 'No model loaded', detail: 'Pick a model under Models and load it first.' });
  }
  banner('chat', null);
  $('empty').hidden = true;
  const chat = $('chat');
  chat.append(el('div', 'turn user', text));
  const assistant = el('div', 'turn assistant');
  chat.append(assistant);
  scrollDown();
  state.controller = new AbortController();
  setBusy(true);
  try {
    const result = await conversation.send(text, { model: state.loaded.modelId, signal: state.controller.signal, view: turnView(assistant) });
    if (result.status === 'aborted') assistant.append(el('div', 'stats', 'Stopped.'));
    if (result.status === 'tool_limit') assistant.append(el('div', 'stats', 'Stopped after too many tool calls in a row.'));
  } catch (err) {
    const explained = explainChatError(err);
    banner('chat', explained);
    assistant.append(el('div', 'stats failed', explained.title));
  } finally {
    state.controller = null;
    setBusy(false);
    document.body.dataset.turns = String(Number(document.body.dataset.turns ?? 0) + 1);
    ($('prompt') as HTMLTextAreaElement).focus();
  }
}

$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('prompt') as HTMLTextAreaElement;
  const text = input.value.trim();
  if (!text || state.controller) return;
  input.value = '';
  void send(text);
});
$('prompt').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    ($('composer') as HTMLFormElement).requestSubmit();
  }
});
$('stop').addEventListener('click', () => state.controller?.abort());
$('new-chat').addEventListener('click', () => {
  state.controller?.abort();
  conversation.clear();
  $('chat').replaceChildren($('empty'));
  $('empty').hidden = false;
});
for (const b of document.querySelectorAll<HTMLButtonElement>('.suggestion')) {
  b.addEventListener('click', () => {
    ($('prompt') as HTMLTextAreaElement).value = b.textContent ?? '';
    ($('composer') as HTMLFormElement).requestSubmit();
  });
}
$('model-button').addEventListener('click', () => openPanel(!document.body.classList.contains('panel-open')));
$('close-models').addEventListener('click', () => openPanel(false));
const backendSelect = $('backend-choice') as HTMLSelectElement;
backendSelect.value = state.backend;
backendSelect.addEventListener('change', () => {
  state.backend = backendSelect.value as BackendChoice;
  renderCatalogue();
});
window.addEventListener('offline', () => banner('offline', { level: 'info', title: 'You are offline', detail: 'Cached models keep working; downloading a new one needs a connection.' }));
window.addEventListener('online', () => banner('offline', null));

// ---------------------------------------------------------------------------------------------------
// Start: service worker, device probe, catalogue.

async function boot(): Promise<void> {
  const sw = registerResponsesWorker(import.meta.env.DEV ? '/sw.ts' : '/sw.js').catch((err: Error) => {
    banner('sw', { level: 'info', title: 'Offline mode is unavailable', detail: `The service worker did not register (${err.message}); the chat still works while this tab is open.` });
    return null;
  });
  const [device, local, hubOk] = await Promise.all([probeDevice(), fetchLocalModels(), navigator.onLine ? hubReachable() : Promise.resolve(false)]);
  state.device = device;
  state.hubOk = hubOk;
  state.entries = [...local, ...REMOTE_MODELS];
  await refreshStorage();
  state.selected = defaultEntry(state.entries, hubOk) ?? null;
  if (!hubOk) {
    banner('hub', {
      level: 'info',
      title: 'The model hub is unreachable',
      detail:
        local.length > 0
          ? `Models from huggingface.co cannot be downloaded now${navigator.onLine ? '' : ' (offline)'}; the models this server has and cached ones still work.`
          : 'Models from huggingface.co cannot be downloaded now, and this server has no local models: only cached models can be loaded.',
    });
  }
  renderDevice();
  renderCatalogue();
  openPanel(true);
  await sw;
  document.body.dataset.ready = '1';
}

void boot();
