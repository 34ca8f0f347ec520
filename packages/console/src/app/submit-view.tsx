/** The submit form: POST /v1/jobs, then the new job's page; the API's field errors go next to their inputs. */
import type { FieldError } from '@ddinit/contracts';
import { useState } from 'preact/hooks';
import type { Api, ApiError } from './api.js';
import { ErrorNote } from './components.js';
import { toApiError } from './poll.js';
import { href } from './route.js';
import { SpecFields } from './spec-fields.js';
import { errorsByField, type SpecValues, specFromValues } from './spec-form.js';

export function SubmitView({ api }: { api: Api }) {
  const [values, setValues] = useState<SpecValues>({});
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const { byField, other } = errorsByField(error?.errors ?? [], 'body.');

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    try {
      const job = await api.submit(specFromValues(values));
      location.hash = href({ view: 'job', id: job.id });
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="submit-title">
      <h1 id="submit-title">Submit a job</h1>
      <form class="card" onSubmit={submit} noValidate aria-label="Submit a job">
        <SpecFields
          values={values}
          errors={byField}
          onChange={(field, value) => setValues((previous) => ({ ...previous, [field]: value }))}
        />
        <OtherErrors errors={other} />
        {error && error.errors.length === 0 && <ErrorNote error={error} />}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit'}
        </button>
      </form>
    </section>
  );
}

/** Field errors no input owns (say `body.init.tolerance` from an API newer than this form). */
export function OtherErrors({ errors }: { errors: readonly FieldError[] }) {
  if (errors.length === 0) return null;
  return (
    <ul class="error" role="alert">
      {errors.map((error) => (
        <li key={error.path}>
          <code>{error.path}</code> {error.message}
        </li>
      ))}
    </ul>
  );
}
