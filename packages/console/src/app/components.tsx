/** Small pieces every view uses: status badges, progress bars, errors, two-step buttons, form fields. */
import type { JobProgress, JobStatus } from '@ddinit/contracts';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiError } from './api.js';
import { percent, progressLabel } from './format.js';
import type { OlderPages } from './poll.js';

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** A native <progress> (role progressbar) with the percentage and phase beside it. */
export function ProgressBar({
  progress,
  status,
  label,
}: {
  progress: JobProgress | null;
  status: JobStatus;
  label: string;
}) {
  const fraction = status === 'succeeded' ? 1 : (progress?.fraction ?? 0);
  return (
    <div class="progress">
      <progress max={1} value={fraction} aria-label={label} data-fraction={fraction} />
      <span class="progress-text">
        <strong>{percent(fraction)}</strong> <span class="muted">{progressLabel(progress, status)}</span>
      </span>
    </div>
  );
}

export function ErrorNote({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      <code>{error.code}</code> {error.detail}
    </p>
  );
}

/** Under a paged list: why the last older page failed, and the button for the next one while any is left. */
export function MoreButton({ pages, label }: { pages: OlderPages<{ id: string }>; label: string }) {
  return (
    <>
      <ErrorNote error={pages.error} />
      {pages.cursor && (
        <button type="button" onClick={pages.loadMore} disabled={pages.loading}>
          {pages.loading ? 'Loading…' : label}
        </button>
      )}
    </>
  );
}

/** A destructive action asks once more in place, instead of a modal dialog. */
export function ConfirmButton({
  label,
  confirmLabel,
  keepLabel,
  onConfirm,
  disabled,
  name,
}: {
  label: string;
  /** The accessible name when `label` alone is ambiguous (one Delete per table row). */
  name?: string;
  confirmLabel: string;
  keepLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button
        type="button"
        class="danger"
        disabled={disabled}
        aria-label={name}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {keepLabel}
      </button>
    </span>
  );
}

/** A labelled input with its server-side error, linked for screen readers by aria-describedby. */
export function Field({
  name,
  label,
  error,
  hint,
  children,
}: {
  name: string;
  label: string;
  error?: string;
  hint?: string;
  children: (props: {
    id: string;
    'aria-invalid'?: 'true';
    'aria-describedby'?: string;
  }) => ComponentChildren;
}) {
  const id = `field-${name.replace(/[^A-Za-z0-9]/g, '-')}`;
  const described = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{label}</label>
      {children({
        id,
        ...(error ? { 'aria-invalid': 'true' as const } : {}),
        ...(described ? { 'aria-describedby': described } : {}),
      })}
      {hint && (
        <small id={`${id}-hint`} class="muted">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="card" aria-label={title}>
      <header class="card-head">
        <h2>{title}</h2>
        {actions && <div class="actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}
