/**
 * The console's one HTML page and its Content-Security-Policy. The page is an import map, preload
 * links and the settings the app needs from the contracts (defaults and choices of the init options),
 * so the browser code never hard-codes what the API decides.
 */
import { createHash } from 'node:crypto';
import { BetweenMode, InitMethod, InitOptions, JobSpec, RandomFilters } from '@ddinit/contracts';
import { appModules, type VendorModule } from './assets.js';

/** What the app reads from `#ddinit-console-settings`. */
export interface ConsoleSettings {
  /** Defaults the API fills in, shown as placeholders of the submit form. */
  defaults: {
    sample: number;
    heldOut: number;
    priority: number;
    method: string;
    random: string;
    between: string;
    batchSize: number;
    seed: number;
    beta: number;
    tolerance: number;
  };
  choices: { method: string[]; random: string[]; between: string[] };
}

export interface ConsolePageOptions {
  vendor: readonly VendorModule[];
  /**
   * `'sha256-…'` sources of scripts that documents framed by the console run. A `srcdoc` frame
   * inherits the console's policy, so the report page's own inline scripts must be allowed here too.
   */
  frameScriptSources?: readonly string[];
}

export interface ConsolePage {
  html: string;
  /** The Content-Security-Policy header value to send with `html`. */
  csp: string;
}

export function consoleSettings(): ConsoleSettings {
  const init = InitOptions.parse({});
  const spec = JobSpec.parse({
    model: { uri: 'file:///m' },
    dataset: { uri: 'file:///d' },
    output: { uri: 'file:///o' },
  });
  return {
    defaults: {
      sample: spec.dataset.sample,
      heldOut: spec.dataset.heldOut,
      priority: spec.priority,
      method: init.method,
      random: init.random,
      between: init.between,
      batchSize: init.batchSize,
      seed: init.seed,
      beta: init.beta,
      tolerance: init.tolerance,
    },
    choices: {
      method: [...InitMethod.options],
      random: [...RandomFilters.options],
      between: [...BetweenMode.options],
    },
  };
}

/** JSON inside a `<script>` element: `<` escaped so no `</script>` can end it early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function sha256Source(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

export function renderConsolePage(options: ConsolePageOptions): ConsolePage {
  const importMap = scriptJson({
    imports: Object.fromEntries(options.vendor.map((module) => [module.specifier, module.url])),
  });
  const preloads = [
    ...options.vendor.map((module) => module.url),
    ...appModules().map((name) => `/console/app/${name}`),
  ]
    .map((url) => `<link rel="modulepreload" href="${url}">`)
    .join('\n');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>ddinit console</title>
<link rel="icon" href="/console/static/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/static/console.css">
<script type="importmap">${importMap}</script>
${preloads}
<script type="application/json" id="ddinit-console-settings">${scriptJson(consoleSettings())}</script>
<script type="module" src="/console/app/main.js"></script>
</head>
<body>
<div id="app"><noscript>The ddinit console needs JavaScript.</noscript></div>
</body>
</html>
`;
  // Own modules and the import map only; data goes to the API's origin; reports are framed from
  // srcdoc. Inline styles stay allowed because the framed report page uses style attributes.
  const csp = [
    "default-src 'none'",
    `script-src 'self' ${[sha256Source(importMap), ...(options.frameScriptSources ?? [])].join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
