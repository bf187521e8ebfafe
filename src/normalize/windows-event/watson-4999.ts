// Event 4999 from `MSExchange Common`: "Watson report about to be sent". Its insertion strings name the
// crashing app, assembly, method and exception — the KB 2851708 signature is AirSync /
// M.Exchange.Compliance / ...MessageDigestForNonCryptographicPurposes.HashCore /
// System.ArgumentOutOfRangeException. Positions follow `WatsonReport.Get4999EventParams`
// (../shared/reference/eas-formats.md §4.2); exports that lost the `<Data>` items (Event Viewer CSV/TXT,
// Export-Csv, ConvertTo-Json) still have them inside the rendered message, which we parse instead.

import type { WindowsEvent } from '../../parsers/windows-event/windows-event.types.js';

export interface WatsonReport {
  readonly processId?: number;
  readonly eventType?: string;
  readonly buildType?: string;
  readonly appVersion?: string;
  readonly app?: string;
  readonly component?: string;
  readonly method?: string;
  readonly exception?: string;
  readonly callstackHash?: string;
  readonly assemblyVersion?: string;
  readonly errorReportingEnabled?: boolean;
  readonly processName?: string;
  /** From the `exData=|exHResult=...|exStacktrace=...|exMessage=...` details (position 14 or message tail). */
  readonly hresult?: string;
  readonly exceptionMessage?: string;
  readonly stackTrace?: string;
  readonly exceptionSource?: string;
  /** Where the values came from. */
  readonly source: 'event_data' | 'message';
}

export const WATSON_PROVIDER = 'MSExchange Common';
export const WATSON_EVENT_ID = 4999;

// The message regex of eas-formats.md §4.2; the trailing `,` alternative covers copies flattened to one line.
const MESSAGE_RE =
  /Watson report about to be sent for process id: (\d+|<[^>]+>), with parameters: ([^,]+), ([^,]+), ([^,]+), ([^,]+), ([^,]+), ([^,]+), ([^,]+), ([^,]+), ([^,\r\n]+?)\.?(?:,|\r?\n|$)/;
const REPORTING_RE = /ErrorReportingEnabled:\s*(True|False)/i;

export function isWatsonEvent(ev: WindowsEvent): boolean {
  return ev.eventId === WATSON_EVENT_ID && ev.provider.name.toLowerCase() === WATSON_PROVIDER.toLowerCase();
}

/** A value that is a real value, not a `<placeholder>` as Microsoft's KB texts print them, nor empty. */
function real(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === '' || /^<[^>]*>$/.test(t)) return undefined;
  return t;
}

function pid(v: string | undefined): number | undefined {
  const t = real(v);
  return t !== undefined && /^\d{1,10}$/.test(t) ? Number(t) : undefined;
}

function bool(v: string | undefined): boolean | undefined {
  const t = real(v)?.toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

/** Parses the pipe-separated crash details `exData=|exHResult=-2146233086|exStacktrace=...|exMessage=...`. */
function details(text: string | undefined): Partial<WatsonReport> {
  if (!text) return {};
  const start = text.indexOf('exData=');
  const at = start >= 0 ? start : text.indexOf('exHResult=');
  if (at < 0) return {};
  const body = text.slice(at);
  const out: Record<string, string> = {};
  const keys = ['exData', 'exHResult', 'exStacktrace', 'exTargetSite', 'exSource', 'exMessage'];
  // Values may contain '|' only in theory; split on the known `|exKey=` markers instead of every pipe.
  const re = /(?:^|\|)(exData|exHResult|exStacktrace|exTargetSite|exSource|exMessage)=/g;
  const marks: { key: string; start: number; valueStart: number }[] = [];
  for (let m = re.exec(body); m; m = re.exec(body)) {
    marks.push({ key: m[1]!, start: m.index, valueStart: m.index + m[0].length });
  }
  for (let i = 0; i < marks.length; i++) {
    const end = i + 1 < marks.length ? marks[i + 1]!.start : body.length;
    if (keys.includes(marks[i]!.key)) out[marks[i]!.key] = body.slice(marks[i]!.valueStart, end).trim();
  }
  return {
    ...(real(out['exHResult']) ? { hresult: real(out['exHResult'])! } : {}),
    ...(real(out['exMessage']) ? { exceptionMessage: real(out['exMessage'])! } : {}),
    ...(real(out['exStacktrace']) ? { stackTrace: real(out['exStacktrace'])! } : {}),
    ...(real(out['exSource']) ? { exceptionSource: real(out['exSource'])! } : {}),
  };
}

function fromValues(v: readonly (string | undefined)[], source: WatsonReport['source']): WatsonReport {
  const r: Record<string, unknown> = { source };
  const set = (k: keyof WatsonReport, x: unknown): void => {
    if (x !== undefined) r[k] = x;
  };
  set('processId', pid(v[0]));
  set('eventType', real(v[1]));
  set('buildType', real(v[2]));
  set('appVersion', real(v[3]));
  set('app', real(v[4]));
  set('component', real(v[5]));
  set('method', real(v[6]));
  set('exception', real(v[7]));
  set('callstackHash', real(v[8]));
  set('assemblyVersion', real(v[9]));
  return r as unknown as WatsonReport;
}

/** The Watson parameters of a 4999 event, or undefined when neither data nor message carry them. */
export function extractWatson(ev: WindowsEvent): WatsonReport | undefined {
  const positional = ev.eventData.filter((d) => d.name === undefined);
  if (positional.length >= 9) {
    const vals = positional.map((d) => d.value);
    const base = fromValues(vals, 'event_data');
    const extra: Record<string, unknown> = {};
    const enabled = bool(vals[10]);
    if (enabled !== undefined) extra['errorReportingEnabled'] = enabled;
    const name = real(vals[12]);
    if (name !== undefined) extra['processName'] = name;
    return { ...base, ...extra, ...details(vals[13]) } as WatsonReport;
  }
  const msg = ev.rendering?.message;
  if (!msg) return undefined;
  const m = MESSAGE_RE.exec(msg);
  if (!m) return undefined;
  const base = fromValues(m.slice(1, 11), 'message');
  const extra: Record<string, unknown> = {};
  const rep = REPORTING_RE.exec(msg);
  if (rep) extra['errorReportingEnabled'] = rep[1]!.toLowerCase() === 'true';
  return { ...base, ...extra, ...details(msg.slice(m.index + m[0].length)) } as WatsonReport;
}

/**
 * `14.02.0328.009` → `14.2.328.9`; `15.0.620.29` stays. Undefined for anything that is not four (or three)
 * dot-separated numbers: a placeholder is never turned into a build.
 */
export function normalizeBuild(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const m = /^(\d{1,2})\.(\d{1,2})\.(\d{1,4})(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (!m) return undefined;
  const parts = [m[1], m[2], m[3], m[4]]
    .filter((p): p is string => p !== undefined)
    .map((p) => String(Number(p)));
  return parts.join('.');
}
