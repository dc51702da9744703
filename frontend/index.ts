// The frontend: ONNX bytes -> IR Graph.
export { DEFAULT_MAX_TENSOR_ELEMENTS, type ImportOptions, decodeTensorFile, importModel, loadModel } from './import.js';
export { MAX_OPSET, MIN_OPSET } from './opsets.js';
