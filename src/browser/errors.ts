/**
 * Errors keep their `code` across the worker boundary: comlink's own handler sends only name,
 * message and stack, and an error code (unsupported_device, model_load_failed, …) is what the page
 * acts on.
 */
import * as Comlink from 'comlink';

const base = Comlink.transferHandlers.get('throw')!;

Comlink.transferHandlers.set('throw', {
  canHandle: base.canHandle,
  serialize(value: unknown) {
    const [serialized, transfer] = base.serialize(value);
    const err = (value as { value?: unknown }).value;
    const s = serialized as { isError?: boolean; value?: Record<string, unknown> };
    if (s.isError && s.value && err && typeof (err as { code?: unknown }).code === 'string') {
      s.value.code = (err as { code: string }).code;
    }
    return [s, transfer];
  },
  deserialize: base.deserialize,
});
