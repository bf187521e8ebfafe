// One `Log Entry` block of an EAS mailbox log → MailboxLogEntry. Sections are `<Key> :` lines followed by the
// value; a header is recognised only for the known keys (and any `*_Exception` key), because header values,
// XML and stack traces contain colons and blank lines (eas-formats.md 1.3). Times are server-local without an
// offset and are read in FileContext.timezone. Stateless across entries.
// Invariants: never throws; an entry with no sections, no RequestTime, binary content or an unreadable time is a
// ParseFailure with a `mailbox-log.*` code; a broken XML body only adds a warning.

import type { SourceRecord } from '../../pipeline/record.types.js';
import type { FileContext, ParseResult, RecordParser } from '../../pipeline/stages.types.js';
import { parseEasXml, type XmlElement } from './eas-xml.js';
import { parseMailboxLogTime } from './local-time.js';
import type {
  HttpHeader,
  MailboxLogEntry,
  MailboxLogException,
  MailboxLogExceptionSection,
  MailboxLogRequest,
  MailboxLogResponse,
  MailboxLogSection,
} from './mailbox-log.types.js';
import { BAD_TEXT_CHARS } from '../bad-chars.js';

export const MAILBOX_LOG_MAX_ENTRY_CHARS = 8 * 1024 * 1024;

/** Section keys of MailboxLogDataName (Exchange 2013 CU23); `*_Exception` keys are matched by pattern. */
export const MAILBOX_LOG_KEYS: ReadonlySet<string> = new Set([
  'RequestTime',
  'ServerName',
  'AssemblyVersion',
  'Identifier',
  'RequestHeader',
  'RequestBody',
  'LogicalRequest',
  'WasPending',
  'IRM_FailureCode',
  'AccessState',
  'AccessStateReason',
  'DeviceAccessControlRule',
  'ResponseHeader',
  'ResponseBody',
  'ResponseTime',
  'AdditionalData',
]);

// The ` Log Entry: N` block the framer leaves at the start of an entry.
const ENTRY_HEAD_RE = /^\s*-{17}[ \t]*\r?\n[ \t]*Log Entry:[ \t]*(\d+)/;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function fail(code: string, reason: string): ParseResult<MailboxLogEntry> {
  return { kind: 'failure', code: `mailbox-log.${code}`, reason };
}

function isSectionKey(key: string): boolean {
  return MAILBOX_LOG_KEYS.has(key) || key.endsWith('_Exception');
}

// A section header line: `Key :` (the trailing space is often lost in copies), CRLF or LF.
const HEADER_G = /^([A-Za-z][A-Za-z0-9_]*) ?:[ \t]*\r?$/gm;

/**
 * Split an entry into sections by scanning for known header lines (one regex pass, no per-line strings); a value
 * is the text up to the next known header, without surrounding blank lines. Text before the first header is
 * ignored.
 */
export function splitSections(text: string): MailboxLogSection[] {
  const out: MailboxLogSection[] = [];
  let key: string | undefined;
  let start = 0;
  HEADER_G.lastIndex = 0;
  for (let m = HEADER_G.exec(text); m !== null; m = HEADER_G.exec(text)) {
    const k = m[1]!;
    if (!isSectionKey(k)) continue;
    if (key !== undefined) out.push({ key, value: text.slice(start, m.index).trim() });
    key = k;
    start = m.index + m[0].length;
  }
  if (key !== undefined) out.push({ key, value: text.slice(start).trim() });
  return out;
}

function headerLines(lines: readonly string[]): HttpHeader[] {
  const out: HttpHeader[] = [];
  for (const l of lines) {
    const c = l.indexOf(':');
    if (c <= 0) continue;
    out.push({ name: l.slice(0, c).trim(), value: l.slice(c + 1).trim() });
  }
  return out;
}

export function parseRequestHeader(value: string): MailboxLogRequest | undefined {
  const lines = value.split('\n');
  const m = /^([A-Z]+) (\S+)(?: (HTTP\/\d(?:\.\d)?))?\s*$/.exec(lines[0]!.trim());
  if (!m) return undefined;
  const target = m[2]!;
  const q = target.indexOf('?');
  const req: MailboxLogRequest = {
    method: m[1]!,
    path: q < 0 ? target : target.slice(0, q),
    ...(q >= 0 ? { query: target.slice(q + 1) } : {}),
    ...(m[3] !== undefined ? { version: m[3].slice(5) } : {}),
    headers: headerLines(lines.slice(1)),
  };
  return req;
}

