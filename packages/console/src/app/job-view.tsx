/**
 * One job: status and live progress (polled every second while active), cancel and retry, where it
 * came from, its spec, result files with download links, the worker's log and the report page.
 */
import type { JobDownload, JobResource } from '@ddinit/contracts';
import { useEffect, useState } from 'preact/hooks';
import type { Api, ApiError } from './api.js';
import { ConfirmButton, ErrorNote, ProgressBar, Section, StatusBadge } from './components.js';
import { bytes, elapsed, isActive, relativeTime } from './format.js';
import { toApiError, useNow, usePolled } from './poll.js';
import { ReportFrame } from './report-frame.js';
import { href } from './route.js';

const ACTIVE_POLL_MS = 1_000;

export function JobView({ api, id }: { api: Api; id: string }) {
  const job = usePolled(
    () => api.job(id),
    [api, id],
    (view) => (isActive(view.status) ? ACTIVE_POLL_MS : undefined),
  );
  const [actionError, setActionError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const now = useNow();
  const view = job.value;

  async function act(action: () => Promise<JobResource>, follow: boolean) {
    setBusy(true);
    try {
      const result = await action();
      setActionError(undefined);
      if (follow) location.hash = href({ view: 'job', id: result.id });
      else job.reload();
    } catch (error) {
      setActionError(toApiError(error));
    } finally {
      setBusy(false);
    }
  }

  if (!view) {
    return (
      <section>
        <h1>
          Job <code>{id}</code>
        </h1>
        {job.error ? <ErrorNote error={job.error} /> : <p class="muted">Loading…</p>}
      </section>
    );
  }
  const cancellable = isActive(view.status) && !view.cancelRequestedAt;
  const retriable = view.status === 'failed' || view.status === 'cancelled';
  return (
    <section aria-labelledby="job-title">
      <div class="view-head">
        <h1 id="job-title">
          Job <code>{view.id}</code>
        </h1>
        <StatusBadge status={view.status} />
        <div class="actions">
          {cancellable && (
            <ConfirmButton
              label="Cancel job"
              confirmLabel="Yes, cancel it"
              keepLabel="Keep it"
              disabled={busy}
              onConfirm={() => act(() => api.cancel(view.id), false)}
            />
          )}
          {retriable && (
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={() => act(() => api.retry(view.id), true)}
            >
              Retry
            </button>
          )}
        </div>
      </div>
      <ErrorNote error={actionError} />
      <ErrorNote error={job.error} />
      <Section title="Progress">
        <ProgressBar progress={view.progress} status={view.status} label="Job progress" />
        <dl class="facts">
          <dt>Created</dt>
          <dd>
            <time dateTime={view.createdAt}>{relativeTime(view.createdAt, now)}</time>
          </dd>
          <dt>Started</dt>
          <dd>
            {view.startedAt ? (
              <time dateTime={view.startedAt}>{relativeTime(view.startedAt, now)}</time>
            ) : (
              '—'
            )}
          </dd>
          <dt>Ran</dt>
          <dd>{elapsed(view.startedAt, view.finishedAt, now) ?? '—'}</dd>
          <dt>Attempts</dt>
          <dd>{view.attempts}</dd>
          {view.cancelRequestedAt && (
            <>
              <dt>Cancel requested</dt>
              <dd>
                <time dateTime={view.cancelRequestedAt}>{relativeTime(view.cancelRequestedAt, now)}</time>
              </dd>
            </>
          )}
          {view.batchId && (
            <>
              <dt>Batch</dt>
              <dd>
                <a href={href({ view: 'batch', id: view.batchId })}>{view.batchId}</a>
              </dd>
            </>
          )}
          {view.scheduleId && (
            <>
              <dt>Schedule</dt>
              <dd>
                <a href={href({ view: 'schedule', id: view.scheduleId })}>{view.scheduleId}</a>
              </dd>
            </>
          )}
          {view.retryOf && (
            <>
              <dt>Retry of</dt>
              <dd>
                <a href={href({ view: 'job', id: view.retryOf })}>{view.retryOf}</a>
              </dd>
            </>
          )}
        </dl>
        {view.error && (
          <p class="error" role="alert">
            <code>{view.error.code}</code> {view.error.message}
          </p>
        )}
      </Section>
      {view.result && <ResultSection api={api} job={view} />}
      {view.status === 'succeeded' && <ReportFrame api={api} id={view.id} />}
      <Section title="Spec">
        <dl class="facts">
          <dt>Model</dt>
          <dd class="uri">{view.spec.model.uri}</dd>
          <dt>Dataset</dt>
          <dd class="uri">
            {view.spec.dataset.uri} · {view.spec.dataset.sample} images, {view.spec.dataset.heldOut} held out
          </dd>
          <dt>Output</dt>
          <dd class="uri">{view.spec.output.uri}</dd>
          <dt>Priority</dt>
          <dd>{view.spec.priority}</dd>
        </dl>
        <details>
          <summary>Spec as JSON</summary>
          <pre>{JSON.stringify(view.spec, null, 2)}</pre>
        </details>
      </Section>
      <LogSection api={api} id={view.id} status={view.status} />
    </section>
  );
}

function ResultSection({ api, job }: { api: Api; job: JobResource }) {
  const [links, setLinks] = useState<JobDownload>();
  const [error, setError] = useState<ApiError>();
  const result = job.result;
  if (!result) return null;
  const signable = result.files.some((file) => file.uri.startsWith('s3://'));
  async function sign() {
    try {
      setLinks(await api.download(job.id));
      setError(undefined);
    } catch (caught) {
      setError(toApiError(caught));
    }
  }
  const urlOf = (uri: string) => links?.files.find((file) => file.uri === uri)?.url;
  return (
    <Section
      title="Result"
      actions={
        signable && (
          <button type="button" onClick={sign}>
            {links ? 'Sign links again' : 'Get download links'}
          </button>
        )
      }
    >
      <p class="uri">
        Checkpoint: <code>{result.checkpoint}</code>
      </p>
      <ErrorNote error={error} />
      <table class="files">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Size</th>
            <th scope="col">SHA-256</th>
          </tr>
        </thead>
        <tbody>
          {result.files.map((file) => {
            const url = urlOf(file.uri);
            return (
              <tr key={file.uri}>
                <td data-label="File" class="uri">
                  {url ? (
                    <a href={url} download rel="noopener">
                      {file.uri}
                    </a>
                  ) : (
                    file.uri
                  )}
                </td>
                <td data-label="Size">{bytes(file.bytes)}</td>
                <td data-label="SHA-256">
                  <code title={file.sha256}>{file.sha256.slice(0, 12)}…</code>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {links && <p class="muted small">Links expire {relativeTime(links.expiresAt, Date.now())}.</p>}
      {!signable && (
        <p class="muted small">Only s3:// files get download links; these are on the server's disk.</p>
      )}
    </Section>
  );
}

function LogSection({ api, id, status }: { api: Api; id: string; status: JobResource['status'] }) {
  const [open, setOpen] = useState(false);
  const [lines, setLines] = useState<string[]>();
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    if (!open) return;
    api.logs(id).then(
      (logs) => setLines(logs.lines),
      (caught: unknown) => setError(toApiError(caught)),
    );
  }, [api, id, open, status]);
  return (
    <details class="card" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary>Worker log</summary>
      <ErrorNote error={error} />
      {lines &&
        (lines.length === 0 ? <p class="muted">No lines yet.</p> : <pre class="log">{lines.join('\n')}</pre>)}
    </details>
  );
}
