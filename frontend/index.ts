// The frontend: ONNX ModelProto bytes -> a typed, topologically sorted IR Graph.
//
// What it accepts, in one place:
// - default ONNX domain ('' or 'ai.onnx'), opsets MIN_OPSET..MAX_OPSET; nodes of any other domain and
//   ops outside ir/ops.ts OP_NAMES are UnsupportedError naming the node;
// - tensors in raw_data, the typed fields or external files (inside the model's folder only);
//   float16/bfloat16 widen to float32, int64 must stay within ±2^53;
// - attributes normalized to ir/ops.ts with ONNX defaults; an attribute tilec does not know for that
//   op and opset is an UnsupportedError (its meaning would otherwise be lost);
// - every value typed by ir/infer.ts; symbolic input dims come from `inputShapes` or default to 1
//   with a warning; a declared 0 extent is kept (an empty tensor, as ONNX defines it), with a warning.
// Every error is a TilecError (UnsupportedError for valid-but-unsupported input) whose message starts
// with the model path when one is given and names the node, tensor or input at fault.
export { DEFAULT_MAX_TENSOR_ELEMENTS, type ImportOptions, decodeTensorFile, importModel, loadModel } from './import.js';
export { MAX_OPSET, MIN_OPSET } from './opsets.js';
export { FOLD_LIMIT } from './typing.js';
