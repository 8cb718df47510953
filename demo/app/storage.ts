/**
 * Storage for downloaded models: a quota check before a download, persistence, and the models that
 * are cached (transformers.js keeps files in Cache Storage `transformers-cache`, WebLLM in `webllm/*`)
 * with their sizes, so the page can list and delete them.
 */

export const MODEL_CACHES = ['transformers-cache', 'webllm/model', 'webllm/config', 'webllm/wasm'];

export interface StorageCheck {
  ok: boolean;
  /** Bytes the origin may still use (quota − usage), when the browser says. */
  free: number | null;
  quota: number | null;
  usage: number | null;
  /** Whether the browser granted persistent storage (not evicted under pressure). */
  persisted: boolean;
  message: string;
}

type StorageLike = Pick<StorageManager, 'estimate'> & Partial<Pick<StorageManager, 'persist' | 'persisted'>>;

/** Checks there is room for `bytes` more (with 10% headroom) and asks for persistent storage. */
export async function checkStorage(bytes: number, storage: StorageLike | undefined = navigator.storage, fmt = (n: number) => `${n} B`): Promise<StorageCheck> {
  if (!storage?.estimate) {
    return { ok: true, free: null, quota: null, usage: null, persisted: false, message: 'This browser does not report its storage quota.' };
  }
  const { quota = 0, usage = 0 } = await storage.estimate();
  const free = Math.max(0, quota - usage);
  let persisted = false;
  try {
    persisted = (await storage.persisted?.()) || (await storage.persist?.()) || false;
  } catch {
    persisted = false;
  }
  const need = Math.ceil(bytes * 1.1);
  if (quota > 0 && need > free) {
    return {
      ok: false,
      free,
      quota,
      usage,
      persisted,
      message:
        `Not enough storage for this model: it needs about ${fmt(need)}, and this site may use ${fmt(free)} more ` +
        `(quota ${fmt(quota)}, used ${fmt(usage)}). Delete cached models below, free disk space, or pick a smaller model.`,
    };
  }
  return { ok: true, free, quota, usage, persisted, message: `${fmt(free)} free for this site${persisted ? ' (persistent)' : ''}.` };
}

export interface CachedModel {
  /** The model as the picker knows it: a hub id (`org/name`) or a served folder path (`/models/x`). */
  model: string;
  bytes: number;
  files: number;
}

/** Which model a cached URL belongs to. */
export function modelOfUrl(url: string): string {
  const u = new URL(url, 'http://localhost');
  const hub = /^\/([^/]+\/[^/]+)\/resolve\//.exec(u.pathname);
  if (hub) return hub[1];
  const onnx = u.pathname.indexOf('/onnx/');
  if (onnx > 0) return u.pathname.slice(0, onnx);
  return u.pathname.slice(0, u.pathname.lastIndexOf('/')) || u.pathname;
}

async function sizeOf(res: Response): Promise<number> {
  const header = Number(res.headers.get('content-length'));
  if (Number.isFinite(header) && header > 0) return header;
  return (await res.blob()).size;
}

/** The models in Cache Storage, with their total size. */
export async function listCachedModels(cacheStorage: CacheStorage = caches): Promise<CachedModel[]> {
  const byModel = new Map<string, CachedModel>();
  for (const name of MODEL_CACHES) {
    if (!(await cacheStorage.has(name))) continue;
    const cache = await cacheStorage.open(name);
    for (const req of await cache.keys()) {
      const res = await cache.match(req);
      if (!res) continue;
      const model = modelOfUrl(req.url);
      const entry = byModel.get(model) ?? { model, bytes: 0, files: 0 };
      entry.bytes += await sizeOf(res);
      entry.files++;
      byModel.set(model, entry);
    }
  }
  return [...byModel.values()].sort((a, b) => b.bytes - a.bytes);
}

/** Deletes every cached file of `model`; returns how many were deleted. */
export async function deleteCachedModel(model: string, cacheStorage: CacheStorage = caches): Promise<number> {
  let deleted = 0;
  for (const name of MODEL_CACHES) {
    if (!(await cacheStorage.has(name))) continue;
    const cache = await cacheStorage.open(name);
    for (const req of await cache.keys()) {
      if (modelOfUrl(req.url) === model && (await cache.delete(req))) deleted++;
    }
  }
  return deleted;
}

/** Does `entryModel` (hub id, folder URL or WebLLM id) have files in the cache? */
export function isCached(entryModel: string, cached: CachedModel[]): boolean {
  const path = entryModel.startsWith('/') || entryModel.includes('://') ? new URL(entryModel, 'http://localhost').pathname : entryModel;
  // A WebLLM id (`Qwen3-0.6B-q4f16_1-MLC`) is the last part of its hub repository (`mlc-ai/…`).
  return cached.some((c) => c.model === path || c.model.endsWith(`/${path}`));
}
