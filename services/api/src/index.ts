export { type AppDeps, buildApp } from './app.js';
export { type ApiConfig, ApiEnv, ConfigError, hashApiKey, loadConfig } from './config.js';
export { type RunningApi, startApi } from './server.js';
export { signWebhook } from './webhooks.js';
