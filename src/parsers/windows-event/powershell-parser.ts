// PowerShell exports of `Get-WinEvent` records → WindowsEvent:
// - `Export-Csv`: optional `#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord` line (5.1; 6+ omits
//   it), a header of property names, every value quoted. `TimeCreated` is local time in the exporter's
//   culture; `Properties` degrades to a type name, so insertion strings survive only inside `Message`.
// - `ConvertTo-Json`: an array, or one object per line (`-Compress`). 5.1 writes `TimeCreated` as
//   `\/Date(ms)\/` (UTC epoch ms), PowerShell 7 as ISO 8601 with an offset. `Properties` are type names at
//   the default depth, `{ "Value": ... }` objects at -Depth 3+; a `Data` array (the Select-Object shape we
//   recommend to exporters) gives the insertion strings by position.
// Property names: https://learn.microsoft.com/dotnet/api/system.diagnostics.eventing.reader.eventlogrecord

import type { SourceRecord } from '../../pipeline/record.types.js';
import type { FileContext, ParseResult, RecordParser } from '../../pipeline/stages.types.js';
import { splitDelimitedRow } from '../delimited-row.js';
import { localToUtcMs, readLocalTime } from './local-time.js';
import { checkRecordText, failure } from './record-checks.js';
import { keywordsHex, parseKeywords } from './windows-meta.js';
import type { WindowsEvent, WindowsEventData } from './windows-event.types.js';

type Form = 'powershell-csv' | 'powershell-json';

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    // SecurityIdentifier, Guid and ETS-wrapped values serialise as objects holding the value.
    const o = v as Record<string, unknown>;
    return str(o['Value'] ?? o['value'] ?? o['Guid']);
  }
  return undefined;
}

