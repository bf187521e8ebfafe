// IIS W3C extended log lines (u_ex*.log, front end W3SVC1 and back end W3SVC2). Columns come from the latest
// `#Fields` directive, which IIS writes again after a restart and which may differ from the previous one, so
// the layout is parser state (snapshotted with the checkpoint). Values are space separated; IIS writes `+` for
// spaces in the user agent and `-` for empty values.
// Hot path: one regex test per line (control characters / replacement characters), one split, no per-field
// regex. Invariants: never throws; a malformed line is a ParseFailure with an `iis.*` code.

import type { SourceRecord } from '../../pipeline/record.types.js';
import type { ParseResult, RecordParser } from '../../pipeline/stages.types.js';
import type { IisEvent, IisLayout } from './iis.types.js';
import { BAD_LINE_CHARS } from '../bad-chars.js';

/** Longer lines are not IIS lines (IIS caps a logged query far below this). */
export const IIS_MAX_LINE_CHARS = 256 * 1024;

// Defaults when a file (or a pasted excerpt) carries no `#Fields`: IIS 7.0/7.5 (14 fields, Exchange 2010) and
// IIS 8.5/10 (15 fields, adds cs(Referer)). Proven by the REAL corpus lines (eas-formats.md 2.1).
const DEFAULT_14 =
  'date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken';
const DEFAULT_15 =
  'date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken';

export function layoutOf(fields: readonly string[], assumed = false): IisLayout {
  const index: Record<string, number> = {};
  for (let i = 0; i < fields.length; i++) {
    const k = fields[i]!.toLowerCase();
    if (index[k] === undefined) index[k] = i;
  }
  return { names: fields, index, assumed };
}

const ASSUMED_14 = layoutOf(DEFAULT_14.split(' '), true);
const ASSUMED_15 = layoutOf(DEFAULT_15.split(' '), true);

function fail(code: string, reason: string): ParseResult<IisEvent> {
  return { kind: 'failure', code: `iis.${code}`, reason };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `yyyy-MM-dd` */
export function isIisDate(s: string): boolean {
  return (
    s.length === 10 &&
    s.charCodeAt(4) === 45 &&
    s.charCodeAt(7) === 45 &&
    isDigit(s.charCodeAt(0)) &&
    isDigit(s.charCodeAt(1)) &&
    isDigit(s.charCodeAt(2)) &&
    isDigit(s.charCodeAt(3)) &&
    isDigit(s.charCodeAt(5)) &&
    isDigit(s.charCodeAt(6)) &&
    isDigit(s.charCodeAt(8)) &&
    isDigit(s.charCodeAt(9))
  );
}

/** `HH:mm:ss` */
export function isIisTime(s: string): boolean {
  return (
    s.length === 8 &&
    s.charCodeAt(2) === 58 &&
    s.charCodeAt(5) === 58 &&
    isDigit(s.charCodeAt(0)) &&
    isDigit(s.charCodeAt(1)) &&
    isDigit(s.charCodeAt(3)) &&
    isDigit(s.charCodeAt(4)) &&
    isDigit(s.charCodeAt(6)) &&
    isDigit(s.charCodeAt(7))
  );
}

function two(s: string, i: number): number {
  return (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
}

/** Month, day and time of day within range (an impossible date would be rejected by Elasticsearch). */
function inRange(date: string, time: string): boolean {
  const month = two(date, 5);
  const day = two(date, 8);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    two(time, 0) <= 23 &&
    two(time, 3) <= 59 &&
    two(time, 6) <= 60
  );
}

interface IisState {
  readonly fields: readonly string[] | null;
  readonly software: string | null;
}

export class IisParser implements RecordParser<IisEvent> {
  private layout: IisLayout | undefined;
  private software: string | undefined;
  /** The snapshot object, reused until the state changes (the input compares snapshots per record). */
  private snap: IisState | undefined;

  parse(record: SourceRecord): ParseResult<IisEvent> {
    let line = record.text;
    if (line.length > IIS_MAX_LINE_CHARS) {
      return fail('line_too_long', `line of ${line.length} characters exceeds ${IIS_MAX_LINE_CHARS}`);
    }
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length > 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.length === 0) return { kind: 'skip' };
    if (BAD_LINE_CHARS.test(line)) {
      return fail(
        'encoding',
        'line contains control or replacement characters (binary data, or a file in another encoding)',
      );
    }
    if (line.charCodeAt(0) === 35 /* # */) return this.directive(line);
    const values = line.split(' ');
    const layout =
      this.layout ?? (values.length === 14 ? ASSUMED_14 : values.length === 15 ? ASSUMED_15 : undefined);
    if (layout === undefined) {
      return fail(
        'no_fields',
        `no #Fields directive seen and ${values.length} columns match no IIS default (14 or 15)`,
      );
    }
    if (values.length !== layout.names.length) {
      return fail(
        'column_count',
        `${values.length} columns where the current #Fields names ${layout.names.length} (truncated or damaged line?)`,
      );
    }
    const di = layout.index['date'];
    const ti = layout.index['time'];
    if (di === undefined || ti === undefined) {
      return fail('no_time', '#Fields has no date and time columns');
    }
    if (!isIisDate(values[di]!) || !isIisTime(values[ti]!) || !inRange(values[di]!, values[ti]!)) {
      return fail('timestamp', `bad date/time '${values[di]} ${values[ti]}'`);
    }
    return {
      kind: 'event',
      event: this.software !== undefined ? { layout, values, software: this.software } : { layout, values },
    };
  }

  private directive(line: string): ParseResult<IisEvent> {
    this.snap = undefined;
    if (line.startsWith('#Fields:')) {
      const names = line
        .slice(8)
        .trim()
        .split(' ')
        .filter((s) => s.length > 0);
      if (names.length === 0) return fail('fields', 'empty #Fields directive');
      this.layout = layoutOf(names);
    } else if (line.startsWith('#Software:')) {
      this.software = line.slice(10).trim();
    }
    return { kind: 'skip' };
  }

  snapshot(): IisState {
    this.snap ??= {
      fields: this.layout && !this.layout.assumed ? this.layout.names : null,
      software: this.software ?? null,
    };
    return this.snap;
  }

  restore(state: unknown): void {
    this.snap = undefined;
    if (!state || typeof state !== 'object') return;
    const s = state as Partial<IisState>;
    if (Array.isArray(s.fields) && s.fields.every((f) => typeof f === 'string')) {
      this.layout = layoutOf(s.fields);
    }
    if (typeof s.software === 'string') this.software = s.software;
  }
}
