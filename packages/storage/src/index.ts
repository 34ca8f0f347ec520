export * from './errors.js';
export * from './file-store.js';
export type * from './object-store.js';
