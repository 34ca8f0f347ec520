import { escapeHtml, inlineScript, jsonForScript } from './escape.js';

test('escapeHtml covers text and both attribute quotes', () => {
  expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
    '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
  );
});

test('jsonForScript cannot close its element and parses back', () => {
  const value = { name: '</script><!--<script>', sep: '\u2028\u2029', amp: '&amp;', n: [1.5e-9, 0] };
  const text = jsonForScript(value);
  expect(text).not.toMatch(/[<>&\u2028\u2029]/);
  expect(JSON.parse(text)).toEqual(value);
  // Also a valid JS expression (U+2028 escaped), should anyone inline it into code.
  expect(new Function(`return ${text}`)()).toEqual(value);
});

test('inlineScript defuses </script> and drops source-map comments', () => {
  expect(inlineScript('const s = "</SCRIPT>";\n//# sourceMappingURL=x.js.map')).toBe(
    'const s = "<\\/SCRIPT>";\n',
  );
});
