// The common shape of every `exchange.activesync` document. Each EAS format (IIS, HttpProxy, mailbox log)
// gathers what it knows into `EasFacts`; `buildEasDocument` turns those facts into ECS + microsoft.exchange.*
// fields the same way for all three, so a query for `event.action:Provision AND
// microsoft.exchange.activesync.status:110` finds the incident in whichever log carries it
// (/tmp/casguard-fields.md is the field contract). Pure; never throws for any input values.

import type { EcsDocument, JsonValue } from '../../pipeline/document.types.js';
import type { SourceRecord } from '../../pipeline/record.types.js';
import type { FileContext } from '../../pipeline/stages.types.js';
import { easQueryRest } from '../../parsers/eas/eas-query-rest.js';
import type { LogScan } from '../../parsers/eas/log-tokens.js';
import { osBuildOf, parseAppleUserAgent, splitUser } from '../../parsers/eas/eas-user-agent.js';

export type EasLogSource = 'iis' | 'httpproxy' | 'mailbox-log';

type Obj = { [key: string]: JsonValue };

export interface EasException {
  readonly type: string;
  readonly message?: string;
  readonly stackTrace?: string;
}

/** Everything a format knows about one EAS request, already decoded. Absent = unknown. */
export interface EasFacts {
  readonly command?: string;
  /** The user as written (`DOMAIN\user`, UPN, bare name). */
  readonly user?: string;
  readonly userEmail?: string;
  readonly deviceId?: string;
  readonly deviceType?: string;
  /** `DevModel` token or Provision `<Model>`; the Apple UA model is used when absent. */
  readonly deviceModel?: string;
  readonly userAgent?: string;
  readonly protocolVersion?: string;
  readonly status?: number;
  /** The `Error:` token of `&Log=` as written. */
  readonly errorToken?: string;
  readonly exception?: EasException;
  readonly heartbeatSeconds?: number;
  readonly deviceOs?: string;
  readonly accessState?: string;
  readonly accessStateReason?: string;
  readonly mailboxServer?: string;
  readonly domainController?: string;
  readonly proxiedFrom?: string;
  readonly policyKey?: string;
  readonly throttle?: string;
  readonly elapsedMs?: number;
  readonly queryEncoding?: 'plain' | 'base64';
  readonly logTokens?: Readonly<Record<string, string>>;
  readonly httpStatus?: number;
  /** Normalized `major.minor.build.revision`. */
  readonly serverBuild?: string;
  /**
   * The request's query as logged. Not stored whole: what no other field holds of it goes to
   * microsoft.exchange.activesync.query_rest (parsers/eas/eas-query-rest.ts).
   */
  readonly query?: string;
  /** The walk of the query's `&Log=` value the summary was read from (query_rest reuses it; stored nowhere). */
  readonly queryLog?: LogScan;
}

/**
 * The fields every EAS document starts with (FileProcessor redacts every string afterwards). `original` is stored
 * as `event.original`: callers pass the record's text only when the input keeps it
 * (keepsOriginal), so that it is built only then.
 */
export function baseEasDocument(
  timestamp: string,
  original: string | undefined,
  record: SourceRecord,
  ctx: FileContext,
  format: EasLogSource,
): EcsDocument {
  const event: Obj = {
    kind: 'event',
    module: 'exchange',
    dataset: 'exchange.activesync',
    category: ['web'],
    type: ['access'],
  };
  if (original !== undefined) event['original'] = original;
  return {
    '@timestamp': timestamp,
    event,
    data_stream: { type: 'logs', dataset: 'exchange.activesync', namespace: 'default' },
    log: { file: { path: ctx.source.path }, offset: record.offset },
    casguard: { input: { id: ctx.source.inputId }, format },
  };
}

/** Whether the input keeps the record's text as event.original (the input option preserveOriginalEvent). */
export function keepsOriginal(ctx: FileContext): boolean {
  return ctx.preserveOriginalEvent === true;
}

