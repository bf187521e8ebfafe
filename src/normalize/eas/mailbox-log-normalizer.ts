// Mailbox-log entry → ECS. The entry is the richest EAS record: request line and headers, the decoded request
// body (Provision's DeviceInformation gives model, OS and user agent), the response status, and exceptions with
// stack frames (the KB 2851708 signature: Command_WorkerThread_Exception, System.ArgumentOutOfRangeException,
// a frame in MessageDigestForNonCryptographicPurposes.HashCore). Times were server-local; event.timezone says which
// zone was assumed. Header values are kept as written; FileProcessor redacts every string and every value under
// a credential key (Authorization, Cookie, ...), so they never leave the pipeline unredacted.

import type { EcsDocument, JsonValue } from '../../pipeline/document.types.js';
import type { SourceRecord } from '../../pipeline/record.types.js';
import type { FileContext } from '../../pipeline/stages.types.js';
import { decodeEasQuery } from '../../parsers/eas/eas-query.js';
import { normalizeBuild } from '../../parsers/eas/eas-user-agent.js';
import { readLogTokens } from '../../parsers/eas/log-tokens.js';
import { childText, findElement } from '../../parsers/mailbox-log/eas-xml.js';
import type { HttpHeader, MailboxLogEntry } from '../../parsers/mailbox-log/mailbox-log.types.js';
import {
  applyEasFacts,
  baseEasDocument,
  keepsOriginal,
  setHost,
  sub,
  type EasException,
  type EasFacts,
} from './eas-document.js';

type Obj = { [key: string]: JsonValue };
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * First header per lower-cased name (what `headers.find` by name would return), built once per header block: the
 * normalizer looks up half a dozen names and lower-casing every header name per lookup showed in profiles.
 */
function headerIndex(headers: readonly HttpHeader[] | undefined): Map<string, string> | undefined {
  if (!headers || headers.length === 0) return undefined;
  const out = new Map<string, string>();
  for (const h of headers) {
    const n = h.name.toLowerCase();
    if (!out.has(n)) out.set(n, h.value);
  }
  return out;
}

/** `name` must be lower-case. An empty value counts as absent (the first header of that name decides). */
function header(index: Map<string, string> | undefined, name: string): string | undefined {
  const v = index?.get(name);
  return v !== undefined && v.length > 0 ? v : undefined;
}

function headerMap(headers: readonly HttpHeader[]): Obj {
  const out: Obj = {};
  for (const h of headers) {
    if (h.name.length === 0 || out[h.name] !== undefined) continue;
    out[h.name] = h.value;
  }
  return out;
}

