/**
 * A small HTTP server for the platform: `/healthz` (200 while the worker takes jobs, 503 once it is
 * closing or its connection is down) and `/metrics` (Prometheus text: jobs finished and running).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WorkerStats {
  running: boolean;
  activeJobs: number;
  completedJobs: number;
  failedJobs: number;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(port: number, stats: () => WorkerStats): Promise<HealthServer> {
  const server = createServer((request, response) => {
    const now = stats();
    if (request.method === 'GET' && request.url === '/healthz') {
      response
        .writeHead(now.running ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: now.running ? 'ok' : 'unavailable', ...now }));
    } else if (request.method === 'GET' && request.url === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsText(now));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function metricsText(stats: WorkerStats): string {
  return [
    '# HELP ddinit_worker_jobs_total Job attempts this worker process finished, by outcome.',
    '# TYPE ddinit_worker_jobs_total counter',
    `ddinit_worker_jobs_total{outcome="completed"} ${stats.completedJobs}`,
    `ddinit_worker_jobs_total{outcome="failed"} ${stats.failedJobs}`,
    '# HELP ddinit_worker_active_jobs Jobs running in this worker process.',
    '# TYPE ddinit_worker_active_jobs gauge',
    `ddinit_worker_active_jobs ${stats.activeJobs}`,
    '# HELP ddinit_worker_up 1 while the worker takes jobs.',
    '# TYPE ddinit_worker_up gauge',
    `ddinit_worker_up ${stats.running ? 1 : 0}`,
    '',
  ].join('\n');
}
