/**
 * The tenant's jobs, newest first, with live progress. The first page is polled every 1.5 s while a
 * job on it is queued or running (every 15 s otherwise, to notice new jobs); "More jobs" follows the
 * API's cursor and appends older pages.
 */
import type { JobResource, JobStatus } from '@ddinit/contracts';
import type { Api } from './api.js';
import { ErrorNote, MoreButton, ProgressBar, StatusBadge } from './components.js';
import { elapsed, isActive, relativeTime, shortUri } from './format.js';
import { useNow, useOlderPages, usePolled } from './poll.js';
import { href, JOB_STATUSES } from './route.js';

const ACTIVE_POLL_MS = 1_500;
const IDLE_POLL_MS = 15_000;

export function JobsView({ api, status }: { api: Api; status: JobStatus | undefined }) {
  const first = usePolled(
    () => api.listJobs(status ? { status } : {}),
    [api, status],
    (list) => (list.items.some((job) => isActive(job.status)) ? ACTIVE_POLL_MS : IDLE_POLL_MS),
  );
  const pages = useOlderPages(
    first.value,
    (cursor) => api.listJobs({ ...(status ? { status } : {}), cursor }),
    [status],
  );
  const jobs = pages.items;
  const now = useNow();

  return (
    <section aria-labelledby="jobs-title">
      <div class="view-head">
        <h1 id="jobs-title">Jobs</h1>
        <label class="inline">
          Status
          <select
            value={status ?? ''}
            onChange={(event) => {
              const value = event.currentTarget.value as JobStatus | '';
              location.hash = href(value ? { view: 'jobs', status: value } : { view: 'jobs' });
            }}
          >
            <option value="">all</option>
            {JOB_STATUSES.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        </label>
        <a class="button primary" href={href({ view: 'submit' })}>
          Submit a job
        </a>
      </div>
      <ErrorNote error={first.error} />
      {first.value && jobs.length === 0 && <p class="empty">No jobs{status ? ` ${status}` : ''} yet.</p>}
      {jobs.length > 0 && (
        <table class="jobs">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Created</th>
              <th scope="col">Ran</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <JobRow key={job.id} job={job} now={now} />
            ))}
          </tbody>
        </table>
      )}
      <MoreButton pages={pages} label="More jobs" />
    </section>
  );
}

function JobRow({ job, now }: { job: JobResource; now: number }) {
  const labels = Object.entries(job.spec.labels ?? {});
  return (
    <tr data-job={job.id} data-status={job.status}>
      <td data-label="Job">
        <a href={href({ view: 'job', id: job.id })}>
          <code>{job.id}</code>
        </a>
        <div class="muted small" title={job.spec.model.uri}>
          {shortUri(job.spec.model.uri)}
          {labels.map(([key, value]) => (
            <span key={key} class="tag">
              {key}={value}
            </span>
          ))}
        </div>
      </td>
      <td data-label="Status">
        <StatusBadge status={job.status} />
        {job.cancelRequestedAt && job.status === 'running' && <div class="muted small">cancelling…</div>}
        {job.error && job.status === 'failed' && (
          <div class="error small" title={job.error.message}>
            {job.error.code}
          </div>
        )}
      </td>
      <td data-label="Progress">
        <ProgressBar progress={job.progress} status={job.status} label={`Progress of ${job.id}`} />
      </td>
      <td data-label="Created">
        <time dateTime={job.createdAt} title={job.createdAt}>
          {relativeTime(job.createdAt, now)}
        </time>
      </td>
      <td data-label="Ran">{elapsed(job.startedAt, job.finishedAt, now) ?? '—'}</td>
    </tr>
  );
}
