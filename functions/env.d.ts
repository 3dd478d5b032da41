// Module declarations for the non-JS imports wrangler bundles (see wrangler.toml [[rules]]).

declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

declare module '*.onnx' {
  const bytes: ArrayBuffer;
  export default bytes;
}

declare module '*/manifest.json' {
  const text: string;
  export default text;
}
