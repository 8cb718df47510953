/**
 * Load and chat errors, explained so a person can act on them: what happened, and what to do.
 */
import { formatBytes } from './format.ts';
import type { CachedModel } from './storage.ts';

export interface Explained {
  title: string;
  detail: string;
  /** 'error' blocks the action; 'info' is a notice. */
  level: 'error' | 'info';
}

export interface ErrorContext {
  /** The model that was being loaded (label). */
  model: string;
  online: boolean;
  cached: boolean;
  cachedModels: CachedModel[];
}

const GPU_MEMORY = /out of memory|\bOOM\b|Failed to allocate|allocation failed|buffer size|maxBufferSize|maxStorageBufferBindingSize|device (was )?lost|GPUDevice.*lost/i;
const NETWORK = /Failed to fetch|NetworkError|ERR_INTERNET_DISCONNECTED|ERR_NAME_NOT_RESOLVED|network|Load failed|could not be loaded|Unable to load from/i;

export function explainLoadError(err: unknown, ctx: ErrorContext): Explained {
  const e = err as { code?: string; message?: string } | null;
  const message = e?.message ?? String(err);
  if (e?.code === 'unsupported_device') {
    return { level: 'error', title: `${ctx.model} cannot run on this GPU`, detail: `${message} Try another model, or the WASM backend.` };
  }
  if (GPU_MEMORY.test(message)) {
    return {
      level: 'error',
      title: 'Not enough GPU memory',
      detail: `${ctx.model} did not fit in this GPU's memory (${message}). Try a smaller model, close other tabs that use the GPU, or switch to WASM.`,
    };
  }
  if (!ctx.cached && (!ctx.online || NETWORK.test(message))) {
    const cached = ctx.cachedModels.map((c) => `${c.model} (${formatBytes(c.bytes)})`).join(', ');
    return {
      level: 'error',
      title: ctx.online ? `Could not download ${ctx.model}` : `You are offline and ${ctx.model} is not cached`,
      detail:
        (ctx.online ? `The download failed (${message}). Check the connection and retry. ` : 'Connect to the internet to download it once. ') +
        (cached ? `Cached models you can use offline: ${cached}.` : 'No model is cached yet.'),
    };
  }
  return { level: 'error', title: `Could not load ${ctx.model}`, detail: message };
}

export function explainChatError(err: unknown): Explained {
  const e = err as { status?: number; code?: string; message?: string; error?: { code?: string } } | null;
  const code = e?.code ?? e?.error?.code;
  const message = e?.message ?? String(err);
  if (code === 'no_runtime_host') {
    return { level: 'error', title: 'No tab is running the model', detail: 'Load a model in this tab (Models), or keep the tab that runs it open.' };
  }
  if (code === 'model_not_found' || e?.status === 404) {
    return { level: 'error', title: 'The model is not loaded', detail: `${message} Pick a model and load it first.` };
  }
  if (GPU_MEMORY.test(message)) {
    return { level: 'error', title: 'The GPU ran out of memory', detail: `${message} Try a smaller model or a shorter conversation (New chat).` };
  }
  return { level: 'error', title: 'The answer failed', detail: message };
}
