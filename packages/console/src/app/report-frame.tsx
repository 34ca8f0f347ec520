/**
 * The job's report page, framed. The page needs the API key, which a frame's own request cannot send,
 * so it is fetched here and shown through `srcdoc` in a sandbox without same-origin rights: its charts
 * run, but it cannot read the console's storage (where the key is).
 */
import { useEffect, useState } from 'preact/hooks';
import type { Api, ApiError } from './api.js';
import { ErrorNote, Section } from './components.js';
import { toApiError } from './poll.js';

export function ReportFrame({ api, id }: { api: Api; id: string }) {
  const [html, setHtml] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const [download, setDownload] = useState<string>();
  useEffect(() => {
    let url: string | undefined;
    api.reportHtml(id).then(
      (page) => {
        setHtml(page);
        url = URL.createObjectURL(new Blob([page], { type: 'text/html' }));
        setDownload(url);
      },
      (caught: unknown) => setError(toApiError(caught)),
    );
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [api, id]);
  return (
    <Section
      title="Report"
      actions={
        download && (
          <a class="button" href={download} download={`ddinit-report-${id}.html`}>
            Save report
          </a>
        )
      }
    >
      <ErrorNote error={error} />
      {html === undefined && !error && <p class="muted">Loading the report…</p>}
      {html !== undefined && (
        <iframe class="report" title="Initialization report" sandbox="allow-scripts" srcdoc={html} />
      )}
    </Section>
  );
}
