export * from './errors.js';
export * from './init-options.js';
export * from './job.js';
export * from './preprocessing.js';
export * from './report.js';
