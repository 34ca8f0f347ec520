/**
 * Batches: the tenant's batches, newest first ("More batches" follows the API's cursor), one opened by
 * id, and a new one from a JSON list of specs. A batch shows its jobs per status, polled while any is
 * active.
 */
import type { BatchSpecInput, JobStatus } from '@ddinit/contracts';
import { useState } from 'preact/hooks';
import type { Api, ApiError } from './api.js';
import { ErrorNote, Field, MoreButton, Section, StatusBadge } from './components.js';
import { relativeTime } from './format.js';
import { toApiError, useNow, useOlderPages, usePolled } from './poll.js';
import { href, JOB_STATUSES } from './route.js';
import { parseBatchText } from './spec-form.js';
import { OtherErrors } from './submit-view.js';

/** The list changes only when batches are created, here or elsewhere. */
const LIST_POLL_MS = 30_000;

const EXAMPLE = JSON.stringify(
  [1, 2].map((seed) => ({
    model: { uri: 's3://bucket/model/model.json' },
    dataset: { uri: 's3://bucket/images/' },
    output: { uri: `s3://bucket/runs/seed-${seed}/` },
    init: { seed },
  })),
  null,
  2,
);

export function BatchesView({ api }: { api: Api }) {
  const [text, setText] = useState(EXAMPLE);
  const [parseError, setParseError] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const [openId, setOpenId] = useState('');
  const first = usePolled(
    () => api.batches(),
    [api],
    () => LIST_POLL_MS,
  );
  const pages = useOlderPages(first.value, (cursor) => api.batches(cursor), [api]);
  const now = useNow(10_000);

  async function create(event: Event) {
    event.preventDefault();
    let spec: BatchSpecInput;
    try {
      spec = parseBatchText(text);
      setParseError(undefined);
    } catch (caught) {
      setParseError(`not valid JSON: ${(caught as Error).message}`);
      return;
    }
    try {
      const batch = await api.createBatch(spec);
      location.hash = href({ view: 'batch', id: batch.id });
    } catch (caught) {
      setError(toApiError(caught));
    }
  }

  return (
    <section aria-labelledby="batches-title">
      <h1 id="batches-title">Batches</h1>
      <form
        class="card inline-form"
        aria-label="Open a batch"
        onSubmit={(event) => {
          event.preventDefault();
          if (openId.trim()) location.hash = href({ view: 'batch', id: openId.trim() });
        }}
      >
        <Field name="batch-id" label="Batch id">
          {(props) => (
            <input
              {...props}
              value={openId}
              placeholder="b_…"
              onInput={(event) => setOpenId(event.currentTarget.value)}
            />
          )}
        </Field>
        <button type="submit">Open</button>
      </form>
      <Section title="Your batches">
        <ErrorNote error={first.error} />
        {first.value && pages.items.length === 0 && <p class="empty">No batches yet.</p>}
        {pages.items.length > 0 && (
          <ul class="plain">
            {pages.items.map((batch) => (
              <li key={batch.id}>
                <a href={href({ view: 'batch', id: batch.id })}>
                  <code>{batch.id}</code>
                </a>{' '}
                <span class="muted">
                  {batch.total} {batch.total === 1 ? 'job' : 'jobs'}, created{' '}
                  <time dateTime={batch.createdAt} title={batch.createdAt}>
                    {relativeTime(batch.createdAt, now)}
                  </time>
                </span>
              </li>
            ))}
          </ul>
        )}
        <MoreButton pages={pages} label="More batches" />
      </Section>
      <form class="card" onSubmit={create} noValidate aria-label="Create a batch">
        <h2>New batch</h2>
        <Field
          name="batch-specs"
          label="Job specs (JSON array, up to 500)"
          {...(parseError ? { error: parseError } : {})}
          hint="Every spec is checked before any job is created; one bad spec refuses the batch."
        >
          {(props) => (
            <textarea
              {...props}
              rows={14}
              spellcheck={false}
              value={text}
              onInput={(event) => setText(event.currentTarget.value)}
            />
          )}
        </Field>
        <OtherErrors errors={error?.errors ?? []} />
        {error && error.errors.length === 0 && <ErrorNote error={error} />}
        <button type="submit" class="primary">
          Create batch
        </button>
      </form>
    </section>
  );
}

export function BatchDetail({ api, id }: { api: Api; id: string }) {
  const batch = usePolled(
    () => api.batch(id),
    [api, id],
    (view) => (view.counts.queued + view.counts.running > 0 ? 2_000 : undefined),
  );
  const now = useNow(10_000);
  const view = batch.value;
  return (
    <section aria-labelledby="batch-title">
      <h1 id="batch-title">
        Batch <code>{id}</code>
      </h1>
      <ErrorNote error={batch.error} />
      {view && (
        <>
          <Section title={`${view.total} jobs`}>
            <p class="muted">Created {relativeTime(view.createdAt, now)}</p>
            <div class="stack" role="img" aria-label={summary(view.counts)}>
              {JOB_STATUSES.filter((status) => view.counts[status] > 0).map((status) => (
                <span key={status} class={`badge-${status}`} style={{ flexGrow: view.counts[status] }} />
              ))}
            </div>
            <ul class="plain counts">
              {JOB_STATUSES.map((status) => (
                <li key={status}>
                  <StatusBadge status={status} /> {view.counts[status]}
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Jobs">
            <ul class="plain columns">
              {view.jobIds.map((jobId) => (
                <li key={jobId}>
                  <a href={href({ view: 'job', id: jobId })}>
                    <code>{jobId}</code>
                  </a>
                </li>
              ))}
            </ul>
          </Section>
        </>
      )}
    </section>
  );
}

function summary(counts: Record<JobStatus, number>): string {
  return JOB_STATUSES.map((status) => `${counts[status]} ${status}`).join(', ');
}
