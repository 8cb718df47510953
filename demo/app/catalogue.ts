/**
 * The demo's model catalogue: models that run in a browser (transformers.js ONNX models from the
 * Hugging Face hub, WebLLM's prebuilt MLC models) and the model folders this server has locally
 * (`/models/index.json`), each with what it needs and whether this device can run it.
 */
import type { DeviceReport } from '../../src/engines/device.ts';

export type Backend = 'webgpu' | 'wasm';
export type BackendChoice = 'auto' | Backend;

export interface CatalogueEntry {
  /** Unique key in the picker. */
  key: string;
  label: string;
  engine: 'transformers' | 'webllm';
  /** 'hub' (downloaded from huggingface.co), 'local' (served by this app), 'webllm' (MLC prebuilt). */
  source: 'hub' | 'local' | 'webllm';
  /** What the runtime loads: a hub id, a served folder URL, or a WebLLM model id. */
  model: string;
  /** Download size in bytes per variant (approximate for hub models). */
  sizes: Record<string, number>;
  /** Variant preferred on a GPU with shader-f16, and otherwise. */
  prefer: { f16: string; f32: string };
  /** WebLLM models need WebGPU; their q4f16 builds need shader-f16. */
  needsWebGPU?: boolean;
  needsShaderF16?: boolean;
  /** Tool calling (the model has a tool-call format the parser knows). */
  tools: boolean;
  note?: string;
}

const MB = 1024 * 1024;

/** transformers.js ONNX models on the hub and WebLLM prebuilt models (sizes: the q4/q4f16 files, approximate). */
export const REMOTE_MODELS: CatalogueEntry[] = [
  {
    key: 'hub:qwen3-0.6b',
    label: 'Qwen3 0.6B',
    engine: 'transformers',
    source: 'hub',
    model: 'onnx-community/Qwen3-0.6B-ONNX',
    sizes: { q4f16: 570 * MB, q4: 920 * MB },
    prefer: { f16: 'q4f16', f32: 'q4' },
    tools: true,
    note: 'Reasoning and tool calls (Hermes-style); the default.',
  },
  {
    key: 'hub:qwen2.5-0.5b',
    label: 'Qwen2.5 0.5B Instruct',
    engine: 'transformers',
    source: 'hub',
    model: 'onnx-community/Qwen2.5-0.5B-Instruct',
    sizes: { q4f16: 480 * MB, q4: 790 * MB },
    prefer: { f16: 'q4f16', f32: 'q4' },
    tools: true,
    note: 'Smallest with tool calls.',
  },
  {
    key: 'hub:qwen2.5-1.5b',
    label: 'Qwen2.5 1.5B Instruct',
    engine: 'transformers',
    source: 'hub',
    model: 'onnx-community/Qwen2.5-1.5B-Instruct',
    sizes: { q4f16: 1250 * MB, q4: 1800 * MB },
    prefer: { f16: 'q4f16', f32: 'q4' },
    tools: true,
  },
  {
    key: 'hub:llama-3.2-1b',
    label: 'Llama 3.2 1B Instruct',
    engine: 'transformers',
    source: 'hub',
    model: 'onnx-community/Llama-3.2-1B-Instruct-ONNX',
    sizes: { q4f16: 1010 * MB, q4: 1550 * MB },
    prefer: { f16: 'q4f16', f32: 'q4' },
    tools: true,
    note: 'JSON tool calls (llama3_json).',
  },
  {
    key: 'hub:smollm3-3b',
    label: 'SmolLM3 3B',
    engine: 'transformers',
    source: 'hub',
    model: 'HuggingFaceTB/SmolLM3-3B-ONNX',
    sizes: { q4f16: 2100 * MB, q4: 2900 * MB },
    prefer: { f16: 'q4f16', f32: 'q4' },
    tools: true,
    note: 'Largest here: a desktop GPU with 4 GB free.',
  },
  {
    key: 'webllm:qwen3-0.6b',
    label: 'Qwen3 0.6B (WebLLM)',
    engine: 'webllm',
    source: 'webllm',
    model: 'Qwen3-0.6B-q4f16_1-MLC',
    sizes: { q4f16_1: 1400 * MB },
    prefer: { f16: 'q4f16_1', f32: 'q4f16_1' },
    needsWebGPU: true,
    needsShaderF16: true,
    tools: true,
  },
  {
    key: 'webllm:llama-3.2-1b',
    label: 'Llama 3.2 1B Instruct (WebLLM, f32)',
    engine: 'webllm',
    source: 'webllm',
    model: 'Llama-3.2-1B-Instruct-q4f32_1-MLC',
    sizes: { q4f32_1: 1130 * MB },
    prefer: { f16: 'q4f32_1', f32: 'q4f32_1' },
    needsWebGPU: true,
    tools: true,
  },
];

