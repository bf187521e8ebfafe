// WindowsEvent (from any export form, or EVTX) → one ECS document with `winlog.*` named as Winlogbeat names
// it, so a rule written against Winlogbeat data works on ours. Pure: the same event and record always give
// the same document (no `event.created`, no clock).
//
// Event 4999 from `MSExchange Common` also gets `microsoft.exchange.watson.*`, `error.*` and
// `microsoft.exchange.server.build` (see watson-4999.ts). Field names: /tmp/casguard-fields.md and
// ../shared/schemas/winlog/winlogbeat-fields.common.json; our own fields are listed in windows-own-fields.ts.

import type { EcsDocument, JsonValue } from '../../pipeline/document.types.js';
import type { SourceRecord } from '../../pipeline/record.types.js';
import type { FileContext } from '../../pipeline/stages.types.js';
import {
  LEVEL_NAMES,
  OPCODE_NAMES,
  parseKeywords,
  standardKeywordNames,
} from '../../parsers/windows-event/windows-meta.js';
import type { WindowsEvent } from '../../parsers/windows-event/windows-event.types.js';
import { extractWatson, isWatsonEvent, normalizeBuild } from './watson-4999.js';

export const WINDOWS_DATASET = 'exchange.application';

type Obj = { [key: string]: JsonValue };

/**
 * Sets a key that comes from the event itself (a `<Data Name>`, a UserData element name) as an own property,
 * so that `__proto__` is stored as data like any other name instead of reaching the prototype setter.
 */
function setOwn(target: Obj, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Winlogbeat turns CRLF into LF and drops trailing line ends in event data and messages. */
function cleanText(text: string): string {
  const t = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  return t.endsWith('\n') ? t.replace(/\n+$/, '') : t;
}

/** `@timestamp` at millisecond precision (ES `date`); the full precision stays in `winlog.time_created`. */
function timestamp(iso: string): string {
  // Fast path for the XML form `2025-06-08T07:14:05.1454614Z`: cut to milliseconds (no rounding, as ES does).
  if (
    iso.length >= 24 &&
    iso.endsWith('Z') &&
    iso[19] === '.' &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}/.test(iso)
  ) {
    return `${iso.slice(0, 23)}Z`;
  }
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString();
}

function shortHost(computer: string): string {
  const dot = computer.indexOf('.');
  return (dot > 0 ? computer.slice(0, dot) : computer).toLowerCase();
}

function eventData(ev: WindowsEvent): Obj | undefined {
  if (ev.eventData.length === 0 && ev.binary === undefined) return undefined;
  const out: Obj = {};
  ev.eventData.forEach((d, i) => {
    // Unnamed (classic) insertion strings are param1..paramN by position, as Winlogbeat names them.
    const key = d.name !== undefined && d.name !== '' ? d.name : `param${i + 1}`;
    setOwn(out, key, cleanText(d.value));
  });
  if (ev.binary !== undefined && ev.binary !== '') out['Binary'] = ev.binary;
  return out;
}

function keywordNames(ev: WindowsEvent): string[] | undefined {
  if (ev.rendering?.keywords && ev.rendering.keywords.length > 0) return [...ev.rendering.keywords];
  if (ev.keywords === undefined) return undefined;
  const v = parseKeywords(ev.keywords);
  if (v === undefined) return undefined;
  const names = standardKeywordNames(v);
  return names.length > 0 ? names : undefined;
}

