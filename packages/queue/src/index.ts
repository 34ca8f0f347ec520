export * from './connection.js';
export * from './init-queue.js';
export * from './job-store.js';
export * from './job-view.js';
export * from './lua-script.js';
export * from './prefix-keys.js';
export * from './retention-sweeper.js';
