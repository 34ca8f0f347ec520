/** Plain-text tables: columns as wide as their widest cell, numbers right-aligned. */

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Display width of `text`: one column per code point (the table holds no wide or combining characters). */
export function textWidth(text: string): number {
  return [...text].length;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - textWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Renders a header line, a rule and one line per row; trailing spaces are trimmed. */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  gap = 2,
): string[] {
  const widths = columns.map((column, i) =>
    Math.max(textWidth(column.header), ...rows.map((row) => textWidth(row[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => pad(cells[i] ?? '', widths[i]!, column.align ?? 'left'))
      .join(' '.repeat(gap))
      .trimEnd();
  return [
    line(columns.map((column) => column.header)),
    line(widths.map((width) => '─'.repeat(width))),
    ...rows.map(line),
  ];
}

/** `label  value` pairs with the values aligned. */
export function renderPairs(pairs: readonly (readonly [string, string])[], gap = 2): string[] {
  const width = Math.max(0, ...pairs.map(([label]) => textWidth(label)));
  return pairs.map(([label, value]) => `${pad(label, width, 'left')}${' '.repeat(gap)}${value}`.trimEnd());
}
