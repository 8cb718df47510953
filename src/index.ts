/**
 * web-responses: the OpenAI Responses API served from a model that runs in the browser.
 */
export { createResponsesService } from './service/service.ts';
export type { ResponsesService, ResponsesServiceOptions, CreateOptions } from './service/service.ts';
export { scriptedEngine, pseudoTokenize } from './engines/scripted.ts';
export type { ScriptedEngineOptions, ScriptedOutput, ScriptedRequest } from './engines/scripted.ts';
export type {
  Engine,
  EngineChunk,
  EngineEvent,
  EngineFinish,
  FinishReason,
  GenerateRequest,
  ModelInfo,
  SamplingOptions,
} from './engines/types.ts';
export { ResponsesError } from './protocol/errors.ts';
export { parseCreateRequest } from './protocol/request.ts';
export type { CreateRequest } from './protocol/request.ts';
export { createOutputParser, detectToolFormat, detectReasoningFormat, registerToolFormat, toolFormatNames, getToolFormat } from './parsers/index.ts';
export type { DeltaSink, OutputDelta, OutputParser, ParserOptions, ToolCallParser, ToolFormatSpec } from './parsers/types.ts';
export { EventWriter } from './events/writer.ts';
export { encodeSseEvent, SSE_CONTENT_TYPE } from './events/sse.ts';
export { ChatTemplate, CHATML_TOOLS_TEMPLATE } from './prompt/chat.ts';
export type { ChatMessage } from './prompt/chat.ts';
export { transformersEngine } from './engines/transformers.ts';
export { probeDevice, chooseDtype } from './engines/device.ts';
export { webllmEngine } from './engines/webllm.ts';
export { createWorkerRuntime } from './browser/runtime.ts';
export type { WorkerRuntime, WorkerRuntimeOptions, PortResponse, PortFailure } from './browser/runtime.ts';
export type { EngineConfig, HostStatus } from './browser/host.ts';
export { hostRuntime, HOST_LOCK } from './browser/relay.ts';
export { registerResponsesWorker, whenControlled, localFetch } from './browser/client.ts';
export type { RegisterOptions, LocalFetchOptions } from './browser/client.ts';
export type { HostHandle, RelayTarget } from './browser/relay.ts';
