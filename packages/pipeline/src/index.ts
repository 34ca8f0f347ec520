export * from './errors.js';
export {
  type InitJob,
  type InitJobResult,
  type JobPhase,
  type JobProgress,
  REPORT_HTML_FILE,
  runInitJob,
} from './run-init-job.js';
export { seedInitializers } from './seed-initializers.js';
