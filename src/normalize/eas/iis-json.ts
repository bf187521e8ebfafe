// An IIS line's document written straight to JSON text (issue 16): the same fields in the same order as
// `iisDocument` builds them, followed by what the default enrichers and the agent stamp add, so the text is
// byte for byte `JSON.stringify` of the enriched object (test/formats/eas/json-path.test.ts checks every golden
// line and the generated harness lines). No nested object is built and walked a second time to serialise it.
//
// Key order is insertion order in the object path; where the object path creates a group conditionally
// (`http.request` from the method, the referrer or the request bytes) the writer follows the same order. The
// shapes the writer does not cover (an EAS line whose only `http` field is CAFE's request id, which the object
// path adds as a new top-level group after `network`) return undefined, and FileProcessor serialises the object.

import type { SourceRecord } from '../../pipeline/record.types.js';
import type { DocumentJson, FileContext } from '../../pipeline/stages.types.js';
import { appleModelName, easStatusName, iosOfUserAgent } from '../../enrich/eas-enrichers.js';
import { osBuildOf, parseAppleUserAgent, splitUser } from '../../parsers/eas/eas-user-agent.js';
import { outcomeOf, type EasFacts } from './eas-document.js';
import type { IisLine } from './iis-normalizer.js';

// A JSON string literal: JSON.stringify's answer, built directly when nothing needs escaping (most values). The
// class is what JSON.stringify escapes: quote, backslash, control characters, and (well-formed JSON.stringify)
// lone surrogates; a surrogate pair goes the slow way too, which gives the same text.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
function q(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function plusToSpace(s: string): string {
  return s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' ');
}