export const DEFAULT_REMOTE = 'hub:qwen3-0.6b';

export interface LocalModelIndex {
  models: Array<{ id: string; url: string; dtypes: Record<string, number> }>;
}

/** The app's own model folders (`GET /models/index.json`); none when the app lists none. */
export async function fetchLocalModels(fetchImpl: typeof fetch = fetch, store: Pick<Storage, 'getItem' | 'setItem'> | null = globalThis.localStorage ?? null): Promise<CatalogueEntry[]> {
  const KEY = 'web-responses:local-models';
  let index: LocalModelIndex;
  try {
    const res = await fetchImpl('/models/index.json', { cache: 'no-store' });
    if (!res.ok) return [];
    index = (await res.json()) as LocalModelIndex;
    store?.setItem(KEY, JSON.stringify(index));
  } catch {
    // Offline: the list from the last visit (its cached models still load).
    try {
      index = JSON.parse(store?.getItem(KEY) ?? '{"models":[]}') as LocalModelIndex;
    } catch {
      return [];
    }
  }
  return (index.models ?? []).map((m) => {
    const dtypes = Object.keys(m.dtypes);
    const f32 = ['fp32', 'q4', 'q8', 'int8', 'uint8'].find((d) => dtypes.includes(d)) ?? dtypes[0] ?? 'fp32';
    const f16 = ['q4f16', 'fp16'].find((d) => dtypes.includes(d)) ?? f32;
    return {
      key: `local:${m.url}`,
      label: m.id,
      engine: 'transformers' as const,
      source: 'local' as const,
      model: m.url,
      sizes: m.dtypes,
      prefer: { f16, f32 },
      tools: true,
      note: `Served by this app at ${m.url}`,
    };
  });
}

/** Is the hub reachable from here (a short, cancellable request)? */
export async function hubReachable(fetchImpl: typeof fetch = fetch, timeoutMs = 4000): Promise<boolean> {
  try {
    const res = await fetchImpl('https://huggingface.co/api/models/onnx-community/Qwen3-0.6B-ONNX', {
      method: 'HEAD',
      signal: AbortSignal.timeout(timeoutMs),
    });
    return res.ok;
  } catch {
    return false;
  }
}

export interface LoadPlan {
  ok: boolean;
  /** Why not (when !ok), or a note on what was chosen. */
  reason: string;
  backend: Backend;
  dtype: string;
  /** Download size of that variant, when known. */
  bytes: number | null;
}

/** How this device would run the entry (backend, variant), or why it cannot. */
export function planLoad(entry: CatalogueEntry, device: DeviceReport, choice: BackendChoice = 'auto'): LoadPlan {
  const gpu = device.backend === 'webgpu';
  const backend: Backend = choice === 'auto' ? device.backend : choice;
  const size = (d: string) => entry.sizes[d] ?? null;
  if (backend === 'webgpu' && !gpu) {
    return { ok: false, reason: `WebGPU is not available here: ${device.reason}`, backend, dtype: entry.prefer.f32, bytes: size(entry.prefer.f32) };
  }
  if (entry.needsWebGPU && backend !== 'webgpu') {
    return { ok: false, reason: 'WebLLM models need WebGPU.', backend, dtype: entry.prefer.f32, bytes: size(entry.prefer.f32) };
  }
  const f16 = backend === 'webgpu' && device.shaderF16;
  if (entry.needsShaderF16 && !f16) {
    return { ok: false, reason: 'This build needs the WebGPU feature shader-f16, which this GPU does not have.', backend, dtype: entry.prefer.f16, bytes: size(entry.prefer.f16) };
  }
  // On WASM, f16 weights are upcast on the CPU: the smaller f16 file is fine only if f32 is missing.
  const dtype = f16 ? entry.prefer.f16 : entry.prefer.f32;
  return { ok: true, reason: `${dtype} on ${backend === 'webgpu' ? 'WebGPU' : 'WASM (CPU)'}`, backend, dtype, bytes: size(dtype) };
}

/** The entry to select first: the hub default when the hub answers, else the first local model. */
export function defaultEntry(entries: CatalogueEntry[], hubOk: boolean): CatalogueEntry | undefined {
  if (hubOk) return entries.find((e) => e.key === DEFAULT_REMOTE);
  return entries.find((e) => e.source === 'local');
}
