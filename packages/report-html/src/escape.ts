/** Escaping for the three places report data lands in the page: HTML text/attributes, inline JSON, inline JS. */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Safe in element text and in quoted attribute values. Layer names and warnings are user data. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * JSON for a `<script type="application/json">` body. `<`, `>` and `&` become `\uXXXX` so no `</script>`
 * or `<!--` can end the element early; U+2028/2029 too, so the text is also a valid JS literal.
 * `JSON.parse(textContent)` gives the value back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Source for an inline `<script>`. `</script` can only occur inside a JS string, regex or comment,
 * where `<\/script` means the same; source-map comments would point at files the page does not have.
 */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/^\/\/# sourceMappingURL=.*$/gm, '');
}

/** Source for an inline `<style>`: same guard for `</style`. */
export function inlineStyle(source: string): string {
  return source.replace(/<\/(style)/gi, '<\\/$1');
}