function intOf(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d{1,15}$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

export function normalizeMailboxLog(
  entry: MailboxLogEntry,
  record: SourceRecord,
  ctx: FileContext,
): EcsDocument[] {
  const doc = baseEasDocument(
    entry.requestTime,
    keepsOriginal(ctx) ? record.text : undefined,
    record,
    ctx,
    'mailbox-log',
  );
  const event = sub(doc, 'event');
  event['timezone'] = entry.timezone;
  event['start'] = entry.requestTime;
  if (entry.responseTime !== undefined) {
    event['end'] = entry.responseTime;
    const d = Date.parse(entry.responseTime) - Date.parse(entry.requestTime);
    if (d >= 0) event['duration'] = d * 1_000_000;
  }
  const k = entry.byKey;
  setHost(doc, k['ServerName']?.trim(), ctx);

  const facts: Mutable<EasFacts> = {};
  const req = entry.request;
  const as: Obj = {};
  if (req) {
    const http = sub(doc, 'http');
    const request = sub(http, 'request');
    request['method'] = req.method;
    if (req.version !== undefined) http['version'] = req.version;
    const url = sub(doc, 'url');
    url['path'] = req.path;
    const reqHeaders = headerIndex(req.headers);
    const host = header(reqHeaders, 'host');
    if (host !== undefined) url['domain'] = host;
    const len = intOf(header(reqHeaders, 'content-length'));
    if (len !== undefined) request['body'] = { bytes: len };
    const ct = header(reqHeaders, 'content-type');
    if (ct !== undefined) request['mime_type'] = ct;

    const q = decodeEasQuery(req.query ?? '');
    if (q.cmd !== undefined) facts.command = q.cmd;
    if (q.user !== undefined) facts.user = q.user;
    if (q.deviceId !== undefined) facts.deviceId = q.deviceId;
    if (q.deviceType !== undefined) facts.deviceType = q.deviceType;
    if (q.protocolVersion !== undefined) facts.protocolVersion = q.protocolVersion;
    if (q.encoding !== 'none') facts.queryEncoding = q.encoding;
    // Not stored whole: what no field holds goes to microsoft.exchange.activesync.query_rest (applyEasFacts).
    if (req.query !== undefined) facts.query = req.query;
    const ua = header(reqHeaders, 'user-agent');
    if (ua !== undefined) facts.userAgent = ua;
    const pv = header(reqHeaders, 'ms-asprotocolversion');
    if (pv !== undefined) facts.protocolVersion = pv;
    const pk = header(reqHeaders, 'x-ms-policykey');
    if (pk !== undefined) facts.policyKey = pk;
  }

  // Request body: the command is the root element; Provision/Settings carry DeviceInformation.
  const rb = entry.requestBody;
  if (rb) {
    if (facts.command === undefined) facts.command = rb.name;
    const set = findElement(rb, 'DeviceInformation');
    const s = set ? (set.children.find((c) => c.name === 'Set') ?? set) : undefined;
    if (s) {
      const model = childText(s, 'Model');
      if (model !== undefined) facts.deviceModel = model;
      const os = childText(s, 'OS');
      if (os !== undefined) facts.deviceOs = os;
      const dua = childText(s, 'UserAgent');
      if (dua !== undefined) as['device_user_agent'] = dua;
      const lang = childText(s, 'OSLanguage');
      if (lang !== undefined) as['device_os_language'] = lang;
      const fn = childText(s, 'FriendlyName');
      if (fn !== undefined) as['device_friendly_name'] = fn;
    }
  }

  const res = entry.response;
  if (res?.status !== undefined) {
    sub(sub(doc, 'http'), 'response')['status_code'] = res.status;
    facts.httpStatus = res.status;
  }
  const serverVersion = header(headerIndex(res?.headers), 'ms-server-activesync');
  if (serverVersion !== undefined) as['server_version'] = serverVersion;
  const body = entry.responseBody;
  const bodyStatus = body ? intOf(childText(body, 'Status')) : undefined;
  if (bodyStatus !== undefined) facts.status = bodyStatus;

  const ml: Obj = {};
  const first = entry.exceptions[0];
  if (first) {
    const outer = first.exceptions[0]!;
    const exception: Mutable<EasException> = { type: outer.type };
    if (outer.message !== undefined) exception.message = outer.message;
    if (outer.stackTrace !== undefined) exception.stackTrace = outer.stackTrace;
    facts.exception = exception;
    if (facts.status === undefined && outer.airSyncStatus !== undefined) facts.status = outer.airSyncStatus;
    const inner = first.exceptions.slice(1);
    const exo: Obj = { section: entry.exceptions.map((e) => e.key) };
    if (inner.length > 0) {
      exo['inner_types'] = inner.map((e) => e.type);
      const msgs: string[] = [];
      for (const e of inner) if (e.message !== undefined) msgs.push(e.message);
      if (msgs.length > 0) exo['inner_messages'] = msgs;
    }
    const frames: string[] = [];
    for (const e of first.exceptions) for (const f of e.frames) frames.push(f);
    if (frames.length > 0) exo['frames'] = frames;
    if (outer.airSyncStatus !== undefined) exo['airsync_status'] = outer.airSyncStatus;
    if (outer.httpStatus !== undefined) exo['http_status'] = outer.httpStatus;
    ml['exception'] = exo;
    const pls = outer.protocolLoggerString;
    if (pls !== undefined) {
      const { summary: sum, map } = readLogTokens(pls, ctx.easLogTokens === true);
      if (map !== undefined) facts.logTokens = map;
      if (facts.status === undefined && sum.status !== undefined) facts.status = sum.status;
      if (sum.error !== undefined) facts.errorToken = sum.error;
    }
  }

  const state = k['AccessState']?.trim();
  if (state !== undefined && state.length > 0) facts.accessState = state;
  const reason = k['AccessStateReason']?.trim();
  if (reason !== undefined && reason.length > 0) facts.accessStateReason = reason;
  const rule = k['DeviceAccessControlRule']?.trim();
  if (rule !== undefined && rule.length > 0) as['device_access_rule'] = rule;

  const assembly = k['AssemblyVersion']?.trim();
  if (assembly !== undefined && assembly.length > 0) {
    ml['assembly_version'] = assembly;
    const build = normalizeBuild(assembly);
    if (build !== undefined) facts.serverBuild = build;
  }

  applyEasFacts(doc, facts, 'mailbox-log');
  const asDoc = sub(sub(sub(doc, 'microsoft'), 'exchange'), 'activesync');
  for (const key in as) asDoc[key] = as[key]!;

  if (entry.entryNumber !== undefined) ml['entry'] = entry.entryNumber;
  const id = k['Identifier']?.trim();
  if (id !== undefined && id.length > 0) ml['identifier'] = id;
  ml['sections'] = entry.sections.map((s) => s.key);
  if (k['WasPending'] !== undefined) ml['was_pending'] = true;
  const add = k['AdditionalData'];
  if (add !== undefined && add.length > 0) ml['additional_data'] = add;
  const irm = k['IRM_FailureCode']?.trim();
  if (irm !== undefined && irm.length > 0) ml['irm_failure_code'] = irm;
  if (req && req.headers.length > 0) ml['request_headers'] = headerMap(req.headers);
  if (res && res.headers.length > 0) ml['response_headers'] = headerMap(res.headers);
  if (entry.warnings.length > 0) ml['warnings'] = [...entry.warnings];
  sub(sub(doc, 'microsoft'), 'exchange')['mailbox_log'] = ml;
  return [doc];
}
