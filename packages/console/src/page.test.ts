import { createHash } from 'node:crypto';
import { InitOptions } from '@ddinit/contracts';
import { vendorModules } from './assets.js';
import { consoleSettings, renderConsolePage } from './page.js';

describe('console page', () => {
  const vendor = vendorModules();
  const page = renderConsolePage({ vendor, frameScriptSources: ["'sha256-frame'"] });

  it("allows exactly its import map and the framed report's scripts inline", () => {
    const importMap = /<script type="importmap">([^<]*)<\/script>/.exec(page.html)?.[1] ?? '';
    const hash = createHash('sha256').update(importMap).digest('base64');
    const scriptSrc = page.csp.split('; ').find((directive) => directive.startsWith('script-src'));
    expect(scriptSrc).toBe(`script-src 'self' 'sha256-${hash}' 'sha256-frame'`);
    expect(page.csp).toContain("default-src 'none'");
    expect(page.csp).toContain("connect-src 'self'");
    expect(JSON.parse(importMap).imports).toEqual(
      Object.fromEntries(vendor.map((module) => [module.specifier, module.url])),
    );
  });

  it("maps preact's three entry points to its browser builds, without source-map comments", () => {
    expect(vendor.map((module) => module.specifier)).toEqual([
      'preact',
      'preact/hooks',
      'preact/jsx-runtime',
    ]);
    for (const module of vendor) {
      expect(module.url).toMatch(/^\/console\/vendor\/preact-\d+\.\d+\.\d+\/[a-zA-Z]+\.module\.js$/);
      expect(module.source).toMatch(/export\s*\{/);
      expect(module.source).not.toMatch(/sourceMappingURL/);
    }
  });

  it('hands the app the defaults and choices of the contracts', () => {
    const settings = consoleSettings();
    const init = InitOptions.parse({});
    expect(settings.defaults).toMatchObject({
      method: init.method,
      seed: init.seed,
      batchSize: init.batchSize,
    });
    expect(settings.defaults).toMatchObject({ sample: 256, heldOut: 64, priority: 50 });
    expect(settings.choices.method).toContain('lsuv');
    const embedded = /<script type="application\/json" id="ddinit-console-settings">([^<]*)<\/script>/.exec(
      page.html,
    );
    expect(JSON.parse(embedded?.[1] ?? 'null')).toEqual(settings);
  });
});
