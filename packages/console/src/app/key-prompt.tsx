/** Asks for the API key once; it is checked against the API before it is kept. */
import { useState } from 'preact/hooks';
import { Api, ApiError } from './api.js';
import { ErrorNote, Field } from './components.js';
import { toApiError } from './poll.js';

export function KeyPrompt({ notice, onKey }: { notice?: string; onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  /** Errors about the key itself go next to its input; others (the API down) below the form. */
  const keyError = error && (error.status === 401 || error.code === 'api_key_invalid') ? error : undefined;

  async function signIn(event: Event) {
    event.preventDefault();
    const candidate = key.trim();
    // A header cannot carry anything else; fetch would fail as if the API were unreachable.
    if (!/^[\x21-\x7e]+$/.test(candidate)) {
      setError(new ApiError(0, 'api_key_invalid', 'an API key is printable ASCII without spaces'));
      return;
    }
    setBusy(true);
    try {
      await new Api(candidate).listJobs({ limit: 1 });
      onKey(candidate);
    } catch (caught) {
      setError(toApiError(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <form class="card" onSubmit={signIn} aria-label="Sign in">
        <h1>ddinit console</h1>
        <p class="muted">Enter your API key. It stays in this browser until you sign out.</p>
        {notice && <p class="notice">{notice}</p>}
        <Field name="api-key" label="API key" {...(keyError ? { error: keyError.detail } : {})}>
          {(props) => (
            <input
              {...props}
              type="password"
              autocomplete="current-password"
              required
              value={key}
              onInput={(event) => setKey(event.currentTarget.value)}
            />
          )}
        </Field>
        {error && !keyError && <ErrorNote error={error} />}
        <button type="submit" class="primary" disabled={busy || key.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}
