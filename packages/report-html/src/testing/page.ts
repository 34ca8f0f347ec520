/** Pulls the pieces of a rendered page apart for assertions (no DOM in Node). */

export function inlinedReport(html: string): unknown {
  const match = /<script type="application\/json" id="ddinit-report">([\s\S]*?)<\/script>/.exec(html);
  if (!match?.[1]) throw new Error('no #ddinit-report script in the page');
  return JSON.parse(match[1]);
}

/** Bodies of the executable inline scripts, in page order. */
export function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
}

export function count(haystack: string, needle: RegExp): number {
  return [...haystack.matchAll(new RegExp(needle.source, `${needle.flags.replace('g', '')}g`))].length;
}