export function parseResponseHeader(value: string): MailboxLogResponse | undefined {
  const lines = value.split('\n');
  const m = /^HTTP\/(\d(?:\.\d)?) (\d{3})(?: (.*))?$/.exec(lines[0]!.trim());
  if (!m) return undefined;
  return {
    version: m[1]!,
    status: Number(m[2]),
    ...(m[3] !== undefined && m[3].length > 0 ? { reason: m[3] } : {}),
    headers: headerLines(lines.slice(1)),
  };
}

/** The `--- Exception start ---` block (AirSyncUtility.ExceptionToString), outer exception first. */
export function parseExceptionBlock(value: string): MailboxLogException[] {
  const out: MailboxLogException[] = [];
  type Cur = {
    type: string;
    message: string[];
    level?: number;
    stack: string[];
    httpStatus?: number;
    airSyncStatus?: number;
    protocolLoggerString?: string;
  };
  let cur: Cur | undefined;
  let mode: 'none' | 'message' | 'stack' = 'none';
  const flush = (): void => {
    if (!cur) return;
    // Stack lines are pushed trimmed; drop the empty ones.
    const stack = cur.stack.filter((s) => s.length > 0);
    const frames: string[] = [];
    for (const s of stack) {
      // FRAME_RE (`^at ([^(]+)`) without the regex: the text after `at ` up to the first `(`, if any.
      if (!s.startsWith('at ')) continue;
      const paren = s.indexOf('(', 3);
      const f = paren < 0 ? s.slice(3) : s.slice(3, paren);
      if (f.length > 0) frames.push(f.trim());
    }
    const message = cur.message.join('\n').trim();
    out.push({
      type: cur.type,
      ...(message.length > 0 ? { message } : {}),
      ...(cur.level !== undefined ? { level: cur.level } : {}),
      ...(stack.length > 0 ? { stackTrace: stack.join('\n') } : {}),
      frames,
      ...(cur.httpStatus !== undefined ? { httpStatus: cur.httpStatus } : {}),
      ...(cur.airSyncStatus !== undefined ? { airSyncStatus: cur.airSyncStatus } : {}),
      ...(cur.protocolLoggerString !== undefined ? { protocolLoggerString: cur.protocolLoggerString } : {}),
    });
    cur = undefined;
  };
  for (const raw of value.split('\n')) {
    const t = raw.trim();
    const c0 = t.charCodeAt(0);
    // Most lines are stack frames (`at ...`): only lines starting with `-`, `E`, `I` or an extras name can be
    // markers, so the others skip the prefix tests.
    if (c0 !== 45 && c0 !== 69 && c0 !== 73 && c0 !== 72 && c0 !== 65 && c0 !== 80 && c0 !== 88) {
      if (!cur) continue;
      if (mode === 'message') cur.message.push(raw.trimEnd());
      else if (mode === 'stack') cur.stack.push(t);
      continue;
    }
    if (t.startsWith('--- Exception start') || t.startsWith('--- Exception end')) {
      mode = 'none';
      continue;
    }
    if (t.startsWith('Exception type:')) {
      flush();
      cur = { type: t.slice(15).trim(), message: [], stack: [] };
      mode = 'none';
      continue;
    }
    if (!cur) continue;
    if (t.startsWith('Exception message:')) {
      cur.message.push(t.slice(18).trim());
      mode = 'message';
      continue;
    }
    if (t.startsWith('Exception level:')) {
      const n = Number(t.slice(16).trim());
      if (Number.isInteger(n)) cur.level = n;
      mode = 'none';
      continue;
    }
    if (t.startsWith('Exception stack trace:')) {
      const rest = t.slice(22).trim();
      if (rest.length > 0) cur.stack.push(rest);
      mode = 'stack';
      continue;
    }
    if (t.startsWith('Inner exception follows')) {
      mode = 'none';
      continue;
    }
    if (mode !== 'stack' && /^(HttpStatusCode|AirSyncStatusCode|ProtocolLoggerString|XmlResponse):/.test(t)) {
      // AirSyncPermanentException extras, one line: `HttpStatusCode: 200, AirSyncStatusCode: 110, ...`.
      const hs = /HttpStatusCode: (\d+)/.exec(t);
      if (hs) cur.httpStatus = Number(hs[1]);
      const as = /AirSyncStatusCode: (?:[A-Za-z]\w* ?\(?)?(\d+)/.exec(t);
      if (as) cur.airSyncStatus = Number(as[1]);
      const pl = /ProtocolLoggerString: ([^,\s]*)/.exec(t);
      if (pl && pl[1]!.length > 0) cur.protocolLoggerString = pl[1];
      mode = 'none';
      continue;
    }
    if (mode === 'message') cur.message.push(raw.trimEnd());
    else if (mode === 'stack') cur.stack.push(t);
  }
  flush();
  return out;
}

function xmlSection(
  byKey: Readonly<Record<string, string>>,
  key: string,
  warnings: string[],
): XmlElement | undefined {
  const v = byKey[key];
  if (v === undefined) return undefined;
  const x = parseEasXml(v);
  if (typeof x === 'string') {
    warnings.push(`${key}: ${x}`);
    return undefined;
  }
  return x;
}

export class MailboxLogParser implements RecordParser<MailboxLogEntry> {
  constructor(private readonly ctx: FileContext) {}

  parse(record: SourceRecord): ParseResult<MailboxLogEntry> {
    let text = record.text;
    if (text.length > MAILBOX_LOG_MAX_ENTRY_CHARS) {
      return fail('too_large', `entry of ${text.length} characters exceeds ${MAILBOX_LOG_MAX_ENTRY_CHARS}`);
    }
    if (text.length > 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (!/\S/.test(text)) return { kind: 'skip' };
    if (BAD_TEXT_CHARS.test(text)) {
      return fail(
        'encoding',
        'entry contains control or replacement characters (binary data, or a file in another encoding)',
      );
    }
    const head = ENTRY_HEAD_RE.exec(text.length > 200 ? text.slice(0, 200) : text);
    const entryNumber = head ? Number(head[1]) : undefined;
    const sections = splitSections(text);
    if (sections.length === 0) {
      return fail('no_sections', 'no mailbox-log section (RequestTime :, RequestHeader :, ...) in the entry');
    }
    const byKey: Record<string, string> = {};
    for (const s of sections) if (byKey[s.key] === undefined) byKey[s.key] = s.value;
    const rt = byKey['RequestTime'];
    if (rt === undefined) {
      return fail('no_request_time', 'entry has no RequestTime section, so its time is unknown');
    }
    const zone = this.ctx.timezone;
    const requestTime = parseMailboxLogTime(rt, zone);
    if (requestTime === undefined) {
      return fail(
        'timestamp',
        `RequestTime '${rt.slice(0, 40)}' is not MM/dd/yyyy HH:mm:ss in zone '${zone}'`,
      );
    }
    const warnings: string[] = [];
    let responseTime: string | undefined;
    if (byKey['ResponseTime'] !== undefined) {
      responseTime = parseMailboxLogTime(byKey['ResponseTime'], zone);
      if (responseTime === undefined) warnings.push('unreadable ResponseTime');
    }
    const request =
      byKey['RequestHeader'] !== undefined ? parseRequestHeader(byKey['RequestHeader']) : undefined;
    if (byKey['RequestHeader'] !== undefined && !request) warnings.push('unreadable RequestHeader');
    const response =
      byKey['ResponseHeader'] !== undefined ? parseResponseHeader(byKey['ResponseHeader']) : undefined;
    if (byKey['ResponseHeader'] !== undefined && !response) warnings.push('unreadable ResponseHeader');
    const requestBody = xmlSection(byKey, 'RequestBody', warnings);
    const responseBody = xmlSection(byKey, 'ResponseBody', warnings);
    const exceptions: MailboxLogExceptionSection[] = [];
    for (const s of sections) {
      if (!s.key.endsWith('_Exception')) continue;
      const ex = parseExceptionBlock(s.value);
      if (ex.length > 0) exceptions.push({ key: s.key, exceptions: ex });
      else warnings.push(`${s.key}: no exception block`);
    }
    // Built by assignment rather than conditional spreads: this runs once per entry on the hot path.
    const entry: Mutable<MailboxLogEntry> = {
      sections,
      byKey,
      requestTime,
      timezone: zone,
      exceptions,
      warnings,
    };
    if (entryNumber !== undefined) entry.entryNumber = entryNumber;
    if (responseTime !== undefined) entry.responseTime = responseTime;
    if (request) entry.request = request;
    if (response) entry.response = response;
    if (requestBody) entry.requestBody = requestBody;
    if (responseBody) entry.responseBody = responseBody;
    return { kind: 'event', event: entry };
  }

  snapshot(): null {
    return null;
  }

  restore(): void {}
}
