/**
 * Where JSON text first goes wrong. V8 names the position for most errors but not for an unexpected
 * token (`Unexpected token 'o', "nope" is not valid JSON`), so this scanner finds it when V8 does not.
 */

/** A JSON syntax error described for people: V8's words plus where it happened. */
export function describeJsonError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const v8Position = /at position (\d+)/.exec(message)?.[1];
  const position = v8Position !== undefined ? Number(v8Position) : (jsonErrorOffset(text) ?? text.length);
  // Drop V8's own position and its quote of the text, which may span lines.
  const problem =
    message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/,? ?(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
      .trim() || 'not JSON';
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `${problem} at line ${line}, column ${column} (position ${position})`;
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** The offset of the first syntax error in `text`, or `undefined` when it is valid JSON. */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  // Closing brackets of the open containers; iterative so deep nesting cannot overflow the stack.
  const open: ('}' | ']')[] = [];
  let expect: 'value' | 'key' | 'next' = 'value';

  const skipWhitespace = () => {
    while (WHITESPACE.has(text.charCodeAt(i))) i++;
  };
  // Consumes the string starting at `i`; false leaves `i` at the offending character.
  const string = (): boolean => {
    i++;
    while (i < text.length) {
      const char = text[i]!;
      if (char === '"') {
        i++;
        return true;
      }
      if (char.charCodeAt(0) < 0x20) return false;
      if (char !== '\\') i++;
      else if (text[i + 1] === 'u' && /^[\da-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
      else if (ESCAPES.has(text[i + 1] ?? '')) i += 2;
      else return false;
    }
    return false;
  };

  for (;;) {
    skipWhitespace();
    const char = text[i];
    if (expect === 'key') {
      if (char !== '"' || !string()) return i;
      skipWhitespace();
      if (text[i] !== ':') return i;
      i++;
      expect = 'value';
    } else if (expect === 'value') {
      if (char === '{' || char === '[') {
        i++;
        skipWhitespace();
        const close = char === '{' ? '}' : ']';
        if (text[i] === close) {
          i++;
          expect = 'next';
        } else {
          open.push(close);
          expect = close === '}' ? 'key' : 'value';
        }
      } else if (char === '"') {
        if (!string()) return i;
        expect = 'next';
      } else {
        SCALAR.lastIndex = i;
        const scalar = SCALAR.exec(text);
        if (scalar === null) return i;
        i += scalar[0].length;
        expect = 'next';
      }
    } else {
      const close = open.at(-1);
      if (close === undefined) return i < text.length ? i : undefined;
      if (char === ',') {
        i++;
        expect = close === '}' ? 'key' : 'value';
      } else if (char === close) {
        i++;
        open.pop();
      } else return i;
    }
  }
}
