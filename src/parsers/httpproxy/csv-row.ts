// One CSV row as Exchange's Utf8Csv writes it: comma separated; a field holding `,` `"` CR or LF is quoted and
// inner quotes are doubled. Exchange itself writes CR/LF inside values as the two characters `\r` `\n`, but
// copies and other writers may hold real line ends inside quotes, so those are accepted too.
// Returns the fields, or a string describing why the text is not one CSV row. Never throws.

export function parseCsvRow(text: string): string[] | string {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return `unclosed quote in field ${out.length + 1}`;
        value += text.slice(j, q);
        if (q + 1 < n && text.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(value);
      if (i === n) return out;
      if (text.charCodeAt(i) !== 44 /* , */) return `text after closing quote in field ${out.length}`;
      i++;
      continue;
    }
    const comma = text.indexOf(',', i);
    if (comma < 0) {
      out.push(text.slice(i));
      return out;
    }
    out.push(text.slice(i, comma));
    i = comma + 1;
  }
}