/** Map one Windows event to ECS. Always returns exactly one document. */
export function normalizeWindowsEvent(
  event: WindowsEvent,
  record: SourceRecord,
  ctx: FileContext,
): EcsDocument[] {
  const ev = event;
  const eventObj: Obj = {
    kind: 'event',
    module: 'exchange',
    dataset: WINDOWS_DATASET,
    code: String(ev.eventId),
    provider: ev.provider.name,
  };
  if (ctx.preserveOriginalEvent === true) {
    const original = record.text !== '' ? record.text : ev.xml;
    if (original !== undefined && original !== '') eventObj['original'] = original;
  }
  if (ev.timezoneAssumed !== undefined) eventObj['timezone'] = ev.timezoneAssumed;

  const winlog: Obj = {
    provider_name: ev.provider.name,
    event_id: String(ev.eventId),
  };
  if (ev.provider.guid) winlog['provider_guid'] = ev.provider.guid;
  if (ev.channel) winlog['channel'] = ev.channel;
  else if (ev.rendering?.channel) winlog['channel'] = ev.rendering.channel;
  if (ev.recordId !== undefined) winlog['record_id'] = ev.recordId;
  if (ev.computer) winlog['computer_name'] = ev.computer;
  if (ev.version !== undefined) winlog['version'] = ev.version;
  winlog['time_created'] = ev.timeCreated;
  const task = ev.rendering?.task;
  if (task) winlog['task'] = task;
  const opcode = ev.rendering?.opcode ?? (ev.opcode !== undefined ? OPCODE_NAMES[ev.opcode] : undefined);
  if (opcode) winlog['opcode'] = opcode;
  const keywords = keywordNames(ev);
  if (keywords) winlog['keywords'] = keywords;
  if (ev.activityId) winlog['activity_id'] = ev.activityId;
  if (ev.relatedActivityId) winlog['related_activity_id'] = ev.relatedActivityId;
  if (ev.processId !== undefined || ev.threadId !== undefined) {
    const proc: Obj = {};
    if (ev.processId !== undefined) proc['pid'] = ev.processId;
    if (ev.threadId !== undefined) proc['thread'] = { id: ev.threadId };
    winlog['process'] = proc;
  }
  if (ev.userId) winlog['user'] = { identifier: ev.userId };
  const data = eventData(ev);
  if (data) winlog['event_data'] = data;
  if (ev.userData !== undefined || ev.userDataRoot !== undefined) {
    const ud: Obj = {};
    if (ev.userDataRoot) ud['xml_name'] = ev.userDataRoot;
    for (const [k, v] of Object.entries(ev.userData ?? {})) setOwn(ud, k, cleanText(v));
    winlog['user_data'] = ud;
  }

  const doc: EcsDocument = { '@timestamp': timestamp(ev.timeCreated) };
  doc['event'] = eventObj;
  doc['data_stream'] = { type: 'logs', dataset: WINDOWS_DATASET, namespace: 'default' };

  const levelName =
    ev.rendering?.level ?? (ev.level !== undefined ? LEVEL_NAMES[ev.level] : undefined) ?? undefined;
  const log: Obj = {};
  if (levelName) log['level'] = levelName.toLowerCase();
  log['file'] = { path: ctx.source.path };
  log['offset'] = record.offset;
  doc['log'] = log;

  if (ev.rendering?.message) doc['message'] = cleanText(ev.rendering.message);

  if (ev.computer) {
    doc['host'] = { name: shortHost(ev.computer), hostname: ev.computer };
  } else {
    doc['observer'] = { hostname: ctx.observerHostname };
  }

  // Security audit keywords say whether the audited action succeeded (Winlogbeat does the same).
  if (keywords?.includes('Audit Success')) eventObj['outcome'] = 'success';
  else if (keywords?.includes('Audit Failure')) eventObj['outcome'] = 'failure';

  doc['winlog'] = winlog;
  doc['casguard'] = { input: { id: ctx.source.inputId }, format: ev.form };

  if (isWatsonEvent(ev)) addWatson(doc, ev);
  return [doc];
}

function addWatson(doc: EcsDocument, ev: WindowsEvent): void {
  const w = extractWatson(ev);
  if (!w) return;
  const watson: Obj = { source: w.source };
  const put = (k: string, v: string | number | boolean | undefined): void => {
    if (v !== undefined) watson[k] = v;
  };
  put('process_id', w.processId);
  put('event_type', w.eventType);
  put('build_type', w.buildType);
  put('app_version', w.appVersion);
  put('app', w.app);
  put('component', w.component);
  put('method', w.method);
  put('exception', w.exception);
  put('callstack_hash', w.callstackHash);
  put('assembly_version', w.assemblyVersion);
  put('error_reporting_enabled', w.errorReportingEnabled);
  put('process_name', w.processName);
  put('hresult', w.hresult);
  put('exception_source', w.exceptionSource);
  const exchange: Obj = { watson };
  const build = normalizeBuild(w.appVersion);
  if (build) exchange['server'] = { build };
  doc['microsoft'] = { exchange };
  if (w.exception || w.exceptionMessage || w.stackTrace) {
    const error: Obj = {};
    if (w.exception) error['type'] = w.exception;
    if (w.exceptionMessage) error['message'] = cleanText(w.exceptionMessage);
    if (w.stackTrace) error['stack_trace'] = cleanText(w.stackTrace);
    doc['error'] = error;
  }
}
