// `@panda/runtime/onnx`: generated ONNX inference graphs on onnxruntime-node (optional).
export { OnnxGraph } from './graphBuilder.js';
export type { OnnxAttr, OnnxDim, OnnxDtype } from './graphBuilder.js';
export { OnnxSession, defaultOnnxThreads, loadOnnxRuntime } from './session.js';
export type { OnnxTensorData } from './session.js';
export { cachedModel, onnxCacheDir } from './modelCache.js';
export { GeneratedSessions } from './generatedSessions.js';
