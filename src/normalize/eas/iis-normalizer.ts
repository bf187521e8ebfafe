// IIS W3C line → ECS. Columns are looked up by name through a per-layout index table computed once per
// `#Fields` (WeakMap), so a line costs a few array reads. Only `/Microsoft-Server-ActiveSync` requests carry EAS
// fields; other requests in the same file (OWA, EWS, autodiscover) still become plain web access documents.
// IIS times are UTC. Cookies are never copied into fields. Columns named by a credential header (cs(Cookie),
// cs(Authorization), cs(X-OWA-CANARY)...) are replaced as a whole in event.original here, because their bare
// values carry no name for FileProcessor's redaction to recognise; FileProcessor redacts the rest.

import type { EcsDocument, JsonValue } from '../../pipeline/document.types.js';
import type { SourceRecord } from '../../pipeline/record.types.js';
import type { FileContext } from '../../pipeline/stages.types.js';
import { decodeEasQuery } from '../../parsers/eas/eas-query.js';
import { cleanIp, splitUser } from '../../parsers/eas/eas-user-agent.js';
import { readLogTokens } from '../../parsers/eas/log-tokens.js';
import type { IisEvent, IisLayout } from '../../parsers/iis/iis.types.js';
import { activeRedactor, REDACTED, type Redactor } from '../../pipeline/redact.js';
import {
  applyEasFacts,
  baseEasDocument,
  keepsOriginal,
  setHost,
  sub,
  type EasFacts,
} from './eas-document.js';

type Obj = { [key: string]: JsonValue };

interface Columns {
  date: number;
  time: number;
  siteName: number;
  computerName: number;
  sIp: number;
  method: number;
  stem: number;
  query: number;
  sPort: number;
  username: number;
  cIp: number;
  version: number;
  userAgent: number;
  referer: number;
  host: number;
  status: number;
  subStatus: number;
  win32Status: number;
  scBytes: number;
  csBytes: number;
  timeTaken: number;
  forwarded: number;
  /** Columns whose values are credentials as a whole, for the redactor that decided it. */
  secret: { readonly redactor: Redactor; readonly columns: readonly number[] };
}

/** `cs(Authorization)` → `Authorization`; a custom column name as it is. */
function headerNameOf(column: string): string {
  const m = /^[a-z]{1,2}\((.+)\)$/i.exec(column);
  return m === null ? column : m[1]!;
}

function secretColumns(layout: IisLayout, redactor: Redactor): Columns['secret'] {
  const columns: number[] = [];
  for (let i = 0; i < layout.names.length; i++) {
    const n = headerNameOf(layout.names[i]!);
    if (redactor.isCredentialName(n, 'header') || redactor.isCredentialName(n, 'field')) columns.push(i);
  }
  return { redactor, columns };
}

const columnCache = new WeakMap<IisLayout, Columns>();

function columnsOf(layout: IisLayout): Columns {
  let c = columnCache.get(layout);
  if (c) {
    const redactor = activeRedactor();
    if (c.secret.redactor !== redactor) c.secret = secretColumns(layout, redactor);
    return c;
  }
  const ix = (name: string): number => layout.index[name] ?? -1;
  let forwarded = -1;
  for (let i = 0; i < layout.names.length; i++) {
    const n = layout.names[i]!.toLowerCase();
    if (n.includes('forwarded') || n === 'originalip' || n === 'cs(x-real-ip)') {
      forwarded = i;
      break;
    }
  }
  c = {
    date: ix('date'),
    time: ix('time'),
    siteName: ix('s-sitename'),
    computerName: ix('s-computername'),
    sIp: ix('s-ip'),
    method: ix('cs-method'),
    stem: ix('cs-uri-stem'),
    query: ix('cs-uri-query'),
    sPort: ix('s-port'),
    username: ix('cs-username'),
    cIp: ix('c-ip'),
    version: ix('cs-version'),
    userAgent: ix('cs(user-agent)'),
    referer: ix('cs(referer)'),
    host: ix('cs-host'),
    status: ix('sc-status'),
    subStatus: ix('sc-substatus'),
    win32Status: ix('sc-win32-status'),
    scBytes: ix('sc-bytes'),
    csBytes: ix('cs-bytes'),
    timeTaken: ix('time-taken'),
    forwarded,
    secret: secretColumns(layout, activeRedactor()),
  };
  columnCache.set(layout, c);
  return c;
}

function val(values: readonly string[], i: number): string | undefined {
  if (i < 0) return undefined;
  const v = values[i];
  return v === undefined || v === '-' || v.length === 0 ? undefined : v;
}

