export * from './errors.js';
export { type InitializeRequest, initialize, type Phase, type Progress, parseOptions } from './initialize.js';
export { AFFINE_CLASSES, assertSupportedTopology, isAffineClass, isSupportedClass } from './layer-rules.js';
