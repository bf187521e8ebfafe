// Test-only framers for the EAS golden tests, so they do not depend on the inputs engineer's framers: lines,
// CSV rows (quotes may span lines) and mailbox-log `Log Entry` blocks, each with byte offsets and line numbers
// the way src/framing reports them.

import type { RecordSource, SourceRecord } from '../../../src/pipeline/record.types.js';

interface PhysLine {
  text: string;
  eol: string;
  offset: number;
  endOffset: number;
  line: number;
}

function physicalLines(buf: Buffer): PhysLine[] {
  let text = buf.toString('utf8');
  let base = 0;
  if (text.charCodeAt(0) === 0xfeff) {
    text = text.slice(1);
    base = 3;
  }
  const out: PhysLine[] = [];
  let pos = 0;
  let offset = base;
  let n = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    let eol = '\n';
    if (end < 0) {
      end = text.length;
      eol = '';
    }
    let t = text.slice(pos, end);
    if (t.endsWith('\r')) {
      t = t.slice(0, -1);
      eol = eol === '' ? '\r' : '\r\n';
    }
    const bytes = Buffer.byteLength(t) + eol.length;
    n++;
    out.push({ text: t, eol, offset, endOffset: offset + bytes, line: n });
    offset += bytes;
    pos = end + 1;
  }
  return out;
}

export function frameLines(buf: Buffer, source: RecordSource): SourceRecord[] {
  return physicalLines(buf).map((l) => ({
    source,
    offset: l.offset,
    endOffset: l.endOffset,
    text: l.text,
    line: l.line,
  }));
}

export function frameCsvRows(buf: Buffer, source: RecordSource): SourceRecord[] {
  const out: SourceRecord[] = [];
  let cur: { lines: PhysLine[]; quotes: number } | undefined;
  const flush = (): void => {
    if (!cur) return;
    const ls = cur.lines;
    cur = undefined;
    const text = ls.map((l, i) => (i < ls.length - 1 ? l.text + l.eol : l.text)).join('');
    out.push({
      source,
      offset: ls[0]!.offset,
      endOffset: ls[ls.length - 1]!.endOffset,
      text,
      line: ls[0]!.line,
    });
  };
  for (const l of physicalLines(buf)) {
    const q = (l.text.match(/"/g) ?? []).length;
    if (!cur) cur = { lines: [l], quotes: q };
    else {
      cur.lines.push(l);
      cur.quotes += q;
    }
    if (cur.quotes % 2 === 0) flush();
  }
  flush();
  return out;
}

export function frameMailboxLog(buf: Buffer, source: RecordSource): SourceRecord[] {
  const lines = physicalLines(buf);
  const out: SourceRecord[] = [];
  let cur: { lines: PhysLine[] } | undefined;
  const flush = (): void => {
    if (!cur) return;
    const ls = cur.lines;
    cur = undefined;
    if (ls.every((l) => l.text.trim() === '')) return;
    const text = ls
      .map((l) => l.text + l.eol)
      .join('')
      .replace(/(?:\r?\n|\r)+$/, '');
    out.push({
      source,
      offset: ls[0]!.offset,
      endOffset: ls[ls.length - 1]!.endOffset,
      text,
      line: ls[0]!.line,
    });
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^-{17}\s*$/.test(l.text) && /^\s*Log Entry:\s*\d+\s*$/.test(lines[i + 1]?.text ?? '')) {
      flush();
      cur = { lines: [] };
    }
    (cur ??= { lines: [] }).lines.push(l);
  }
  flush();
  return out;
}
