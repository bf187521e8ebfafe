// Decodes spool segments back into bulk items, recovering what a damaged segment still holds (issue 19: a
// segment cut in half lost 991 documents without a word, a zero-filled one lost 2,000 reported as "1
// unreadable item", an inserted newline made 1,995 dead letters that could not be re-sent). Items are found by
// their action line (`{"create"|"index":{"_index":..,"_id":..}}`), not by position, so damage costs only the
// items it touches:
// - a run of NUL bytes (a zero-filled region) splits a line into fragments, all counted as damaged;
// - a source line that is not JSON is joined with the following lines (an inserted newline), up to
//   MAX_JOINED_LINES, before it is given up;
// - an action without a source, or lines that belong to no action, are damaged bytes.
// Damaged bytes are reported in runs (one per stretch of damage, not one per line) for the dead-letter file.
// The parser is fed a segment in slices of whole lines (a 600 MB segment is never one string) and keeps its
// state between slices.

export interface SpooledItem {
  readonly op: 'create' | 'index';
  readonly index: string;
  readonly id: string;
  /** `action\nsource\n`, ready to be sent again. */
  readonly lines: string;
}

export interface DamagedRun {
  /** Up to MAX_RUN_TEXT characters of the damaged text (NULs removed), for the dead letter. */
  readonly text: string;
  readonly bytes: number;
}

/** Lines tried together as one source line cut by inserted newlines. */
const MAX_JOINED_LINES = 4;
const MAX_RUN_TEXT = 64 * 1024;

interface Action {
  readonly op: 'create' | 'index';
  readonly index: string;
  readonly id: string;
  readonly text: string;
}

function parseAction(line: string): Action | undefined {
  if (!line.startsWith('{"create"') && !line.startsWith('{"index"')) return undefined;
  try {
    const parsed = JSON.parse(line) as Record<string, { _index?: unknown; _id?: unknown }>;
    const keys = Object.keys(parsed);
    const op = keys[0];
    if (keys.length !== 1 || (op !== 'create' && op !== 'index')) return undefined;
    const meta = parsed[op];
    if (typeof meta?._index !== 'string' || typeof meta._id !== 'string') return undefined;
    return { op, index: meta._index, id: meta._id, text: line };
  } catch {
    return undefined;
  }
}

function isSource(text: string): boolean {
  if (!text.startsWith('{')) return false;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

export class SegmentParser {
  private action: Action | undefined;
  /** Source lines of `action` that did not parse yet (an inserted newline). */
  private parts: string[] = [];
  private partsBytes = 0;
  private run: { text: string; bytes: number } | undefined;
  private items: SpooledItem[] = [];
  private runs: DamagedRun[] = [];
  /** Totals over the whole segment. */
  recovered = 0;
  damagedBytes = 0;

  /** Parse a slice of whole lines (each ending with \n); returns the items and damage found so far. */
  parse(slice: string): { items: SpooledItem[]; damaged: DamagedRun[] } {
    let start = 0;
    while (start < slice.length) {
      let end = slice.indexOf('\n', start);
      if (end < 0) end = slice.length;
      this.line(slice.slice(start, end));
      start = end + 1;
    }
    return this.take();
  }

  /** A line too long to be read (skipped without building it): damaged. */
  skipped(bytes: number): void {
    this.abandon();
    this.damage('', bytes);
  }

  /** The segment ended (or was cut): what is still open is damaged. */
  end(): { items: SpooledItem[]; damaged: DamagedRun[] } {
    this.abandon();
    this.closeRun();
    return this.take();
  }

  private take(): { items: SpooledItem[]; damaged: DamagedRun[] } {
    const out = { items: this.items, damaged: this.runs };
    this.items = [];
    this.runs = [];
    return out;
  }

  private line(raw: string): void {
    if (raw.includes('\0')) {
      // A zero-filled region: the fragments around it are parts of lines it destroyed, except a last fragment
      // that is a whole action line (the zeros ended where a line began).
      this.abandon();
      const frags = raw.split(/\0+/);
      const last = frags.pop()!;
      for (const frag of frags) this.damage(frag, Buffer.byteLength(frag));
      this.damage('', raw.length - raw.replace(/\0/g, '').length);
      if (parseAction(last)) this.line(last);
      else this.damage(last, Buffer.byteLength(last) + 1);
      return;
    }
    const action = parseAction(raw);
    if (action) {
      this.abandon();
      this.closeRun();
      this.action = action;
      return;
    }
    if (!this.action) {
      this.damage(raw, Buffer.byteLength(raw) + 1);
      return;
    }
    this.parts.push(raw);
    this.partsBytes += Buffer.byteLength(raw) + 1;
    // One line is the usual case; more are a source cut by inserted newlines, joined without them.
    const text = this.parts.length === 1 ? raw : this.parts.join('');
    if (isSource(text)) {
      const a = this.action;
      this.items.push({ op: a.op, index: a.index, id: a.id, lines: `${a.text}\n${text}\n` });
      this.recovered += 1;
      this.action = undefined;
      this.parts = [];
      this.partsBytes = 0;
      return;
    }
    if (this.parts.length >= MAX_JOINED_LINES) this.abandon();
  }

  /** The open action (and its unparsed source lines) is lost. */
  private abandon(): void {
    if (!this.action) return;
    this.damage(
      [this.action.text, ...this.parts].join('\n'),
      Buffer.byteLength(this.action.text) + 1 + this.partsBytes,
    );
    this.action = undefined;
    this.parts = [];
    this.partsBytes = 0;
  }

  private damage(text: string, bytes: number): void {
    if (bytes <= 0 && text === '') return;
    this.damagedBytes += bytes;
    if (!this.run) this.run = { text: '', bytes: 0 };
    if (this.run.text.length < MAX_RUN_TEXT && text !== '') {
      this.run.text += (this.run.text ? '\n' : '') + text.slice(0, MAX_RUN_TEXT - this.run.text.length);
    }
    this.run.bytes += bytes;
  }

  private closeRun(): void {
    if (this.run) this.runs.push(this.run);
    this.run = undefined;
  }
}

/** Parse a whole segment body at once (small segments, tests). */
export function parseSegment(body: string): { items: SpooledItem[]; damaged: DamagedRun[] } {
  const p = new SegmentParser();
  const a = p.parse(body.endsWith('\n') ? body : `${body}\n`);
  const b = p.end();
  return { items: [...a.items, ...b.items], damaged: [...a.damaged, ...b.damaged] };
}
