/** Schedules: the list with the next firing, a form to create one (cron and time zone, or an interval), and one schedule with its recent jobs. */
import type { ScheduleView as Schedule, ScheduleSpecInput } from '@ddinit/contracts';
import { useState } from 'preact/hooks';
import type { Api, ApiError } from './api.js';
import { ConfirmButton, ErrorNote, Field, Section, StatusBadge } from './components.js';
import { every, relativeTime } from './format.js';
import { toApiError, useNow, usePolled } from './poll.js';
import { href } from './route.js';
import { SpecFields } from './spec-fields.js';
import { errorsByField, type SpecValues, specFromValues } from './spec-form.js';
import { OtherErrors } from './submit-view.js';

const SCHEDULE_FIELDS = ['name', 'cron', 'tz', 'every'] as const;

function when(schedule: Schedule): string {
  if (schedule.cron) return `${schedule.cron} (${schedule.tz ?? 'UTC'})`;
  return schedule.every ? every(schedule.every) : '—';
}

export function SchedulesView({ api }: { api: Api }) {
  const list = usePolled(
    () => api.schedules(),
    [api],
    () => 30_000,
  );
  const now = useNow(10_000);
  const [actionError, setActionError] = useState<ApiError>();

  async function remove(id: string) {
    try {
      await api.deleteSchedule(id);
      setActionError(undefined);
      list.reload();
    } catch (error) {
      setActionError(toApiError(error));
    }
  }

  const items = list.value?.items ?? [];
  return (
    <section aria-labelledby="schedules-title">
      <h1 id="schedules-title">Schedules</h1>
      <ErrorNote error={list.error} />
      <ErrorNote error={actionError} />
      {list.value && items.length === 0 && <p class="empty">No schedules yet.</p>}
      {items.length > 0 && (
        <table class="schedules">
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">When</th>
              <th scope="col">Next run</th>
              <th scope="col">Jobs per run</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((schedule) => (
              <tr key={schedule.id} data-schedule={schedule.id}>
                <td data-label="Schedule">
                  <a href={href({ view: 'schedule', id: schedule.id })}>{schedule.name ?? schedule.id}</a>
                </td>
                <td data-label="When">
                  <code>{when(schedule)}</code>
                </td>
                <td data-label="Next run">
                  {schedule.nextRunAt ? relativeTime(schedule.nextRunAt, now) : '—'}
                </td>
                <td data-label="Jobs per run">{schedule.templates.length}</td>
                <td>
                  <ConfirmButton
                    label="Delete"
                    name={`Delete ${schedule.name ?? schedule.id}`}
                    confirmLabel="Yes, delete"
                    keepLabel="Keep"
                    onConfirm={() => remove(schedule.id)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CreateSchedule api={api} onCreated={list.reload} />
    </section>
  );
}

function CreateSchedule({ api, onCreated }: { api: Api; onCreated: () => void }) {
  const blank = {
    name: '',
    cron: '',
    tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
    every: '',
  };
  const [fields, setFields] = useState<Record<(typeof SCHEDULE_FIELDS)[number], string>>(blank);
  const [template, setTemplate] = useState<SpecValues>({});
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const templateErrors = errorsByField(error?.errors ?? [], 'body.templates.0.');
  const own = errorsByField(templateErrors.other, 'body.', SCHEDULE_FIELDS);

  async function create(event: Event) {
    event.preventDefault();
    const seconds = Number(fields.every);
    const spec: ScheduleSpecInput = {
      ...(fields.name.trim() ? { name: fields.name.trim() } : {}),
      ...(fields.cron.trim() ? { cron: fields.cron.trim(), tz: fields.tz.trim() || 'UTC' } : {}),
      ...(fields.every.trim()
        ? { every: Number.isFinite(seconds) ? Math.round(seconds * 1000) : Number.NaN }
        : {}),
      templates: [specFromValues(template)],
    };
    setBusy(true);
    try {
      await api.createSchedule(spec);
      setError(undefined);
      setFields(blank);
      setTemplate({});
      onCreated();
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  }

  const input = (
    name: (typeof SCHEDULE_FIELDS)[number],
    label: string,
    placeholder: string,
    hint?: string,
  ) => (
    <Field
      name={`schedule-${name}`}
      label={label}
      {...(own.byField[name] ? { error: own.byField[name] } : {})}
      {...(hint ? { hint } : {})}
    >
      {(props) => (
        <input
          {...props}
          value={fields[name]}
          placeholder={placeholder}
          autocomplete="off"
          onInput={(event) => {
            const value = event.currentTarget.value;
            setFields((previous) => ({ ...previous, [name]: value }));
          }}
        />
      )}
    </Field>
  );

  return (
    <form class="card" onSubmit={create} noValidate aria-label="Create a schedule">
      <h2>New schedule</h2>
      <fieldset class="grid">
        <legend>When</legend>
        {input('name', 'Name', 'nightly re-init')}
        {input('cron', 'Cron pattern', '0 3 * * *', 'minute hour day month weekday')}
        {input('tz', 'Time zone', 'UTC', 'IANA name, for the cron pattern')}
        {input('every', 'Or every (seconds)', '3600', 'instead of a cron pattern')}
      </fieldset>
      <SpecFields
        values={template}
        errors={templateErrors.byField}
        onChange={(field, value) => setTemplate((previous) => ({ ...previous, [field]: value }))}
      />
      <OtherErrors errors={own.other} />
      {error && error.errors.length === 0 && <ErrorNote error={error} />}
      <button type="submit" class="primary" disabled={busy}>
        Create schedule
      </button>
    </form>
  );
}

export function ScheduleDetail({ api, id }: { api: Api; id: string }) {
  const schedule = usePolled(
    () => api.schedule(id),
    [api, id],
    () => 10_000,
  );
  const now = useNow(10_000);
  const [error, setError] = useState<ApiError>();
  const view = schedule.value;
  async function remove() {
    try {
      await api.deleteSchedule(id);
      location.hash = href({ view: 'schedules' });
    } catch (caught) {
      setError(toApiError(caught));
    }
  }
  return (
    <section aria-labelledby="schedule-title">
      <div class="view-head">
        <h1 id="schedule-title">Schedule {view?.name ?? <code>{id}</code>}</h1>
        {view && (
          <div class="actions">
            <ConfirmButton
              label="Delete schedule"
              confirmLabel="Yes, delete"
              keepLabel="Keep"
              onConfirm={remove}
            />
          </div>
        )}
      </div>
      <ErrorNote error={schedule.error} />
      <ErrorNote error={error} />
      {view && (
        <>
          <Section title="When">
            <dl class="facts">
              <dt>Runs</dt>
              <dd>
                <code>{when(view)}</code>
              </dd>
              <dt>Next run</dt>
              <dd>{view.nextRunAt ? relativeTime(view.nextRunAt, now) : '—'}</dd>
              <dt>Created</dt>
              <dd>{relativeTime(view.createdAt, now)}</dd>
            </dl>
          </Section>
          <Section title="Recent jobs">
            {(view.recentJobs ?? []).length === 0 ? (
              <p class="empty">No runs yet.</p>
            ) : (
              <ul class="plain">
                {(view.recentJobs ?? []).map((job) => (
                  <li key={job.id}>
                    <a href={href({ view: 'job', id: job.id })}>
                      <code>{job.id}</code>
                    </a>{' '}
                    <StatusBadge status={job.status} />{' '}
                    <span class="muted">{relativeTime(job.createdAt, now)}</span>
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section title={`Templates (${view.templates.length})`}>
            <pre>{JSON.stringify(view.templates, null, 2)}</pre>
          </Section>
        </>
      )}
    </section>
  );
}
