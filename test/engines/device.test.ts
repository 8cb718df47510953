import { describe, expect, it } from 'vitest';
import { chooseDtype, probeDevice, type DeviceReport, type GpuAdapterLike, type GpuLike } from '../../src/engines/device.ts';

function fakeGpu(adapter: GpuAdapterLike | null | (() => never)): GpuLike {
  return {
    requestAdapter: async () => (typeof adapter === 'function' ? adapter() : adapter),
  };
}

const features = (...names: string[]) => new Set(names);

describe('probeDevice', () => {
  it('reports WASM with a reason when there is no navigator.gpu', async () => {
    const r = await probeDevice(undefined);
    expect(r.backend).toBe('wasm');
    expect(r.reason).toMatch(/navigator\.gpu/);
    expect(r.shaderF16).toBe(false);
  });

  it('uses globalThis.navigator.gpu by default (absent in Node)', async () => {
    const r = await probeDevice();
    expect(r.backend).toBe('wasm');
  });

  it('reports WASM when no adapter is available', async () => {
    const r = await probeDevice(fakeGpu(null));
    expect(r.backend).toBe('wasm');
    expect(r.reason).toMatch(/no GPU adapter/);
  });

  it('reports WASM when requestAdapter throws', async () => {
    const r = await probeDevice(
      fakeGpu(() => {
        throw new Error('GPU process crashed');
      }),
    );
    expect(r.backend).toBe('wasm');
    expect(r.reason).toMatch(/GPU process crashed/);
  });

  it('reads features, limits and adapter info (property)', async () => {
    const r = await probeDevice(
      fakeGpu({
        features: features('shader-f16', 'timestamp-query'),
        limits: { maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 2 ** 31 },
        info: { vendor: 'nvidia', architecture: 'ampere', device: '', description: '' },
      }),
    );
    expect(r).toEqual({
      backend: 'webgpu',
      reason: expect.stringMatching(/nvidia ampere, shader-f16/),
      adapter: { vendor: 'nvidia', architecture: 'ampere' },
      shaderF16: true,
      limits: { maxStorageBufferBindingSize: 1 << 30, maxBufferSize: 2 ** 31 },
    });
  });

  it('reads adapter info via requestAdapterInfo() and reports missing shader-f16 (SwiftShader)', async () => {
    const r = await probeDevice(
      fakeGpu({
        features: features(),
        limits: { maxStorageBufferBindingSize: 134217728, maxBufferSize: 268435456 },
        requestAdapterInfo: async () => ({ vendor: 'google', architecture: 'swiftshader' }),
        isFallbackAdapter: true,
      }),
    );
    expect(r.backend).toBe('webgpu');
    expect(r.shaderF16).toBe(false);
    expect(r.adapter).toEqual({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true });
    expect(r.limits.maxBufferSize).toBe(268435456);
  });

  it('tolerates an adapter without features/limits/info', async () => {
    const r = await probeDevice(fakeGpu({}));
    expect(r).toMatchObject({ backend: 'webgpu', shaderF16: false, limits: {}, adapter: {} });
  });
});

describe('chooseDtype', () => {
  const gpuF16: DeviceReport = { backend: 'webgpu', reason: '', shaderF16: true, limits: {} };
  const gpuNoF16: DeviceReport = { backend: 'webgpu', reason: '', shaderF16: false, limits: {}, adapter: { vendor: 'google' } };
  const wasm: DeviceReport = { backend: 'wasm', reason: '', shaderF16: false, limits: {} };

  it('keeps the preferred variant when the device supports it', () => {
    expect(chooseDtype('q4f16', gpuF16, ['q4f16', 'q4'])).toBe('q4f16');
    expect(chooseDtype('fp16', gpuF16, ['fp16'])).toBe('fp16');
    expect(chooseDtype('q4', gpuNoF16, ['q4', 'q4f16'])).toBe('q4');
    expect(chooseDtype('fp16', wasm, ['fp16'])).toBe('fp16');
  });

  it('falls back from an f16 variant to one the model has on a GPU without shader-f16', () => {
    expect(chooseDtype('q4f16', gpuNoF16, ['q4f16', 'q4', 'fp32'])).toBe('q4');
    expect(chooseDtype('q4f16', gpuNoF16, ['q4f16', 'q8'])).toBe('q8');
    expect(chooseDtype('fp16', gpuNoF16, ['fp16', 'q4', 'fp32'])).toBe('fp32');
    expect(chooseDtype('fp16', gpuNoF16, ['fp16', 'q4'])).toBe('q4');
  });

  it('throws unsupported_device when there is no variant to fall back to', () => {
    let err: (Error & { code?: string }) | undefined;
    try {
      chooseDtype('q4f16', gpuNoF16, ['q4f16', 'fp16']);
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('unsupported_device');
    expect(err?.message).toMatch(/shader-f16/);
    expect(err?.message).toMatch(/q4f16, fp16/);
  });

  it('throws model_variant_missing for a variant the model does not have', () => {
    expect(() => chooseDtype('q8', gpuF16, ['q4'])).toThrow(expect.objectContaining({ code: 'model_variant_missing' }));
  });
});
