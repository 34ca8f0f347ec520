export { type AppDeps, buildApp } from './app.js';
export { type ApiConfig, ApiEnv, ConfigError, hashApiKey, loadConfig } from './config.js';
export { type ObjectAccess, S3ObjectAccess } from './object-access.js';
export { type RunningApi, startApi } from './server.js';
export { signWebhook } from './webhooks.js';
