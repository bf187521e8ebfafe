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
import { applyEasFacts, baseEasDocument, setHost, sub, type EasFacts } from './eas-document.js';

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
 * (iisFormat.redactionText, FileProcessor's trigger scan when event.original is not stored; a trailing CR may
 * remain).
 */
export function iisRedactionText(event: IisEvent, record: SourceRecord): string {
  const c = columnsOf(event.layout);
  if (c.secret.columns.length > 0) {
    const masked = maskColumns(event.values, c.secret.columns);
    if (masked !== undefined) return masked.join(' ');
  }
  // A trailing CR changes nothing for the trigger scan: no copy without it.
  return record.text;
}

/** Everything one IIS line's document holds, read once; `iisDocument` and `writeIisJson` both build from it. */
export interface IisLine {
  readonly timestamp: string;
  /** event.original when the input keeps it. */
  readonly original: string | undefined;
  readonly server: string | undefined;
  readonly method: string | undefined;
  readonly stem: string | undefined;
  readonly rawQuery: string | undefined;
  readonly statusCode: number | undefined;
  readonly httpVersion: string | undefined;
  readonly referer: string | undefined;
  readonly scBytes: number | undefined;
  readonly csBytes: number | undefined;
  readonly domain: string | undefined;
  readonly port: number | undefined;
  readonly sIp: string | undefined;
  readonly sPort: number | undefined;
  readonly cIp: string | undefined;
  readonly forwardedIp: string | undefined;
  readonly taken: number | undefined;
  readonly site: string | undefined;
  readonly subStatus: number | undefined;
  readonly win32: number | undefined;
  readonly assumed: boolean;
  readonly userAgent: string | undefined;
  readonly username: string | undefined;
  /** Set for `/Microsoft-Server-ActiveSync` requests. */
  readonly eas: EasFacts | undefined;
  readonly cafeRequestId: string | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Reads the line's values (credential columns masked) into an IisLine. */
export function readIisLine(event: IisEvent, record: SourceRecord, ctx: FileContext): IisLine {
  let v = event.values;
  const c = columnsOf(event.layout);
  let masked: string[] | undefined;
  if (c.secret.columns.length > 0) {
    // Every field below is read from `v`: with the credential columns masked in it too, every string of the
    // document is derived from the masked line (iisFormat.redactionScope).
    masked = maskColumns(v, c.secret.columns);
    if (masked !== undefined) v = masked;
  }
  const original =
    ctx.preserveOriginalEvent === true
      ? masked !== undefined
        ? masked.join(' ')
        : lineOf(record)
      : undefined;
  const stem = val(v, c.stem);
  const rawQuery = val(v, c.query);
  const statusCode = num(val(v, c.status));
  const version = val(v, c.version);
  let domain: string | undefined;
  let port: number | undefined;
  const csHost = val(v, c.host);
  if (csHost !== undefined) {
    const colon = csHost.lastIndexOf(':');
    const p = colon > 0 ? num(csHost.slice(colon + 1)) : undefined;
    if (p !== undefined && csHost.indexOf(']') < colon) {
      domain = csHost.slice(0, colon);
      port = p;
    } else domain = csHost;
  }
  const fwd = val(v, c.forwarded);
  const ua = val(v, c.userAgent);
  const username = val(v, c.username);
  const isEas =
    stem !== undefined && (stem.startsWith(EAS_PATH_AS_WRITTEN) || stem.toLowerCase().startsWith(EAS_PATH));
  let eas: Mutable<EasFacts> | undefined;
  let cafeRequestId: string | undefined;
  if (isEas) {
    const q = decodeEasQuery(rawQuery ?? '');
    eas = {};
    if (q.cmd !== undefined) eas.command = q.cmd;
    const user = username ?? q.user;
    if (user !== undefined) eas.user = user;
    if (q.deviceId !== undefined) eas.deviceId = q.deviceId;
    if (q.deviceType !== undefined) eas.deviceType = q.deviceType;
    if (q.protocolVersion !== undefined) eas.protocolVersion = q.protocolVersion;
    if (q.policyKey !== undefined) eas.policyKey = q.policyKey;
    if (q.encoding !== 'none') eas.queryEncoding = q.encoding;
    if (ua !== undefined) eas.userAgent = plusToSpace(ua);
    if (statusCode !== undefined) eas.httpStatus = statusCode;
    cafeRequestId = q.cafeRequestId;
    if (q.log !== undefined) {
      const { summary: s, map } = readLogTokens(q.log, ctx.easLogTokens === true);
      if (map !== undefined) eas.logTokens = map;
      if (s.status !== undefined) eas.status = s.status;
      if (s.error !== undefined) eas.errorToken = s.error;
      if (s.protocolVersion !== undefined) eas.protocolVersion = s.protocolVersion;
      if (s.heartbeatSeconds !== undefined) eas.heartbeatSeconds = s.heartbeatSeconds;
      if (s.deviceOs !== undefined) eas.deviceOs = s.deviceOs;
      if (s.deviceModel !== undefined) eas.deviceModel = s.deviceModel;
      if (s.accessState !== undefined) eas.accessState = s.accessState;
      if (s.accessStateReason !== undefined) eas.accessStateReason = s.accessStateReason;
      if (s.mailboxServer !== undefined) eas.mailboxServer = s.mailboxServer;
      if (s.domainController !== undefined) eas.domainController = s.domainController;
      if (s.proxiedFrom !== undefined) eas.proxiedFrom = s.proxiedFrom;
      if (s.policyKey !== undefined) eas.policyKey = s.policyKey;
      if (s.throttle !== undefined) eas.throttle = s.throttle;
      if (s.elapsedMs !== undefined) eas.elapsedMs = s.elapsedMs;
      if (s.smtpAddress !== undefined) eas.userEmail = s.smtpAddress;
    }
  }
  let forwardedIp: string | undefined;
  if (fwd !== undefined) forwardedIp = cleanIp(plusToSpace(fwd).split(',')[0]!.trim());
  return {
    timestamp: `${v[c.date]}T${v[c.time]}.000Z`,
    original,
    server: val(v, c.computerName),
    method: val(v, c.method),
    stem,
    rawQuery,
    statusCode,
    httpVersion: version === undefined ? undefined : version.startsWith('HTTP/') ? version.slice(5) : version,
    referer: val(v, c.referer),
    scBytes: num(val(v, c.scBytes)),
    csBytes: num(val(v, c.csBytes)),
    domain,
    port,
    sIp: cleanIp(val(v, c.sIp) ?? ''),
    sPort: num(val(v, c.sPort)),
    cIp: cleanIp(val(v, c.cIp) ?? ''),
    forwardedIp,
    taken: num(val(v, c.timeTaken)),
    site: val(v, c.siteName),
    subStatus: num(val(v, c.subStatus)),
    win32: num(val(v, c.win32Status)),
    assumed: event.layout.assumed === true,
    userAgent: ua,
    username,
    eas,
    cafeRequestId,
  };
}

export function normalizeIis(event: IisEvent, record: SourceRecord, ctx: FileContext): EcsDocument[] {
  return [iisDocument(readIisLine(event, record, ctx), record, ctx)];
}

/** The document of a line, as nested objects. writeIisJson must write the same fields in the same order. */
export function iisDocument(f: IisLine, record: SourceRecord, ctx: FileContext): EcsDocument {
  const original = f.original;
  const doc = baseEasDocument(f.timestamp, original, record, ctx, 'iis');
  setHost(doc, f.server, ctx);

  const http: Obj = {};
  if (f.method !== undefined) http['request'] = { method: f.method };
  if (f.statusCode !== undefined) http['response'] = { status_code: f.statusCode };
  if (f.httpVersion !== undefined) http['version'] = f.httpVersion;
  if (f.referer !== undefined) sub(http, 'request')['referrer'] = f.referer;
  if (f.scBytes !== undefined) sub(http, 'response')['bytes'] = f.scBytes;
  if (f.csBytes !== undefined) sub(http, 'request')['bytes'] = f.csBytes;

  const url: Obj = {};
  if (f.stem !== undefined) url['path'] = f.stem;
  if (f.rawQuery !== undefined) url['query'] = f.rawQuery;
  if (f.domain !== undefined) url['domain'] = f.domain;
  if (f.port !== undefined) url['port'] = f.port;
  // `for in` instead of Object.keys(...).length: no key array per line.
  if (hasKeys(url)) doc['url'] = url;
  if (hasKeys(http)) doc['http'] = http;

  if (f.sIp !== undefined || f.sPort !== undefined) {
    const server: Obj = {};
    if (f.sIp !== undefined) server['ip'] = f.sIp;
    if (f.sPort !== undefined) server['port'] = f.sPort;
    doc['server'] = server;
  }
  if (f.cIp !== undefined) doc['source'] = { ip: f.cIp };
  if (f.forwardedIp !== undefined) doc['network'] = { forwarded_ip: f.forwardedIp };
  if (f.taken !== undefined) sub(doc, 'event')['duration'] = f.taken * 1_000_000;

  const iis: Obj = {};
  if (f.site !== undefined) iis['site_name'] = f.site;
  if (f.subStatus !== undefined) iis['sub_status'] = f.subStatus;
  if (f.win32 !== undefined) iis['win32_status'] = f.win32;
  if (f.assumed) iis['fields_assumed'] = true;

  if (f.eas !== undefined) {
    if (f.cafeRequestId !== undefined) sub(sub(doc, 'http'), 'request')['id'] = f.cafeRequestId;
    applyEasFacts(doc, f.eas, 'iis');
    if (hasKeys(iis)) sub(sub(doc, 'microsoft'), 'exchange')['iis'] = iis;
  } else {
    // Not an EAS request: a plain web access document with the same base fields.
    const e = sub(doc, 'event');
    const status = f.statusCode;
    e['outcome'] = status === undefined ? 'unknown' : status >= 400 ? 'failure' : 'success';
    const u = f.username !== undefined ? splitUser(f.username) : undefined;
    if (u !== undefined)
      doc['user'] = u.domain !== undefined ? { name: u.name, domain: u.domain } : { name: u.name };
    if (f.userAgent !== undefined) doc['user_agent'] = { original: plusToSpace(f.userAgent) };
    if (hasKeys(iis)) doc['microsoft'] = { exchange: { iis } };
  }
  return doc;
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
