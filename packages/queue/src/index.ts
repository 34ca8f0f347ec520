export * from './connection.js';
export * from './init-queue.js';
