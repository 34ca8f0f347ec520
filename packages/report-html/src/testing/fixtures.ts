/**
 * Report fixtures: `ddinit init --sample 64 --held-out 32 --json` on the three example models, `report`
 * field only. mixed-dag: defaults; vgg-cifar: `--random pca --exclude-layers fc2` (fallback reasons, a kept
 * layer, a layer warning); resnet-bn: `--method lsuv` (report warning, no change rates).
 */
import { readFileSync } from 'node:fs';
import { InitReport } from '@ddinit/contracts';

export const FIXTURES = ['mixed-dag', 'vgg-cifar', 'resnet-bn'] as const;
export type FixtureName = (typeof FIXTURES)[number];

export function loadFixture(name: FixtureName): InitReport {
  const text = readFileSync(new URL(`./${name}.json`, import.meta.url), 'utf8');
  // Parsing through the schema keeps the fixtures honest when the contract changes.
  return InitReport.parse(JSON.parse(text));
}

/** Strings that break out of HTML text, attributes, `<script>` and `<style>` if anything is left unescaped. */
export const HOSTILE = {
  imgName: '<img src=x onerror="window.__xss=1">',
  scriptName: '</script><script>window.__xss=2</script>',
  attrName: `"'><svg onload=window.__xss=3>`,
  className: '</style><b>Conv2D</b>',
  warning: '<!-- <script>window.__xss=4</script>',
  reportWarning: '</SCRIPT><img src=x onerror=window.__xss=5>\u2028&amp;',
  phase: '<i>phase</i>',
  title: '<script>window.__xss=6</script> & "title"',
} as const;

/** A copy of a fixture with hostile layer names, class, warnings, phase name and options. */
export function hostileReport(report: InitReport): InitReport {
  const copy = structuredClone(report);
  const names = [HOSTILE.imgName, HOSTILE.scriptName, HOSTILE.attrName];
  names.forEach((name, i) => {
    const layer = copy.layers[i];
    if (layer) layer.name = name;
  });
  const first = copy.layers[0];
  if (first) {
    first.className = HOSTILE.className;
    first.warnings.push(HOSTILE.warning);
    first.random.fallbackReason = HOSTILE.warning;
  }
  copy.warnings.push(HOSTILE.reportWarning);
  copy.timingsMs[HOSTILE.phase] = 12;
  copy.options.layers.include = [HOSTILE.scriptName];
  return copy;
}
