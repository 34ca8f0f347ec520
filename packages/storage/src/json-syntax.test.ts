import { describeJsonError, jsonErrorOffset } from './json-syntax.js';

function parseError(text: string): unknown {
  try {
    JSON.parse(text);
  } catch (error) {
    return error;
  }
  throw new Error('expected a syntax error');
}

describe('jsonErrorOffset', () => {
  it.each([
    ['{"a": 1, "b": [true, null, "x\\n\\u00e9"], "c": {"d": -1.5e3}}', undefined],
    ['  [ ]  ', undefined],
    ['"just a string"', undefined],
    ['', 0],
    ['   ', 3],
    ['nope', 0],
    ['{"a":1,}', 7],
    ['{"a" 1}', 5],
    ['[1, 2', 5],
    ['[1 2]', 3],
    ['{"a": tru}', 6],
    ['{"a": 01}', 7],
    ['["\\x"]', 2],
    ['["a\tb"]', 3],
    ['{} {}', 3],
    ['{"a": [1, {"b": [}]}', 17],
  ])('%j → %p', (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
  });

  it('handles deep nesting without recursion', () => {
    expect(jsonErrorOffset('['.repeat(100_000) + ']'.repeat(100_000))).toBeUndefined();
    expect(jsonErrorOffset('['.repeat(100_000))).toBe(100_000);
  });
});

describe('describeJsonError', () => {
  it('keeps the position V8 names and adds line and column', () => {
    const text = '{\n  "a": 1,\n}';
    expect(describeJsonError(text, parseError(text))).toBe(
      'Expected double-quoted property name at line 3, column 1 (position 12)',
    );
  });

  it('finds the position when V8 does not name it', () => {
    const text = '{\n  "a": nope\n}';
    expect(describeJsonError(text, parseError(text))).toMatch(
      /^Unexpected token 'o' at line 2, column 8 \(position 9\)$/,
    );
  });

  it('puts an unexpected end at the end of the text', () => {
    const text = '{"a": [1,';
    expect(describeJsonError(text, parseError(text))).toBe(
      'Unexpected end of JSON input at line 1, column 10 (position 9)',
    );
  });
});
