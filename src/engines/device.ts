/**
 * Device probing for in-browser engines: is there a usable WebGPU adapter, does it support
 * `shader-f16`, how big may buffers be — and which model variant (dtype) fits it.
 *
 * Structural types only (no dependency on `@webgpu/types`), so the probe can be unit-tested with fakes.
 */

/** The subset of `GPUAdapterInfo` we report. */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

/** The subset of `GPUAdapter` the probe reads. */
export interface GpuAdapterLike {
  features?: { has(name: string): boolean };
  limits?: { maxStorageBufferBindingSize?: number; maxBufferSize?: number };
  /** Chrome 114+/spec: a property. */
  info?: AdapterInfoLike;
  /** Older Chrome: a method. */
  requestAdapterInfo?: () => Promise<AdapterInfoLike>;
  isFallbackAdapter?: boolean;
}

/** The subset of `navigator.gpu` the probe uses. */
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<GpuAdapterLike | null>;
}

export interface DeviceReport {
  backend: 'webgpu' | 'wasm';
  /** Why this backend was chosen, for humans (logs, UI). */
  reason: string;
  adapter?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  shaderF16: boolean;
  limits: { maxStorageBufferBindingSize?: number; maxBufferSize?: number };
}

export type DtypeName = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'bnb4' | 'q4f16' | (string & {});

function pickInfo(info: AdapterInfoLike | undefined): DeviceReport['adapter'] {
  const out: NonNullable<DeviceReport['adapter']> = {};
  if (!info) return out;
  for (const key of ['vendor', 'architecture', 'device', 'description'] as const) {
    const v = info[key];
    if (typeof v === 'string' && v !== '') out[key] = v;
  }
  return out;
}

function defaultGpu(): GpuLike | undefined {
  const nav = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator;
  return nav?.gpu;
}

/**
 * Probes WebGPU. Never throws: without `navigator.gpu`, without an adapter, or when `requestAdapter`
 * fails, the report says `backend: 'wasm'` with the reason.
 */
export async function probeDevice(gpu: GpuLike | undefined | null = defaultGpu()): Promise<DeviceReport> {
  const wasm = (reason: string): DeviceReport => ({ backend: 'wasm', reason, shaderF16: false, limits: {} });
  if (!gpu || typeof gpu.requestAdapter !== 'function') {
    return wasm('WebGPU is not available in this browser (no navigator.gpu; it also needs a secure context such as https or localhost); using WASM on the CPU.');
  }
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return wasm(`WebGPU requestAdapter() failed (${(err as Error)?.message ?? String(err)}); using WASM on the CPU.`);
  }
  if (!adapter) {
    return wasm('WebGPU is present but no GPU adapter is available (blocklisted GPU or driver, or WebGPU disabled); using WASM on the CPU.');
  }
  let info: AdapterInfoLike | undefined = adapter.info;
  if (!info && typeof adapter.requestAdapterInfo === 'function') {
    try {
      info = await adapter.requestAdapterInfo();
    } catch {
      info = undefined;
    }
  }
  const shaderF16 = Boolean(adapter.features?.has('shader-f16'));
  const limits: DeviceReport['limits'] = {};
  const l = adapter.limits;
  if (l && typeof l.maxStorageBufferBindingSize === 'number') limits.maxStorageBufferBindingSize = l.maxStorageBufferBindingSize;
  if (l && typeof l.maxBufferSize === 'number') limits.maxBufferSize = l.maxBufferSize;
  const adapterInfo = pickInfo(info);
  if (adapter.isFallbackAdapter !== undefined) adapterInfo!.isFallbackAdapter = adapter.isFallbackAdapter;
  const name = [adapterInfo?.vendor, adapterInfo?.architecture].filter(Boolean).join(' ') || 'unknown GPU';
  return {
    backend: 'webgpu',
    reason: `WebGPU adapter found (${name}${shaderF16 ? ', shader-f16' : ', no shader-f16'}).`,
    adapter: adapterInfo,
    shaderF16,
    limits,
  };
}

/** dtypes whose kernels need `shader-f16` on WebGPU. */
const NEEDS_F16 = new Set(['fp16', 'q4f16']);
/** Fallbacks for an f16 variant on a device without f16, best first. */
const F16_FALLBACKS: Record<string, string[]> = {
  q4f16: ['q4', 'q8', 'int8', 'uint8', 'bnb4', 'fp32'],
  fp16: ['fp32', 'q8', 'int8', 'uint8', 'q4', 'bnb4'],
};

export function needsShaderF16(dtype: string): boolean {
  return NEEDS_F16.has(dtype);
}

/**
 * Picks the dtype to load. On WebGPU without `shader-f16`, an f16 variant (fp16, q4f16) falls back to
 * a variant the model has (`available`) that runs in f32 (q4, q8, fp32, …). Throws an Error with
 * `code: 'unsupported_device'` when there is none. On WASM f16 weights are fine (upcast on the CPU).
 */
export function chooseDtype(preferred: DtypeName, report: DeviceReport, available: readonly string[]): DtypeName {
  const has = (d: string) => available.length === 0 || available.includes(d);
  const usable = (d: string) => !(report.backend === 'webgpu' && !report.shaderF16 && needsShaderF16(d));
  if (usable(preferred) && has(preferred)) return preferred;
  if (!usable(preferred)) {
    for (const alt of F16_FALLBACKS[preferred] ?? []) if (available.includes(alt)) return alt;
    const err = new Error(
      `The model variant "${preferred}" needs the WebGPU feature "shader-f16", which this GPU` +
        `${report.adapter?.vendor ? ` (${report.adapter.vendor})` : ''} does not support, and the model has no ` +
        `fp32/q4/q8 variant to fall back to (available: ${available.join(', ') || 'none'}). Use a model with an ` +
        `fp32, q4 or q8 variant, or run on WASM.`,
    ) as Error & { code: string };
    err.code = 'unsupported_device';
    throw err;
  }
  const err = new Error(
    `The model has no "${preferred}" variant (available: ${available.join(', ')}).`,
  ) as Error & { code: string };
  err.code = 'model_variant_missing';
  throw err;
}
