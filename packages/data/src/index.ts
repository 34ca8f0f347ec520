export * from './errors.js';
export { type ImageGeometry, type InputSpec, imageGeometry } from './input-spec.js';
export { type NpyArray, parseNpy } from './npy.js';
export { Preprocessing, type PreprocessingInput, resolvePreprocessing } from './preprocessing.js';
export { type DataLimits, type ReadSampleOptions, readSample, type Sample } from './read-sample.js';
export { type Draw, drawSample, type SampleRequest } from './sampling.js';