/** A non-negative integer column, or undefined. */
function num(v: string | undefined): number | undefined {
  if (v === undefined || v.length > 15) return undefined;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(v);
}

function plusToSpace(s: string): string {
  return s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ');
}

const EAS_PATH = '/microsoft-server-activesync';
// How every Exchange version writes it: matched first, so most lines need no lower-cased copy of the path.
const EAS_PATH_AS_WRITTEN = '/Microsoft-Server-ActiveSync';

function hasKeys(o: Obj): boolean {
  for (const _ in o) return true;
  return false;
}

/** The record's text without a trailing CR. */
function lineOf(record: SourceRecord): string {
  const text = record.text;
  return text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
}

/**
 * The text every field of the line's document is read from: the line with its credential columns masked
 * (iisFormat.redactionText, FileProcessor's trigger scan when event.original is not stored).
 */
export function iisRedactionText(event: IisEvent, record: SourceRecord): string {
  const c = columnsOf(event.layout);
  if (c.secret.columns.length > 0) {
    const masked = maskColumns(event.values, c.secret.columns);
    if (masked !== undefined) return masked.join(' ');
  }
  return lineOf(record);
}

export function normalizeIis(event: IisEvent, record: SourceRecord, ctx: FileContext): EcsDocument[] {
  let v = event.values;
  const c = columnsOf(event.layout);
  let masked: string[] | undefined;
  if (c.secret.columns.length > 0) {
    // Every field below is read from `v`: with the credential columns masked in it too, every string of the
    // document is derived from event.original (iisFormat.redactionScope).
    masked = maskColumns(v, c.secret.columns);
    if (masked !== undefined) v = masked;
  }
  const original = keepsOriginal(ctx)
    ? masked !== undefined
      ? masked.join(' ')
      : lineOf(record)
    : undefined;
  const doc = baseEasDocument(`${v[c.date]}T${v[c.time]}.000Z`, original, record, ctx, 'iis');
  setHost(doc, val(v, c.computerName), ctx);

  const method = val(v, c.method);
  const stem = val(v, c.stem);
  const rawQuery = val(v, c.query);
  const statusCode = num(val(v, c.status));
  const http: Obj = {};
  if (method !== undefined) http['request'] = { method };
  if (statusCode !== undefined) http['response'] = { status_code: statusCode };
  const version = val(v, c.version);
  if (version !== undefined) http['version'] = version.startsWith('HTTP/') ? version.slice(5) : version;
  const referer = val(v, c.referer);
  if (referer !== undefined) sub(http, 'request')['referrer'] = referer;
  const scBytes = num(val(v, c.scBytes));
  if (scBytes !== undefined) sub(http, 'response')['bytes'] = scBytes;
  const csBytes = num(val(v, c.csBytes));
  if (csBytes !== undefined) sub(http, 'request')['bytes'] = csBytes;

  const url: Obj = {};
  if (stem !== undefined) url['path'] = stem;
  const isEas =
    stem !== undefined &&
    // (A slice compared with `===` is a memory compare; startsWith is the slower generic path.)
    (stem.slice(0, EAS_PATH_AS_WRITTEN.length) === EAS_PATH_AS_WRITTEN ||
      stem.toLowerCase().startsWith(EAS_PATH));
  // An EAS request's query is not stored whole: its parameters and `&Log=` tokens are fields, and what no field
  // holds goes to microsoft.exchange.activesync.query_rest (applyEasFacts). Other requests keep url.query.
  if (rawQuery !== undefined && !isEas) url['query'] = rawQuery;
  const csHost = val(v, c.host);
  if (csHost !== undefined) {
    const colon = csHost.lastIndexOf(':');
    const port = colon > 0 ? num(csHost.slice(colon + 1)) : undefined;
    if (port !== undefined && csHost.indexOf(']') < colon) {
      url['domain'] = csHost.slice(0, colon);
      url['port'] = port;
    } else url['domain'] = csHost;
  }
  // `for in` instead of Object.keys(...).length: no key array per line.
  if (hasKeys(url)) doc['url'] = url;
  if (hasKeys(http)) doc['http'] = http;

  const sIp = cleanIp(val(v, c.sIp) ?? '');
  const sPort = num(val(v, c.sPort));
  if (sIp !== undefined || sPort !== undefined) {
    const server: Obj = {};
    if (sIp !== undefined) server['ip'] = sIp;
    if (sPort !== undefined) server['port'] = sPort;
    doc['server'] = server;
  }
  const cIp = cleanIp(val(v, c.cIp) ?? '');
  if (cIp !== undefined) doc['source'] = { ip: cIp };
  const fwd = val(v, c.forwarded);
  if (fwd !== undefined) {
    const first = plusToSpace(fwd).split(',')[0]!.trim();
    const ip = cleanIp(first);
    if (ip !== undefined) doc['network'] = { forwarded_ip: ip };
  }
  const taken = num(val(v, c.timeTaken));
  if (taken !== undefined) sub(doc, 'event')['duration'] = taken * 1_000_000;

  const iis: Obj = {};
  const site = val(v, c.siteName);
  if (site !== undefined) iis['site_name'] = site;
  const subStatus = num(val(v, c.subStatus));
  if (subStatus !== undefined) iis['sub_status'] = subStatus;
  const win32 = num(val(v, c.win32Status));
  if (win32 !== undefined) iis['win32_status'] = win32;
  if (event.layout.assumed) iis['fields_assumed'] = true;

  const ua = val(v, c.userAgent);
  const username = val(v, c.username);
  if (isEas) {
    const q = decodeEasQuery(rawQuery ?? '');
    const facts: {
      -readonly [K in keyof EasFacts]: EasFacts[K];
    } = {};
    if (q.cmd !== undefined) facts.command = q.cmd;
    const user = username ?? q.user;
    if (user !== undefined) facts.user = user;
    if (q.deviceId !== undefined) facts.deviceId = q.deviceId;
    if (q.deviceType !== undefined) facts.deviceType = q.deviceType;
    if (q.protocolVersion !== undefined) facts.protocolVersion = q.protocolVersion;
    if (q.policyKey !== undefined) facts.policyKey = q.policyKey;
    if (q.encoding !== 'none') facts.queryEncoding = q.encoding;
    if (ua !== undefined) facts.userAgent = plusToSpace(ua);
    if (statusCode !== undefined) facts.httpStatus = statusCode;
    if (rawQuery !== undefined) facts.query = rawQuery;
    if (q.cafeRequestId !== undefined) sub(sub(doc, 'http'), 'request')['id'] = q.cafeRequestId;
    if (q.log !== undefined) {
      const { summary: s, scan, map } = readLogTokens(q.log, ctx.easLogTokens === true);
      facts.queryLog = scan;
      if (map !== undefined) facts.logTokens = map;
      if (s.status !== undefined) facts.status = s.status;
      if (s.error !== undefined) facts.errorToken = s.error;
      if (s.protocolVersion !== undefined) facts.protocolVersion = s.protocolVersion;
      if (s.heartbeatSeconds !== undefined) facts.heartbeatSeconds = s.heartbeatSeconds;
      if (s.deviceOs !== undefined) facts.deviceOs = s.deviceOs;
      if (s.deviceModel !== undefined) facts.deviceModel = s.deviceModel;
      if (s.accessState !== undefined) facts.accessState = s.accessState;
      if (s.accessStateReason !== undefined) facts.accessStateReason = s.accessStateReason;
      if (s.mailboxServer !== undefined) facts.mailboxServer = s.mailboxServer;
      if (s.domainController !== undefined) facts.domainController = s.domainController;
      if (s.proxiedFrom !== undefined) facts.proxiedFrom = s.proxiedFrom;
      if (s.policyKey !== undefined) facts.policyKey = s.policyKey;
      if (s.throttle !== undefined) facts.throttle = s.throttle;
      if (s.elapsedMs !== undefined) facts.elapsedMs = s.elapsedMs;
      if (s.smtpAddress !== undefined) facts.userEmail = s.smtpAddress;
    }
    applyEasFacts(doc, facts, 'iis');
    if (hasKeys(iis)) sub(sub(doc, 'microsoft'), 'exchange')['iis'] = iis;
  } else {
    // Not an EAS request: a plain web access document with the same base fields.
    const e = sub(doc, 'event');
    e['outcome'] = statusCode === undefined ? 'unknown' : statusCode >= 400 ? 'failure' : 'success';
    const u = username !== undefined ? splitUser(username) : undefined;
    if (u !== undefined)
      doc['user'] = u.domain !== undefined ? { name: u.name, domain: u.domain } : { name: u.name };
    if (ua !== undefined) doc['user_agent'] = { original: plusToSpace(ua) };
    if (hasKeys(iis)) doc['microsoft'] = { exchange: { iis } };
  }
  return [doc];
}

/** The values with the given columns replaced (`-`, IIS's empty value, stays), or undefined if none was. */
function maskColumns(values: readonly string[], columns: readonly number[]): string[] | undefined {
  let masked: string[] | undefined;
  for (const i of columns) {
    const x = values[i];
    if (x === undefined || x === '-' || x === '') continue;
    masked ??= [...values];
    masked[i] = REDACTED;
  }
  return masked;
}