// An exception type as .NET writes it (as eas-document.ts).
const EXCEPTION_TYPE_RE = /^[A-Za-z_][\w.`+]*Exception$/;

/** `,"user_agent":{...}` with the iOS fields enrichIosFromUserAgent adds. */
function userAgentJson(ua: string): string {
  const ios = iosOfUserAgent(ua);
  return ios === undefined
    ? `,"user_agent":{"original":${q(ua)}}`
    : `,"user_agent":{"original":${q(ua)},"os":{"name":"iOS","version":${q(ios.version)},"full":${q(ios.full)}}}`;
}

/** The parts of a document that are the same for every line of a file, quoted once per file. */
interface FileParts {
  readonly ctx: FileContext;
  readonly path: string;
  readonly inputId: string;
  /** From the end of `event` to `"offset":`. */
  readonly log: string;
  /** From the end of `log` through `casguard`. */
  readonly casguard: string;
  readonly observer: string;
}

let lastParts: FileParts | undefined;

function partsOf(ctx: FileContext): FileParts {
  const p = lastParts;
  // The path and input id are compared too: the parts are quoted from them.
  if (p !== undefined && p.ctx === ctx && p.path === ctx.source.path && p.inputId === ctx.source.inputId)
    return p;
  const path = ctx.source.path;
  const inputId = ctx.source.inputId;
  lastParts = {
    ctx,
    path,
    inputId,
    log: `},"data_stream":{"type":"logs","dataset":"exchange.activesync","namespace":"default"},"log":{"file":{"path":${q(path)}},"offset":`,
    casguard: `},"casguard":{"input":{"id":${q(inputId)}},"format":"iis"}`,
    observer: ctx.observerHostname.length > 0 ? `,"observer":{"hostname":${q(ctx.observerHostname)}}` : '',
  };
  return lastParts;
}

/**
 * The JSON text of the line's document after the default enrichers and a stamp whose fields are `tail`;
 * undefined for a shape this writer leaves to the object path.
 */
export function writeIisJson(
  f: IisLine,
  record: SourceRecord,
  ctx: FileContext,
  tail: string,
): DocumentJson | undefined {
  const eas = f.eas;
  // http's groups in the order the object path creates them (the step at which each key first appears).
  const reqAt =
    f.method !== undefined
      ? 1
      : f.referer !== undefined
        ? 4
        : f.csBytes !== undefined
          ? 6
          : eas !== undefined && f.cafeRequestId !== undefined
            ? 7
            : 0;
  const respAt = f.statusCode !== undefined ? 2 : f.scBytes !== undefined ? 5 : 0;
  const verAt = f.httpVersion !== undefined ? 3 : 0;
  const httpInPlace = reqAt > 0 && reqAt < 7 ? true : respAt > 0 || verAt > 0;
  // CAFE's id on a line with no other http field: the object path adds `http` late (not written here).
  if (reqAt === 7 && !httpInPlace) return undefined;

  let s = `{"@timestamp":${q(f.timestamp)},"event":{"kind":"event","module":"exchange","dataset":"exchange.activesync","category":["web"],"type":["access"]`;
  if (ctx.preserveOriginalEvent === true && f.original !== undefined) s += `,"original":${q(f.original)}`;
  if (f.taken !== undefined) s += `,"duration":${f.taken * 1_000_000}`;
  let outcome: string;
  if (eas !== undefined) {
    if (eas.command !== undefined && eas.command.length > 0) s += `,"action":${q(eas.command)}`;
    outcome = outcomeOf(eas);
  } else {
    const st = f.statusCode;
    outcome = st === undefined ? 'unknown' : st >= 400 ? 'failure' : 'success';
  }
  s += `,"outcome":"${outcome}"`;
  const head = s;
  const parts = partsOf(ctx);
  s = `${parts.log}${record.offset}${parts.casguard}`;

  const server = f.server;
  if (server !== undefined && server.length > 0 && server !== '-') {
    const dot = server.indexOf('.');
    s += `,"host":{"name":${q((dot > 0 ? server.slice(0, dot) : server).toLowerCase())}`;
    s += dot > 0 ? `,"hostname":${q(server)}}` : '}';
  } else s += parts.observer;

  // url
  let u = '';
  if (f.stem !== undefined) u += `,"path":${q(f.stem)}`;
  if (f.rawQuery !== undefined) u += `,"query":${q(f.rawQuery)}`;
  if (f.domain !== undefined) u += `,"domain":${q(f.domain)}`;
  if (f.port !== undefined) u += `,"port":${f.port}`;
  if (u.length > 0) s += `,"url":{${u.slice(1)}}`;

  // http
  if (httpInPlace) {
    let req = '';
    if (f.method !== undefined) req += `,"method":${q(f.method)}`;
    if (f.referer !== undefined) req += `,"referrer":${q(f.referer)}`;
    if (f.csBytes !== undefined) req += `,"bytes":${f.csBytes}`;
    if (eas !== undefined && f.cafeRequestId !== undefined) req += `,"id":${q(f.cafeRequestId)}`;
    let resp = '';
    if (f.statusCode !== undefined) resp += `,"status_code":${f.statusCode}`;
    if (f.scBytes !== undefined) resp += `,"bytes":${f.scBytes}`;
    const parts: [number, string][] = [];
    if (reqAt > 0) parts.push([reqAt, `"request":{${req.slice(1)}}`]);
    if (respAt > 0) parts.push([respAt, `"response":{${resp.slice(1)}}`]);
    if (verAt > 0) parts.push([verAt, `"version":${q(f.httpVersion!)}`]);
    parts.sort((a, b) => a[0] - b[0]);
    s += `,"http":{${parts.map((p) => p[1]).join(',')}}`;
  }

  if (f.sIp !== undefined || f.sPort !== undefined) {
    let sv = '';
    if (f.sIp !== undefined) sv += `,"ip":${q(f.sIp)}`;
    if (f.sPort !== undefined) sv += `,"port":${f.sPort}`;
    s += `,"server":{${sv.slice(1)}}`;
  }
  if (f.cIp !== undefined) s += `,"source":{"ip":${q(f.cIp)}}`;
  if (f.forwardedIp !== undefined) s += `,"network":{"forwarded_ip":${q(f.forwardedIp)}}`;

  let iis = '';
  if (f.site !== undefined) iis += `,"site_name":${q(f.site)}`;
  if (f.subStatus !== undefined) iis += `,"sub_status":${f.subStatus}`;
  if (f.win32 !== undefined) iis += `,"win32_status":${f.win32}`;
  if (f.assumed) iis += ',"fields_assumed":true';
  const iisJson = iis.length > 0 ? `,"iis":{${iis.slice(1)}}` : '';

  if (eas !== undefined) s += easJson(eas, iisJson);
  else {
    const user = f.username !== undefined ? splitUser(f.username) : undefined;
    if (user !== undefined)
      s +=
        user.domain !== undefined
          ? `,"user":{"name":${q(user.name)},"domain":${q(user.domain)}}`
          : `,"user":{"name":${q(user.name)}}`;
    if (f.userAgent !== undefined) s += userAgentJson(plusToSpace(f.userAgent));
    if (iisJson.length > 0) s += `,"microsoft":{"exchange":{${iisJson.slice(1)}}}`;
  }
  return { head, rest: `${s}${tail}}` };
}

/** applyEasFacts (after event.action/outcome) and the enrichers, as JSON: user ... microsoft. */
function easJson(f: EasFacts, iisJson: string): string {
  let s = '';
  let user = '';
  if (f.user !== undefined) {
    const u = splitUser(f.user);
    if (u) {
      user += `,"name":${q(u.name)}`;
      if (u.domain !== undefined) user += `,"domain":${q(u.domain)}`;
    }
  }
  if (f.userEmail !== undefined && f.userEmail.length > 0) user += `,"email":${q(f.userEmail)}`;
  if (user.length > 0) s += `,"user":{${user.slice(1)}}`;

  let uaModel: string | undefined;
  if (f.userAgent !== undefined && f.userAgent.length > 0 && f.userAgent !== '-') {
    s += userAgentJson(f.userAgent);
    uaModel = parseAppleUserAgent(f.userAgent)?.model;
  }
  const model = f.deviceModel !== undefined && f.deviceModel.length > 0 ? f.deviceModel : uaModel;
  const hasId = f.deviceId !== undefined && f.deviceId.length > 0;
  if (hasId || model !== undefined) {
    let d = '';
    if (hasId) d += `,"id":${q(f.deviceId!)}`;
    if (model !== undefined) {
      const name = appleModelName(model);
      d +=
        name === undefined
          ? `,"model":{"identifier":${q(model)}}`
          : `,"model":{"identifier":${q(model)},"name":${q(name)}}`;
    }
    s += `,"device":{${d.slice(1)}}`;
  }

  if (f.exception !== undefined) {
    let e = `"type":${q(f.exception.type)}`;
    if (f.exception.message !== undefined) e += `,"message":${q(f.exception.message)}`;
    if (f.exception.stackTrace !== undefined) e += `,"stack_trace":${q(f.exception.stackTrace)}`;
    s += `,"error":{${e}}`;
  } else if (f.errorToken !== undefined) {
    s += EXCEPTION_TYPE_RE.test(f.errorToken)
      ? `,"error":{"type":${q(f.errorToken)}}`
      : `,"error":{"code":${q(f.errorToken)}}`;
  }

  const hasCommand = f.command !== undefined && f.command.length > 0;
  let as = '"log_source":"iis"';
  if (hasCommand) as += `,"command":${q(f.command!)}`;
  if (f.status !== undefined) as += `,"status":${f.status}`;
  if (f.deviceType !== undefined && f.deviceType.length > 0) as += `,"device_type":${q(f.deviceType)}`;
  if (f.protocolVersion !== undefined) as += `,"protocol_version":${q(f.protocolVersion)}`;
  if (f.errorToken !== undefined) as += `,"error":${q(f.errorToken)}`;
  if (f.heartbeatSeconds !== undefined) as += `,"heartbeat_seconds":${f.heartbeatSeconds}`;
  if (f.deviceOs !== undefined && f.deviceOs.length > 0) {
    as += `,"device_os":${q(f.deviceOs)}`;
    const b = osBuildOf(f.deviceOs);
    if (b !== undefined) as += `,"device_os_build":${q(b)}`;
  }
  if (f.accessState !== undefined) as += `,"access_state":${q(f.accessState)}`;
  if (f.accessStateReason !== undefined) as += `,"access_state_reason":${q(f.accessStateReason)}`;
  if (f.mailboxServer !== undefined) as += `,"mailbox_server":${q(f.mailboxServer)}`;
  if (f.domainController !== undefined) as += `,"domain_controller":${q(f.domainController)}`;
  if (f.proxiedFrom !== undefined) as += `,"proxied_from":${q(f.proxiedFrom)}`;
  if (f.policyKey !== undefined) as += `,"policy_key":${q(f.policyKey)}`;
  if (f.throttle !== undefined) as += `,"throttle":${q(f.throttle)}`;
  if (f.elapsedMs !== undefined) as += `,"elapsed_ms":${f.elapsedMs}`;
  if (f.queryEncoding !== undefined) as += `,"query_encoding":${q(f.queryEncoding)}`;
  if (f.logTokens !== undefined) as += `,"log_tokens":${JSON.stringify(f.logTokens)}`;
  if (f.status !== undefined) {
    const name = easStatusName(f.status, hasCommand ? f.command : undefined);
    if (name !== undefined) as += `,"status_name":${q(name)}`;
  }
  // IIS lines name no server build (microsoft.exchange.server is the mailbox log's and event 4999's).
  return `${s},"microsoft":{"exchange":{"activesync":{${as}}${iisJson}}}`;
}
