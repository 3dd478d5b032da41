// The smallest model onnxruntime accepts: y = Identity(x), x and y float [1], opset 13. The
// worker creates a session of it in the global scope (ort.ts startRuntime) to start
// onnxruntime-web before any real model is at hand. Kept as bytes so the worker bundle needs
// no ONNX writer; test/worker-runtime-start.test.ts checks they are what the writer's schema
// encodes for that graph and that onnxruntime runs them.

export const RUNTIME_WARMUP_MODEL_BASE64 = 'CAc6NwoQCgF4EgF5IghJZGVudGl0eRIBd1oPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEA0=';

export function runtimeWarmupModel(): Uint8Array {
  return Uint8Array.from(atob(RUNTIME_WARMUP_MODEL_BASE64), (c) => c.charCodeAt(0));
}
