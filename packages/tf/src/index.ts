export { BACKEND_NAMES, type BackendInfo, type BackendName, isBackendName } from './backend-info.js';
export { backendUnavailable, backendUnknown } from './errors.js';
export { registerWasmKernels } from './kernels/register.js';
export { BACKEND_ENV, selectBackend } from './select-backend.js';
export { MAX_WASM_THREADS } from './threaded-wasm.js';
export { loadWasmBackend, type WasmOptions } from './wasm-backend.js';
