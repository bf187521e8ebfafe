// HttpProxy row → ECS. The row is written by CAFE on the client access server (host.*), after the request
// returned from the mailbox server (TargetServer). The EAS command is only in UrlQuery (ProtocolAction is empty
// for EAS); the EAS Status never appears here (a KB 2851708 Provision is HTTP 200/200), so this document counts
// Provision per device and carries the two builds: the CAS build (MajorVersion..RevisionVersion →
// microsoft.exchange.server.build) and the mailbox server build (TargetServerVersion).

import type { EcsDocument, JsonValue } from '../../pipeline/document.types.js';
import type { SourceRecord } from '../../pipeline/record.types.js';
import type { FileContext } from '../../pipeline/stages.types.js';
import { decodeEasQuery } from '../../parsers/eas/eas-query.js';
import { cleanIp, normalizeBuild } from '../../parsers/eas/eas-user-agent.js';
import type { HttpProxyEvent } from '../../parsers/httpproxy/httpproxy.types.js';
import {
  applyEasFacts,
  baseEasDocument,
  keepsOriginal,
  setHost,
  sub,
  type EasFacts,
} from './eas-document.js';

type Obj = { [key: string]: JsonValue };
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function intOf(v: string | undefined): number | undefined {
  if (v === undefined || v.length === 0 || v.length > 15 || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}
function floatOf(v: string | undefined): number | undefined {
  if (v === undefined || v.length === 0 || v.length > 24 || !/^-?\d+(\.\d+)?$/.test(v)) return undefined;
  return Number(v);
}

export function normalizeHttpProxy(
  event: HttpProxyEvent,
  record: SourceRecord,
  ctx: FileContext,
): EcsDocument[] {
  const { index, names } = event.layout;
  const v = event.values;
  const get = (name: string): string | undefined => {
    const i = index[name];
    if (i === undefined) return undefined;
    const s = v[i]!;
    return s.length === 0 ? undefined : s;
  };
  const doc = baseEasDocument(
    get('DateTime')!,
    keepsOriginal(ctx) ? rowText(record) : undefined,
    record,
    ctx,
    'httpproxy',
  );
  setHost(doc, get('ServerHostName'), ctx);

  const http: Obj = {};
  const request: Obj = {};
  const response: Obj = {};
  const method = get('Method');
  if (method !== undefined) request['method'] = method;
  const rid = get('RequestId');
  if (rid !== undefined) request['id'] = rid;
  const reqBytes = intOf(get('RequestBytes'));
  if (reqBytes !== undefined) request['bytes'] = reqBytes;
  const status = intOf(get('HttpStatus'));
  if (status !== undefined) response['status_code'] = status;
  const respBytes = intOf(get('ResponseBytes'));
  if (respBytes !== undefined) response['bytes'] = respBytes;
  if (Object.keys(request).length > 0) http['request'] = request;
  if (Object.keys(response).length > 0) http['response'] = response;
  if (Object.keys(http).length > 0) doc['http'] = http;

  const url: Obj = {};
  const host = get('UrlHost');
  if (host !== undefined) url['domain'] = host;
  const stem = get('UrlStem');
  if (stem !== undefined) url['path'] = stem;
  // The query is not stored whole (every HttpProxy line here is an EAS request): what no field holds of it goes
  // to microsoft.exchange.activesync.query_rest (applyEasFacts).
  const rawQuery = get('UrlQuery');
  if (Object.keys(url).length > 0) doc['url'] = url;

  const ip = cleanIp(get('ClientIpAddress') ?? '');
  if (ip !== undefined) doc['source'] = { ip };
  const total = floatOf(get('TotalRequestTime'));
  if (total !== undefined) sub(doc, 'event')['duration'] = Math.round(total * 1_000_000);

  const hp: Obj = {};
  const put = (field: string, column: string): void => {
    const x = get(column);
    if (x !== undefined) hp[field] = x;
  };
  put('protocol', 'Protocol');
  put('client_request_id', 'ClientRequestId');
  put('authentication_type', 'AuthenticationType');
  const isAuth = get('IsAuthenticated');
  if (isAuth !== undefined && /^(true|false)$/i.test(isAuth))
    hp['is_authenticated'] = isAuth.toLowerCase() === 'true';
  put('anchor_mailbox', 'AnchorMailbox');
  put('organization', 'Organization');
  const backEnd = intOf(get('BackEndStatus'));
  if (backEnd !== undefined) hp['backend_status'] = backEnd;
  put('error_code', 'ErrorCode');
  put('proxy_action', 'ProxyAction');
  put('target_server', 'TargetServer');
  put('target_server_version', 'TargetServerVersion');
  const targetBuild = normalizeBuild(get('TargetServerVersion') ?? '');
  if (targetBuild !== undefined) hp['target_server_build'] = targetBuild;
  put('routing_type', 'RoutingType');
  put('routing_hint', 'RoutingHint');
  put('routing_status', 'RoutingStatus');
  put('database_guid', 'DatabaseGuid');
  const totalMs = floatOf(get('TotalRequestTime'));
  if (totalMs !== undefined) hp['total_request_time_ms'] = totalMs;
  const generic = get('GenericInfo');
  if (generic !== undefined) hp['generic_info'] = generic;
  const errors = get('GenericErrors');
  if (errors !== undefined) hp['generic_errors'] = errors;
  const backendInfo = get('BackEndGenericInfo');
  if (backendInfo !== undefined) hp['backend_generic_info'] = backendInfo;
  hp['schema'] = `${event.layout.origin}:${names.length}`;

  const facts: Mutable<EasFacts> = {};
  const q = decodeEasQuery(rawQuery ?? '');
  if (q.cmd !== undefined) facts.command = q.cmd;
  const user = get('AuthenticatedUser') ?? q.user;
  if (user !== undefined) facts.user = user;
  if (q.deviceId !== undefined) facts.deviceId = q.deviceId;
  if (q.deviceType !== undefined) facts.deviceType = q.deviceType;
  if (q.protocolVersion !== undefined) facts.protocolVersion = q.protocolVersion;
  if (q.encoding !== 'none') facts.queryEncoding = q.encoding;
  if (rawQuery !== undefined) facts.query = rawQuery;
  const ua = get('UserAgent');
  if (ua !== undefined) facts.userAgent = ua;
  if (status !== undefined) facts.httpStatus = status;
  const major = get('MajorVersion');
  if (major !== undefined) {
    const build = normalizeBuild(
      `${major}.${get('MinorVersion') ?? ''}.${get('BuildVersion') ?? ''}.${get('RevisionVersion') ?? ''}`,
    );
    if (build !== undefined) facts.serverBuild = build;
  }
  applyEasFacts(doc, facts, 'httpproxy');
  const errorCode = get('ErrorCode');
  if (errorCode !== undefined) sub(doc, 'error')['code'] = errorCode;
  sub(sub(doc, 'microsoft'), 'exchange')['httpproxy'] = hp;
  return [doc];
}

/** The row's text without its line end. */
function rowText(record: SourceRecord): string {
  const t = record.text;
  if (t.endsWith('\r\n')) return t.slice(0, -2);
  return t.endsWith('\n') ? t.slice(0, -1) : t;
}