/** Get or create a nested object field. */
export function sub(parent: Obj | EcsDocument, key: string): Obj {
  const v = parent[key];
  if (v !== undefined && v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Obj;
  const o: Obj = {};
  parent[key] = o;
  return o;
}

/** `CAS01.contoso.com` → host.name `cas01`, host.hostname `CAS01.contoso.com`. */
export function setHost(doc: EcsDocument, server: string | undefined, ctx: FileContext): void {
  if (server !== undefined && server.length > 0 && server !== '-') {
    const dot = server.indexOf('.');
    const host = sub(doc, 'host');
    host['name'] = (dot > 0 ? server.slice(0, dot) : server).toLowerCase();
    if (dot > 0) host['hostname'] = server;
  } else if (ctx.observerHostname.length > 0) {
    sub(doc, 'observer')['hostname'] = ctx.observerHostname;
  }
}

// An exception type as .NET writes it: dotted identifiers ending in `Exception`.
const EXCEPTION_TYPE_RE = /^[A-Za-z_][\w.`+]*Exception$/;

export function outcomeOf(f: EasFacts): 'success' | 'failure' | 'unknown' {
  if (f.httpStatus !== undefined && f.httpStatus >= 400) return 'failure';
  if (f.status !== undefined && f.status !== 1) return 'failure';
  if (f.exception !== undefined || f.errorToken !== undefined) return 'failure';
  if (f.httpStatus !== undefined || f.status === 1) return 'success';
  return 'unknown';
}

/** Adds the EAS fields of `facts` to `doc` (event.action/outcome, user, device, error, microsoft.exchange.*). */
export function applyEasFacts(doc: EcsDocument, f: EasFacts, source: EasLogSource): void {
  const event = sub(doc, 'event');
  if (f.command !== undefined && f.command.length > 0) event['action'] = f.command;
  event['outcome'] = outcomeOf(f);

  if (f.user !== undefined) {
    const u = splitUser(f.user);
    if (u) {
      const user = sub(doc, 'user');
      user['name'] = u.name;
      if (u.domain !== undefined) user['domain'] = u.domain;
    }
  }
  if (f.userEmail !== undefined && f.userEmail.length > 0) sub(doc, 'user')['email'] = f.userEmail;

  let uaModel: string | undefined;
  if (f.userAgent !== undefined && f.userAgent.length > 0 && f.userAgent !== '-') {
    sub(doc, 'user_agent')['original'] = f.userAgent;
    uaModel = parseAppleUserAgent(f.userAgent)?.model;
  }
  const model = f.deviceModel !== undefined && f.deviceModel.length > 0 ? f.deviceModel : uaModel;
  if ((f.deviceId !== undefined && f.deviceId.length > 0) || model !== undefined) {
    const device = sub(doc, 'device');
    if (f.deviceId !== undefined && f.deviceId.length > 0) device['id'] = f.deviceId;
    if (model !== undefined) device['model'] = { identifier: model };
  }

  if (f.exception !== undefined || f.errorToken !== undefined) {
    const error = sub(doc, 'error');
    if (f.exception !== undefined) {
      error['type'] = f.exception.type;
      if (f.exception.message !== undefined) error['message'] = f.exception.message;
      if (f.exception.stackTrace !== undefined) error['stack_trace'] = f.exception.stackTrace;
    } else if (f.errorToken !== undefined) {
      if (EXCEPTION_TYPE_RE.test(f.errorToken)) error['type'] = f.errorToken;
      else error['code'] = f.errorToken;
    }
  }

  const ms = sub(doc, 'microsoft');
  const exchange = sub(ms, 'exchange');
  const as: Obj = { log_source: source };
  if (f.command !== undefined && f.command.length > 0) as['command'] = f.command;
  if (f.status !== undefined) as['status'] = f.status;
  if (f.deviceType !== undefined && f.deviceType.length > 0) as['device_type'] = f.deviceType;
  if (f.protocolVersion !== undefined) as['protocol_version'] = f.protocolVersion;
  if (f.errorToken !== undefined) as['error'] = f.errorToken;
  if (f.heartbeatSeconds !== undefined) as['heartbeat_seconds'] = f.heartbeatSeconds;
  if (f.deviceOs !== undefined && f.deviceOs.length > 0) {
    as['device_os'] = f.deviceOs;
    const b = osBuildOf(f.deviceOs);
    if (b !== undefined) as['device_os_build'] = b;
  }
  if (f.accessState !== undefined) as['access_state'] = f.accessState;
  if (f.accessStateReason !== undefined) as['access_state_reason'] = f.accessStateReason;
  if (f.mailboxServer !== undefined) as['mailbox_server'] = f.mailboxServer;
  if (f.domainController !== undefined) as['domain_controller'] = f.domainController;
  if (f.proxiedFrom !== undefined) as['proxied_from'] = f.proxiedFrom;
  if (f.policyKey !== undefined) as['policy_key'] = f.policyKey;
  if (f.throttle !== undefined) as['throttle'] = f.throttle;
  if (f.elapsedMs !== undefined) as['elapsed_ms'] = f.elapsedMs;
  if (f.queryEncoding !== undefined) as['query_encoding'] = f.queryEncoding;
  if (f.logTokens !== undefined) as['log_tokens'] = f.logTokens as Obj;
  if (f.query !== undefined) {
    const rest = queryRestOf(doc, as, f.query, f.queryLog);
    if (rest !== undefined) as['query_rest'] = rest;
  }
  exchange['activesync'] = as;
  if (f.serverBuild !== undefined) exchange['server'] = { build: f.serverBuild };
}

function field(o: JsonValue | undefined, key: string): JsonValue | undefined {
  return o !== null && typeof o === 'object' && !Array.isArray(o) ? o[key] : undefined;
}

/** A held value as the query would write it (a number as its digits: `S01` is not status 1). */
function text(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

// `As:AllowedG`: the state and the letter of its reason (log-tokens.ts parseAccessState).
const REASON_LETTER: Readonly<Record<string, string>> = {
  Global: 'G',
  Individual: 'I',
  DeviceRule: 'D',
  Policy: 'P',
};

/**
 * The query without what the document already holds: each parameter and `&Log=` token is dropped only when a
 * field of `doc` has exactly its value, so nothing of the query is lost (eas-query-rest.ts).
 */
function queryRestOf(doc: EcsDocument, as: Obj, query: string, log: LogScan | undefined): string | undefined {
  return easQueryRest(
    query,
    (key) => {
      switch (key) {
        case 'cmd':
          return text(field(doc['event'], 'action'));
        case 'user':
          // The name alone: `CONTOSO\jd` or `jd@contoso.com` would need the spelling, which no field keeps.
          return text(field(doc['user'], 'name'));
        case 'deviceid':
          return text(field(doc['device'], 'id'));
        case 'devicetype':
          return text(as['device_type']);
        case 'cafereqid':
          return text(field(field(doc['http'], 'request'), 'id'));
      }
    },
    (name) => {
      switch (name) {
        case 'S':
          return text(as['status']);
        case 'Error':
          return text(as['error']);
        case 'V':
        case 'Ver':
        case 'Ver1':
          return text(as['protocol_version']);
        case 'Hb':
          return text(as['heartbeat_seconds']);
        case 'DevOS':
          return text(as['device_os']);
        case 'DevModel':
          return text(field(field(doc['device'], 'model'), 'identifier'));
        case 'As': {
          const state = as['access_state'];
          const reason = as['access_state_reason'];
          if (typeof state !== 'string') return undefined;
          if (reason === undefined) return state;
          const letter = typeof reason === 'string' ? REASON_LETTER[reason] : undefined;
          return letter === undefined ? undefined : `${state}${letter}`;
        }
        case 'Mbx':
          return text(as['mailbox_server']);
        case 'Dc':
          return text(as['domain_controller']);
        case 'PrxFrom':
          return text(as['proxied_from']);
        case 'Throttle':
          return text(as['throttle']);
        case 'Fet':
          return text(as['elapsed_ms']);
        case 'Pk':
          return text(as['policy_key']);
        case 'SmtpAdrs':
          return text(field(doc['user'], 'email'));
        default:
          // DevAgent, PrxTo, HH: read by the summary, stored in no field.
          return undefined;
      }
    },
    log,
  );
}
