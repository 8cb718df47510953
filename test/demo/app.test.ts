/**
 * The demo's catalogue, storage, progress and error helpers (pure logic; the page itself is tested in
 * e2e/demo.e2e.ts).
 */
import { describe, expect, test } from 'vitest';
import { REMOTE_MODELS, defaultEntry, fetchLocalModels, planLoad, type CatalogueEntry } from '../../demo/app/catalogue.ts';
import { explainChatError, explainLoadError } from '../../demo/app/errors.ts';
import { ProgressMeter, formatBytes, formatDuration } from '../../demo/app/format.ts';
import { checkStorage, isCached, modelOfUrl } from '../../demo/app/storage.ts';
import type { DeviceReport } from '../../src/engines/device.ts';

const GPU_F16: DeviceReport = { backend: 'webgpu', reason: 'gpu', shaderF16: true, limits: {} };
const GPU_F32: DeviceReport = { backend: 'webgpu', reason: 'gpu', shaderF16: false, limits: {} };
const CPU: DeviceReport = { backend: 'wasm', reason: 'No WebGPU in this browser.', shaderF16: false, limits: {} };
const entry = (key: string) => REMOTE_MODELS.find((e) => e.key === key)!;

describe('planLoad', () => {
  test('picks q4f16 on a GPU with shader-f16, q4 without it and on WASM', () => {
    expect(planLoad(entry('hub:qwen3-0.6b'), GPU_F16)).toMatchObject({ ok: true, backend: 'webgpu', dtype: 'q4f16' });
    expect(planLoad(entry('hub:qwen3-0.6b'), GPU_F32)).toMatchObject({ ok: true, backend: 'webgpu', dtype: 'q4' });
    expect(planLoad(entry('hub:qwen3-0.6b'), CPU)).toMatchObject({ ok: true, backend: 'wasm', dtype: 'q4' });
    expect(planLoad(entry('hub:qwen3-0.6b'), GPU_F16, 'wasm')).toMatchObject({ ok: true, backend: 'wasm', dtype: 'q4' });
  });
  test('says why a model cannot run: WebLLM without WebGPU, f16 builds without shader-f16, WebGPU forced without a GPU', () => {
    expect(planLoad(entry('webllm:llama-3.2-1b'), CPU)).toMatchObject({ ok: false, reason: 'WebLLM models need WebGPU.' });
    expect(planLoad(entry('webllm:qwen3-0.6b'), GPU_F32).reason).toMatch(/shader-f16/);
    expect(planLoad(entry('webllm:qwen3-0.6b'), GPU_F16).ok).toBe(true);
    expect(planLoad(entry('hub:qwen3-0.6b'), CPU, 'webgpu').reason).toContain('No WebGPU in this browser.');
  });
});

describe('local models and the default choice', () => {
  const index = { models: [{ id: 'stories260K', url: '/models/stories260K', dtypes: { fp32: 1_226_898 } }] };
  const ok = (async () => new Response(JSON.stringify(index))) as unknown as typeof fetch;
  const down = (async () => {
    throw new TypeError('Failed to fetch');
  }) as unknown as typeof fetch;
  test('lists the served folders, and offline falls back to the list from the last visit', async () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const online = await fetchLocalModels(ok, storage);
    expect(online.map((e) => [e.key, e.model, e.prefer.f32, e.sizes.fp32])).toEqual([['local:/models/stories260K', '/models/stories260K', 'fp32', 1_226_898]]);
    expect(await fetchLocalModels(down, storage)).toEqual(online);
    expect(await fetchLocalModels(down, null)).toEqual([]);
  });
  test('the hub default when the hub answers, else the first local model', async () => {
    const local = await fetchLocalModels(ok, null);
    const all: CatalogueEntry[] = [...local, ...REMOTE_MODELS];
    expect(defaultEntry(all, true)?.key).toBe('hub:qwen3-0.6b');
    expect(defaultEntry(all, false)?.key).toBe('local:/models/stories260K');
  });
});

describe('storage', () => {
  test('cached URLs map to the model they belong to', () => {
    expect(modelOfUrl('https://huggingface.co/onnx-community/Qwen3-0.6B-ONNX/resolve/main/onnx/model_q4.onnx')).toBe('onnx-community/Qwen3-0.6B-ONNX');
    expect(modelOfUrl('http://localhost:5173/models/stories260K/onnx/model.onnx')).toBe('/models/stories260K');
    expect(modelOfUrl('http://localhost:5173/models/stories260K/tokenizer.json')).toBe('/models/stories260K');
    const cached = [{ model: '/models/stories260K', bytes: 1, files: 1 }];
    expect(isCached('/models/stories260K', cached)).toBe(true);
    expect(isCached('onnx-community/Qwen3-0.6B-ONNX', cached)).toBe(false);
  });
  test('a download larger than the free quota is refused with numbers and what to do; persistence is asked for', async () => {
    let asked = false;
    const storage = { estimate: async () => ({ quota: 1000 * 1024 * 1024, usage: 900 * 1024 * 1024 }), persisted: async () => false, persist: async () => ((asked = true), true) };
    const small = await checkStorage(50 * 1024 * 1024, storage, formatBytes);
    expect(small).toMatchObject({ ok: true, persisted: true });
    expect(asked).toBe(true);
    const big = await checkStorage(570 * 1024 * 1024, storage, formatBytes);
    expect(big.ok).toBe(false);
    expect(big.message).toBe(
      'Not enough storage for this model: it needs about 627 MB, and this site may use 100 MB more (quota 1000 MB, used 900 MB). Delete cached models below, free disk space, or pick a smaller model.',
    );
  });
});

describe('progress', () => {
  test('speed over a sliding window and time left', () => {
    let t = 0;
    const meter = new ProgressMeter(3000, () => t);
    expect(meter.update(0, 10_000_000).text).toBe('0 B of 9.5 MB');
    t = 1000;
    const s = meter.update(1_000_000, 10_000_000);
    expect(s.bytesPerSecond).toBe(1_000_000);
    expect(s.secondsLeft).toBe(9);
    expect(s.text).toBe('977 KB of 9.5 MB · 977 KB/s · 9 s left');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatBytes(1536)).toBe('1.5 KB');
  });
});

describe('errors a person can act on', () => {
  const ctx = { model: 'Qwen3 0.6B', online: true, cached: false, cachedModels: [{ model: '/models/stories260K', bytes: 1_226_898, files: 5 }] };
  test('GPU memory, unsupported device, offline and not cached', () => {
    expect(explainLoadError(new Error('WebGPU: Out of memory while creating buffer'), ctx).title).toBe('Not enough GPU memory');
    expect(explainLoadError(Object.assign(new Error('needs shader-f16'), { code: 'unsupported_device' }), ctx).title).toBe('Qwen3 0.6B cannot run on this GPU');
    const offline = explainLoadError(new TypeError('Failed to fetch'), { ...ctx, online: false });
    expect(offline.title).toBe('You are offline and Qwen3 0.6B is not cached');
    expect(offline.detail).toContain('/models/stories260K (1.2 MB)');
    expect(explainLoadError(new Error('bad config'), { ...ctx, cached: true }).title).toBe('Could not load Qwen3 0.6B');
  });
  test('chat errors: no host, model not loaded', () => {
    expect(explainChatError({ status: 503, code: 'no_runtime_host', message: 'x' }).title).toBe('No tab is running the model');
    expect(explainChatError({ status: 404, code: 'model_not_found', message: 'No model is loaded yet.' }).title).toBe('The model is not loaded');
  });
});
