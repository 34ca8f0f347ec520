/**
 * Where the console's files are: the browser modules tsc emits to `dist/app/`, the stylesheet in
 * `static/`, and preact's own browser builds, which the page's import map points at.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The compiled browser modules, served under `/console/app/`. */
export const CONSOLE_APP_DIR = path.join(PACKAGE_ROOT, 'dist/app');
/** Stylesheet and icon, served under `/console/static/`. */
export const CONSOLE_STATIC_DIR = path.join(PACKAGE_ROOT, 'static');

/** One module of preact's browser build, served from memory at `url`. */
export interface VendorModule {
  /** The bare specifier the app imports, e.g. `preact/hooks`. */
  specifier: string;
  url: string;
  source: string;
}

interface PreactManifest {
  version: string;
  exports: Record<string, { browser?: string }>;
}

/**
 * preact's browser ES modules, read once. The URL holds preact's version, so they can be cached
 * for good: an upgrade changes the URL.
 */
export function vendorModules(): VendorModule[] {
  const require = createRequire(import.meta.url);
  const manifestFile = require.resolve('preact/package.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as PreactManifest;
  const root = path.dirname(manifestFile);
  return [
    ['preact', '.'],
    ['preact/hooks', './hooks'],
    ['preact/jsx-runtime', './jsx-runtime'],
  ].map(([specifier, entry]) => {
    const browser = manifest.exports[entry!]?.browser;
    if (!browser) throw new Error(`preact ${manifest.version} has no browser build for ${entry}`);
    // The source map comment would send devtools after a file that is not served.
    const source = readFileSync(path.join(root, browser), 'utf8').replace(
      /\n\/\/# sourceMappingURL=\S+\s*$/,
      '\n',
    );
    return {
      specifier: specifier!,
      url: `/console/vendor/preact-${manifest.version}/${path.basename(browser)}`,
      source,
    };
  });
}

/** The app's modules, for `<link rel="modulepreload">`: the browser fetches them at once, not import by import. */
export function appModules(): string[] {
  try {
    return readdirSync(CONSOLE_APP_DIR)
      .filter((name) => name.endsWith('.js'))
      .sort();
  } catch {
    return [];
  }
}
