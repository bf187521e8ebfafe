// Splits one CSV (or TAB-separated) row into fields with RFC 4180 quoting: a quoted field may hold the
// delimiter, doubled quotes and line ends. The framer has already cut the row (csv-rows for the Windows
// exports, lines for HttpProxy), so an unclosed quote or text after a closing quote is a malformed row, reported
// rather than guessed at. Used by the HttpProxy
// logs (Exchange's Utf8Csv writer quotes a field holding `,` `"` CR or LF and doubles inner quotes) and by the
// Windows event exports (Event Viewer CSV/TXT, PowerShell Export-Csv). Never throws.

export type RowResult = { readonly fields: string[] } | { readonly error: string };

export function splitDelimitedRow(text: string, delimiter: ',' | '\t'): RowResult {
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return { error: `unclosed quote in field ${fields.length + 1}` };
        value += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i >= n) return { fields };
      if (text[i] !== delimiter) {
        // Tolerate the line end the framer may leave on the last field.
        if (/^[\r\n]+$/.test(text.slice(i))) return { fields };
        return { error: `text after the closing quote of field ${fields.length}` };
      }
      i++;
    } else {
      const d = text.indexOf(delimiter, i);
      if (d < 0) {
        const last = text.slice(i);
        const c = last.charCodeAt(last.length - 1);
        // Only a row that still ends in a line end pays for the regex.
        fields.push(c === 10 || c === 13 ? last.replace(/[\r\n]+$/, '') : last);
        return { fields };
      }
      fields.push(text.slice(i, d));
      i = d + 1;
    }
  }
}
