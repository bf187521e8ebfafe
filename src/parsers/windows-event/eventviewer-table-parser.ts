// Event Viewer "Save ... as CSV" (comma) and "Save ... as Text" (TAB) exports → WindowsEvent.
// Header: `Level,Date and Time,Source,Event ID,Task Category` (Security log: `Keywords,...` instead of
// `Level`); every row carries a sixth, unnamed field with the full message (quoted, may span lines).
// The columns are always in this order, so a localised first line is recognised as the header by its shape
// (five fields, the second not a date) and rows are read by position. Times are the exporter's local time in its culture format:
// we convert them with the configured zone and say so (`timezoneAssumed`). There is no computer, channel,
// record id or insertion-string column: those stay unknown (the message still carries the 4999 Watson
// parameters). The header arrives as the first record and is kept as parser state.

import type { SourceRecord } from '../../pipeline/record.types.js';
import type { FileContext, ParseResult, RecordParser } from '../../pipeline/stages.types.js';
import { splitDelimitedRow } from '../delimited-row.js';
import { localToUtcMs, readLocalTime } from './local-time.js';
import { checkRecordText, failure } from './record-checks.js';
import { levelFromName } from './windows-meta.js';
import type { WindowsEvent } from './windows-event.types.js';

interface TableState {
  readonly firstColumn: 'level' | 'keywords';
  readonly header?: readonly string[];
}

export class EventViewerTableParser implements RecordParser<WindowsEvent> {
  private state: TableState = { firstColumn: 'level' };

  constructor(
    private readonly form: 'eventviewer-csv' | 'eventviewer-txt',
    private readonly formatName: string,
    private readonly delimiter: ',' | '\t',
    private readonly ctx: FileContext,
  ) {}

  snapshot(): unknown {
    return this.state;
  }

  restore(state: unknown): void {
    if (state && typeof state === 'object') {
      const s = state as { firstColumn?: unknown; header?: unknown };
      this.state = {
        firstColumn: s.firstColumn === 'keywords' ? 'keywords' : 'level',
        ...(Array.isArray(s.header) ? { header: s.header.map(String) } : {}),
      };
    }
  }

  parse(record: SourceRecord): ParseResult<WindowsEvent> {
    const text = record.text;
    const bad = checkRecordText(text, this.formatName);
    if (bad) return bad;
    if (text.trim() === '') return { kind: 'skip' };
    const row = splitDelimitedRow(text.replace(/^\uFEFF/, ''), this.delimiter);
    if ('error' in row) return failure(this.formatName, 'bad_row', `malformed row: ${row.error}`);
    const f = row.fields;
    const english = f[1] === 'Date and Time' && f[3] === 'Event ID';
    if (f.length === 5 && (english || (!this.state.header && readLocalTime(f[1]!) === undefined))) {
      // The header (any language; only the first one may be localised, so a damaged row never becomes the
      // header): remember whether the first column is Level or Keywords.
      const first = f[0]!.trim().toLowerCase();
      this.state = { firstColumn: first === 'keywords' ? 'keywords' : 'level', header: f };
      return { kind: 'skip' };
    }
    if (f.length < 5 || f.length > 6) {
      return failure(
        this.formatName,
        'column_count',
        `row has ${f.length} fields, expected 5 named columns and the message`,
      );
    }
    const [first, when, source, id, task, message] = f as [string, string, string, string, string, string?];
    const eventId = Number(id.trim());
    if (!Number.isInteger(eventId) || eventId < 0 || eventId > 65535) {
      return failure(this.formatName, 'bad_value', `Event ID '${id.slice(0, 40)}' is not 0..65535`);
    }
    if (source.trim() === '') return failure(this.formatName, 'missing_field', 'the Source column is empty');
    const local = readLocalTime(when);
    if (!local) {
      return failure(this.formatName, 'bad_time', `'${when.slice(0, 60)}' is not a date and time this reads`);
    }
    const utc = localToUtcMs(local, this.ctx.timezone);
    if (utc === undefined) {
      return failure(this.formatName, 'bad_timezone', `time zone '${this.ctx.timezone}' is unknown`);
    }
    const byLevel = this.state.firstColumn === 'level';
    const level = byLevel ? levelFromName(first) : undefined;
    const ev: WindowsEvent = {
      form: this.form,
      provider: { name: source.trim() },
      eventId,
      ...(level !== undefined ? { level } : {}),
      timeCreated: new Date(utc).toISOString(),
      timezoneAssumed: this.ctx.timezone,
      eventData: [],
      rendering: {
        ...(message !== undefined && message !== '' ? { message } : {}),
        ...(byLevel && first.trim() ? { level: first.trim() } : {}),
        ...(task.trim() ? { task: task.trim() } : {}),
        ...(!byLevel && first.trim() ? { keywords: [first.trim()] } : {}),
      },
    };
    return { kind: 'event', event: ev };
  }
}