function int(v: unknown, max: number): number | undefined {
  const s = str(v)?.trim();
  if (s === undefined || !/^\d{1,10}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= max ? n : undefined;
}

/** A .NET type name where a value used to be (Export-Csv of collections, ConvertTo-Json past its depth). */
function isTypeName(s: string): boolean {
  return /^System\.[\w.`[\]]+$/.test(s.trim());
}

function guid(v: unknown): string | undefined {
  const s = str(v)?.trim();
  if (!s || !/^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i.test(s))
    return undefined;
  return s.startsWith('{') ? s : `{${s}}`;
}

type TimeResult = { iso: string; assumed?: string } | { error: string };

/** TimeCreated in any of the shapes PowerShell writes. */
function readTime(v: unknown, ctx: FileContext): TimeResult {
  const s = str(v)?.trim();
  if (!s) return { error: 'TimeCreated is missing' };
  const ms = /^\/Date\((-?\d{1,15})([+-]\d{4})?\)\/$/.exec(s);
  if (ms) return { iso: new Date(Number(ms[1])).toISOString() };
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)$/.test(s)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return { iso: new Date(t).toISOString() };
  }
  const local = readLocalTime(s);
  if (!local) return { error: `TimeCreated '${s.slice(0, 60)}' is not a date and time this reads` };
  const utc = localToUtcMs(local, ctx.timezone);
  if (utc === undefined) return { error: `time zone '${ctx.timezone}' is unknown` };
  return { iso: new Date(utc).toISOString(), assumed: ctx.timezone };
}

function dataItems(obj: Record<string, unknown>): WindowsEventData[] {
  const data = obj['Data'];
  if (Array.isArray(data)) return data.map((d) => ({ value: str(d) ?? '' }));
  if (typeof data === 'string' && !isTypeName(data)) return [{ value: data }];
  const props = obj['Properties'];
  if (Array.isArray(props)) {
    const out: WindowsEventData[] = [];
    for (const p of props) {
      if (p && typeof p === 'object' && 'Value' in p)
        out.push({ value: str((p as { Value: unknown }).Value) ?? '' });
      else return []; // degraded to type names: values lost
    }
    return out;
  }
  return [];
}

// Get-EventLog (System.Diagnostics.EventLogEntry, the classic API that Exchange 2010-era admins use) has its
// own property names; EntryType is an enum name in CSV and its number in JSON.
// https://learn.microsoft.com/dotnet/api/system.diagnostics.eventlogentry
const ENTRY_TYPES: Readonly<Record<string, { level: number; name: string; keyword?: string }>> = {
  '1': { level: 2, name: 'Error' },
  Error: { level: 2, name: 'Error' },
  '2': { level: 3, name: 'Warning' },
  Warning: { level: 3, name: 'Warning' },
  '4': { level: 4, name: 'Information' },
  Information: { level: 4, name: 'Information' },
  // Security audits are logged at level 0 (LogAlways), which Event Viewer shows as Information.
  '8': { level: 0, name: 'Information', keyword: 'Audit Success' },
  SuccessAudit: { level: 0, name: 'Information', keyword: 'Audit Success' },
  '16': { level: 0, name: 'Information', keyword: 'Audit Failure' },
  FailureAudit: { level: 0, name: 'Information', keyword: 'Audit Failure' },
};

function fromEventLogEntry(o: Record<string, unknown>): Record<string, unknown> {
  const entryType = str(o['EntryType'])?.trim() ?? '';
  const type = Object.hasOwn(ENTRY_TYPES, entryType) ? ENTRY_TYPES[entryType] : undefined;
  const instance = str(o['InstanceId'])?.trim();
  const category = str(o['Category'])?.trim();
  const strings = o['ReplacementStrings'];
  return {
    Id: o['EventID'],
    ProviderName: o['Source'],
    TimeCreated: o['TimeGenerated'],
    MachineName: o['MachineName'],
    RecordId: o['Index'],
    Task: o['CategoryNumber'],
    // `(1)` is what .NET shows when the source has no category names: no name, not a name.
    TaskDisplayName: category && !/^\(\d+\)$/.test(category) ? category : undefined,
    Qualifiers: instance && /^\d{1,10}$/.test(instance) ? Math.floor(Number(instance) / 65536) : undefined,
    Level: type?.level,
    LevelDisplayName: type?.name,
    KeywordsDisplayNames: type?.keyword ? [type.keyword] : undefined,
    Message: o['Message'],
    Data: Array.isArray(strings) ? strings : undefined,
  };
}

/**
 * Maps one EventLogRecord-shaped object (Export-Csv row zipped with its header, or a JSON object).
 * `raw.keywords`/`raw.recordId` carry digits read from the JSON text where a JS number would lose precision.
 */
export function fromPowerShellObject(
  input: Record<string, unknown>,
  form: Form,
  formatName: string,
  ctx: FileContext,
  raw: { keywords?: string; recordId?: string } = {},
): ParseResult<WindowsEvent> {
  const obj = 'TimeGenerated' in input && !('TimeCreated' in input) ? fromEventLogEntry(input) : input;
  const idText = str(obj['Id'] ?? obj['EventID'] ?? obj['EventId'])?.trim();
  if (idText === undefined) return failure(formatName, 'missing_field', 'the record has no Id');
  const eventId = /^\d{1,5}$/.test(idText) ? Number(idText) : NaN;
  if (!(eventId <= 65535))
    return failure(formatName, 'bad_value', `Id '${idText.slice(0, 40)}' is not 0..65535`);
  const provider = str(obj['ProviderName'])?.trim();
  if (!provider) return failure(formatName, 'missing_field', 'the record has no ProviderName');
  const time = readTime(obj['TimeCreated'], ctx);
  if ('error' in time) return failure(formatName, 'bad_time', time.error);

  const kwText = raw.keywords ?? str(obj['Keywords']);
  const kw = kwText !== undefined ? parseKeywords(kwText) : undefined;
  const recordId = raw.recordId ?? str(obj['RecordId'])?.trim();
  const kwNames = obj['KeywordsDisplayNames'];
  const rendering = {
    ...(str(obj['Message']) ? { message: str(obj['Message'])! } : {}),
    ...(str(obj['LevelDisplayName']) ? { level: str(obj['LevelDisplayName'])!.trim() } : {}),
    ...(str(obj['TaskDisplayName']) ? { task: str(obj['TaskDisplayName'])!.trim() } : {}),
    ...(str(obj['OpcodeDisplayName']) ? { opcode: str(obj['OpcodeDisplayName'])!.trim() } : {}),
    ...(Array.isArray(kwNames) && kwNames.length > 0
      ? { keywords: kwNames.map((k) => str(k) ?? '').filter((k) => k !== '') }
      : {}),
  };
  const set = <T>(key: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [key]: v });
  const userId = str(obj['UserId'])?.trim();
  const ev: WindowsEvent = {
    form,
    provider: { name: provider, ...set('guid', guid(obj['ProviderId'])) },
    eventId,
    ...set('qualifiers', int(obj['Qualifiers'], 65535)),
    ...set('version', int(obj['Version'], 255)),
    ...set('level', int(obj['Level'], 255)),
    ...set('task', int(obj['Task'], 65535)),
    ...set('opcode', int(obj['Opcode'], 255)),
    ...set('keywords', kw !== undefined ? keywordsHex(kw) : undefined),
    timeCreated: time.iso,
    ...set('timezoneAssumed', time.assumed),
    ...set('recordId', recordId && /^\d{1,20}$/.test(recordId) ? recordId : undefined),
    ...set('activityId', guid(obj['ActivityId'])),
    ...set('relatedActivityId', guid(obj['RelatedActivityId'])),
    ...set('processId', int(obj['ProcessId'], 0xffffffff)),
    ...set('threadId', int(obj['ThreadId'], 0xffffffff)),
    ...set('channel', str(obj['LogName'])?.trim()),
    ...set('computer', str(obj['MachineName'])?.trim()),
    ...set('userId', userId && /^S-\d/.test(userId) ? userId : undefined),
    eventData: dataItems(obj),
    ...(Object.keys(rendering).length > 0 ? { rendering } : {}),
  };
  return { kind: 'event', event: ev };
}

/** `Get-WinEvent | Export-Csv` rows. The header (and `#TYPE` line) arrive as records and become state. */
export class PowerShellCsvParser implements RecordParser<WindowsEvent> {
  private header: string[] | undefined;

  constructor(
    private readonly formatName: string,
    private readonly ctx: FileContext,
  ) {}

  snapshot(): unknown {
    return { header: this.header ?? null };
  }

  restore(state: unknown): void {
    const h = state && typeof state === 'object' ? (state as { header?: unknown }).header : undefined;
    this.header = Array.isArray(h) ? h.map(String) : undefined;
  }

  parse(record: SourceRecord): ParseResult<WindowsEvent> {
    const text = record.text.replace(/^\uFEFF/, '');
    const bad = checkRecordText(text, this.formatName);
    if (bad) return bad;
    if (text.trim() === '') return { kind: 'skip' };
    if (text.startsWith('#')) return { kind: 'skip' }; // #TYPE System.Diagnostics.Eventing.Reader.EventLogRecord
    const row = splitDelimitedRow(text, ',');
    if ('error' in row) return failure(this.formatName, 'bad_row', `malformed row: ${row.error}`);
    const f = row.fields;
    if (
      (f.includes('Id') && f.includes('ProviderName') && f.includes('TimeCreated')) ||
      (f.includes('EventID') && f.includes('Source') && f.includes('TimeGenerated'))
    ) {
      this.header = f;
      return { kind: 'skip' };
    }
    if (!this.header) {
      return failure(
        this.formatName,
        'no_header',
        'row before the header line (Id, ProviderName, TimeCreated)',
      );
    }
    if (f.length !== this.header.length) {
      return failure(
        this.formatName,
        'column_count',
        `row has ${f.length} fields, the header names ${this.header.length}`,
      );
    }
    const obj: Record<string, unknown> = {};
    this.header.forEach((name, i) => (obj[name] = f[i]));
    return fromPowerShellObject(obj, 'powershell-csv', this.formatName, this.ctx);
  }
}

/** `Get-WinEvent | ConvertTo-Json`: one object per record (the json framer splits a top-level array). */
export class PowerShellJsonParser implements RecordParser<WindowsEvent> {
  constructor(
    private readonly formatName: string,
    private readonly ctx: FileContext,
  ) {}

  snapshot(): unknown {
    return null;
  }

  restore(): void {}

  parse(record: SourceRecord): ParseResult<WindowsEvent> {
    const text = record.text.replace(/^\uFEFF/, '');
    const bad = checkRecordText(text, this.formatName);
    if (bad) return bad;
    const t = text.trim().replace(/,$/, '');
    if (t === '' || t === '[' || t === ']') return { kind: 'skip' };
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return failure(this.formatName, 'malformed', `malformed JSON: ${msg.slice(0, 160)}`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      return failure(this.formatName, 'not_object', 'the JSON value is not an object (one event per record)');
    }
    return fromPowerShellObject(
      value as Record<string, unknown>,
      'powershell-json',
      this.formatName,
      this.ctx,
      {
        ...rawDigits(t, KEYWORDS_DIGITS, 'keywords'),
        ...rawDigits(t, RECORD_ID_DIGITS, 'recordId'),
      },
    );
  }
}

// 64-bit Keywords (e.g. -9214364837600034816 for Audit Success) lose precision as JS numbers; read the digits.
const KEYWORDS_DIGITS = /"Keywords"\s*:\s*(-?\d{1,20})\s*[,}]/;
const RECORD_ID_DIGITS = /"RecordId"\s*:\s*(\d{1,20})\s*[,}]/;

function rawDigits(
  json: string,
  re: RegExp,
  key: 'keywords' | 'recordId',
): Partial<Record<typeof key, string>> {
  const m = re.exec(json);
  return m ? { [key]: m[1]! } : {};
}
