// The `&Log=` protocol-log string Exchange's AirSync code appends to the IIS query (eas-formats.md 2.3).
// Tokens are separated by `_` (an underscore inside a value is written `%5F`, so the split is safe). A token
// is a name then either digits (2010/2013: `S110`, `Hb1680`, `CmdHC-813709136`), `:` + URL-encoded text
// (`Error:PolicyRefresh`, all of 2016+: `S:110`, `Hb:600`), or text without a colon (2013 times:
// `TmRcv06:53:38.44`). 2016+ also has names ending in a digit (`Ver1:161`, `SC1:1`).
// Invariants: never throws; tokens are kept in order; a repeated name (per-folder groups repeat once per
// collection) gets a `_2`, `_3` ... suffix so that no value is lost.

import { urlDecode } from './eas-query.js';

export interface LogTokens {
  /** Decoded values by token name (first occurrence under the bare name). */
  readonly values: Record<string, string>;
  /** Number of tokens read. */
  readonly count: number;
}

const COLON = 58;
const UNDERSCORE = 95;

/** The token names summarizeLogTokens reads. */
const SUMMARY_NAMES: readonly string[] = [
  'S',
  'Error',
  'Ver1',
  'Ver',
  'V',
  'Hb',
  'DevOS',
  'DevModel',
  'DevAgent',
  'As',
  'Mbx',
  'Dc',
  'PrxFrom',
  'PrxTo',
  'Throttle',
  'Fet',
  'Pk',
  'SmtpAdrs',
  'HH',
];

/**
 * Where the value of the token `raw[s, e)` starts, its letters ending at `i`: after a colon (`Mbx:host`), after
 * digits and a colon (`Ver1:161`, `SC1:1`; see splitToken; never the 2013 `Tm...` times), else at `i` (`Hb721`).
 * The name ends one before it, or at `i`.
 */
function valueStartOf(raw: string, s: number, i: number, e: number): number {
  if (i >= e) return i;
  const c = raw.charCodeAt(i);
  if (c === COLON) return i + 1;
  if (!isDigit(c)) return i;
  let j = i + 1;
  while (j < e && isDigit(raw.charCodeAt(j))) j++;
  if (j < e && raw.charCodeAt(j) === COLON && !(raw.charCodeAt(s) === 84 && raw.charCodeAt(s + 1) === 109))
    return j + 1;
  return i;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Split one token into name and raw value, or undefined if it does not start with a letter. */
export function splitToken(tok: string): [string, string] | undefined {
  const n = tok.length;
  let i = 0;
  while (i < n && isLetter(tok.charCodeAt(i))) i++;
  if (i === 0) return undefined;
  const letters = i;
  if (i === n) return [tok, ''];
  const c = tok.charCodeAt(i);
  if (c === COLON) return [tok.slice(0, i), tok.slice(i + 1)];
  // Names ending in digits followed by a colon (`Ver1:161`, `SC1:1`) — except the 2013 time tokens
  // (`TmRcv06:53:38.44`), whose digits are the value.
  if (isDigit(c)) {
    let j = i;
    while (j < n && isDigit(tok.charCodeAt(j))) j++;
    if (j < n && tok.charCodeAt(j) === COLON && !(tok.charCodeAt(0) === 84 && tok.charCodeAt(1) === 109)) {
      // `Tm...` names never end in a digit; anything else with `<letters><digits>:` is a 2016+ name.
      return [tok.slice(0, j), tok.slice(j + 1)];
    }
  }
  return [tok.slice(0, letters), tok.slice(letters)];
}

/**
 * Walks the tokens of a raw (still URL-encoded) `Log=` value without building any: for each non-empty token
 * `raw[s, e)` (the `index`-th, empty ones counted), `visit` gets where its name ends and its value starts, with the
 * same rules as splitToken. A token that does not start with a letter has `nameEnd === s` (and `valueStart === s`).
 * The tokeniser behind parseLogTokens; scanLog has the same rules inlined.
 */
function scanTokens(
  raw: string,
  visit: (s: number, nameEnd: number, valueStart: number, e: number, index: number) => void,
): void {
  const n = raw.length;
  if (n === 0) return;
  let index = -1;
  let s = 0;
  while (s <= n) {
    let e = raw.indexOf('_', s);
    if (e < 0) e = n;
    index++;
    if (e > s) {
      let i = s;
      while (i < e && isLetter(raw.charCodeAt(i))) i++;
      const valueStart = i > s ? valueStartOf(raw, s, i, e) : i;
      const nameEnd = valueStart > i ? valueStart - 1 : i;
      visit(s, nameEnd, valueStart, e, index);
    }
    s = e + 1;
  }
}

/**
 * Parse the raw (still URL-encoded) value of `Log=`. Same result as splitting on `_` and applying splitToken to
 * each token, but reads name and value straight out of `raw` (no token array, no per-token pairs).
 */
export function parseLogTokens(raw: string): LogTokens {
  const values: Record<string, string> = {};
  let count = 0;
  scanTokens(raw, (s, nameEnd, valueStart, e, index) => {
    count++;
    if (nameEnd === s) {
      // A token that does not start with a letter: keep it under a positional name rather than drop it.
      values[`_${index}`] = urlDecode(raw.slice(s, e));
      return;
    }
    let name = raw.slice(s, nameEnd);
    // Names are letters (and digits), so `__proto__` cannot occur; `constructor` can, hence hasOwn.
    if (Object.hasOwn(values, name)) {
      let k = 2;
      while (Object.hasOwn(values, `${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    values[name] = urlDecode(raw.slice(valueStart, e));
  });
  return { values, count };
}

/** Indexes into SUMMARY_NAMES of the names the summary reads (SUMMARY_NAMES[I_S] === 'S', ...). */
const I_S = 0;
const I_ERROR = 1;
const I_VER1 = 2;
const I_VER = 3;
const I_V = 4;
const I_HB = 5;
const I_DEVOS = 6;
const I_DEVMODEL = 7;
const I_DEVAGENT = 8;
const I_AS = 9;
const I_MBX = 10;
const I_DC = 11;
const I_PRXFROM = 12;
const I_PRXTO = 13;
const I_THROTTLE = 14;
const I_FET = 15;
const I_PK = 16;
const I_SMTPADRS = 17;
const I_HH = 18;

/** SUMMARY_NAMES by length, as [first char code, index] pairs: a token name is compared in place, never sliced. */
const SUMMARY_INDEX_BY_LENGTH: readonly (readonly number[])[] = (() => {
  const by: number[][] = [];
  SUMMARY_NAMES.forEach((name, i) => (by[name.length] ??= []).push(name.charCodeAt(0), i));
  for (let i = 0; i < by.length; i++) by[i] ??= [];
  return by;
})();

/** Char codes below 128 that start a summary name: a token starting with another cannot be one. */
const SUMMARY_FIRST: Uint8Array = (() => {
  const first = new Uint8Array(128);
  for (const name of SUMMARY_NAMES) first[name.charCodeAt(0)] = 1;
  return first;
})();

/** The index in SUMMARY_NAMES of the name written at raw[s, s + len), or -1. */
function summaryIndex(raw: string, s: number, len: number): number {
  const candidates = SUMMARY_INDEX_BY_LENGTH[len];
  if (candidates === undefined) return -1;
  const c0 = raw.charCodeAt(s);
  for (let k = 0; k < candidates.length; k += 2) {
    if (candidates[k] !== c0) continue;
    const i = candidates[k + 1]!;
    if (equalAt(raw, s, SUMMARY_NAMES[i]!)) return i;
  }
  return -1;
}

/**
 * One walk of a raw (still URL-encoded) `Log=` value: its summary, and where the first token of each name the
 * summary reads is, so that logTokensRest can drop the ones a document holds without walking the string again
 * (issue 16: the walk for the summary and the one for query_rest were a fifth of the IIS normalize stage).
 */
export interface LogScan {
  /** The `Log=` value scanned. */
  readonly raw: string;
  /** summarizeLogTokens(parseLogTokens(raw).values); empty when the scan was made without values. */
  readonly summary: EasLogSummary;
  /** The first token of each summary name, in token order: SUMMARY_NAMES index, token start, value start, end. */
  readonly firsts: readonly number[];
}

const EMPTY_SUMMARY: EasLogSummary = Object.freeze({});

/**
 * Walks `raw` once, with the rules of scanTokens (inlined: this runs for nearly every IIS EAS line): records the
 * first token of each summary name and, when `withSummary`, decodes its value for the summary.
 */
export function scanLog(raw: string, withSummary = true): LogScan {
  const firsts: number[] = [];
  const values: (string | undefined)[] | undefined = withSummary
    ? new Array<undefined>(SUMMARY_NAMES.length)
    : undefined;
  let seen = 0;
  const n = raw.length;
  let s = 0;
  while (s < n) {
    let e = raw.indexOf('_', s);
    if (e < 0) e = n;
    const c0 = raw.charCodeAt(s);
    // Only tokens whose name the summary reads are recorded (`LdapC0`, `RpcC23`... are passed over at once).
    if (e > s && c0 < 128 && SUMMARY_FIRST[c0] === 1) {
      let i = s + 1;
      while (i < e && isLetter(raw.charCodeAt(i))) i++;
      const valueStart = valueStartOf(raw, s, i, e);
      const nameEnd = valueStart > i ? valueStart - 1 : i;
      const k = summaryIndex(raw, s, nameEnd - s);
      if (k >= 0 && (seen & (1 << k)) === 0) {
        seen |= 1 << k;
        firsts.push(k, s, valueStart, e);
        if (values !== undefined) values[k] = urlDecode(raw.slice(valueStart, e));
      }
    }
    s = e + 1;
  }
  return { raw, summary: values !== undefined ? summaryOf(values) : EMPTY_SUMMARY, firsts };
}

/**
 * summarizeLogTokens(parseLogTokens(raw).values) without building the token map: only the values of the names
 * the summary reads are sliced and decoded (first occurrence of each, as in the map). log-tokens.test.ts compares
 * both on every golden and on random token strings.
 */
export function scanLogSummary(raw: string): EasLogSummary {
  return scanLog(raw).summary;
}

/**
 * The raw `Log=` value without the tokens a document already holds in named fields, the rest in order and as
 * written, joined by `_` (empty tokens at the ends dropped), or '' when nothing is left. What the document stores of the
 * `&Log=` string beside its named fields (issue 16). `held(name)` is the value the document holds for a token the
 * summary reads (`V`/`Ver`/`Ver1`: the protocol version `14.1`), or undefined; it is asked only for the first
 * token of a name (the one the summary read; later ones are per-folder repeats) and the token is left out only
 * when its decoded value is exactly that. Values are compared in place (no slice unless the token is escaped).
 */
export function logTokensRest(raw: string, held: (name: string) => string | undefined): string {
  return logRestOf(scanLog(raw, false), held);
}

/**
 * logTokensRest(scan.raw, held) from a scan already made (for the summary): no second walk of the string. Kept
 * tokens are copied as runs of the raw text between the dropped ones (one slice per run, not per token), each run
 * without the `_` of the empty tokens at its ends.
 */
export function logRestOf(scan: LogScan, held: (name: string) => string | undefined): string {
  const { raw, firsts } = scan;
  let rest = '';
  let from = 0;
  for (let k = 0; k < firsts.length; k += 4) {
    const name = SUMMARY_NAMES[firsts[k]!]!;
    const h = held(name);
    if (h !== undefined && tokenHolds(raw, firsts[k + 2]!, firsts[k + 3]!, name, h)) {
      rest = appendRun(rest, raw, from, firsts[k + 1]!);
      from = firsts[k + 3]!;
    }
  }
  return appendRun(rest, raw, from, raw.length);
}

/** `rest` with raw[a, b) appended (after a `_`), the `_` at both ends of that run left out; as it is if none is left. */
function appendRun(rest: string, raw: string, a: number, b: number): string {
  while (a < b && raw.charCodeAt(a) === UNDERSCORE) a++;
  while (b > a && raw.charCodeAt(b - 1) === UNDERSCORE) b--;
  if (a === b) return rest;
  return rest.length === 0 ? raw.slice(a, b) : `${rest}_${raw.slice(a, b)}`;
}

function tokenHolds(raw: string, s: number, e: number, name: string, value: string): boolean {
  if (name === 'V' || name === 'Ver' || name === 'Ver1') return versionAt(raw, s, e, value);
  return valueAt(raw, s, e, value);
}

/** Whether raw[s, s + value.length) is `value` (startsWith with an offset goes through a slow generic path). */
function equalAt(raw: string, s: number, value: string): boolean {
  for (let i = 0; i < value.length; i++) if (raw.charCodeAt(s + i) !== value.charCodeAt(i)) return false;
  return true;
}

/** protocolVersionOf(raw.slice(s, e)) === value, without the slice and the regexes. */
function versionAt(raw: string, s: number, e: number, value: string): boolean {
  const len = e - s;
  let dot = -1;
  for (let i = s; i < e; i++) {
    const c = raw.charCodeAt(i);
    if (c === 46 /* . */ && dot < 0) dot = i;
    else if (!isDigit(c)) return false;
  }
  // `14.1` as it is (digits on both sides of the dot).
  if (dot >= 0) return dot > s && dot < e - 1 && len === value.length && equalAt(raw, s, value);
  // `141` is `14.1`, `14` is `1.4`.
  if (len !== 2 && len !== 3) return false;
  if (value.length !== len + 1 || value.charCodeAt(len - 1) !== 46) return false;
  for (let i = 0; i < len - 1; i++) if (value.charCodeAt(i) !== raw.charCodeAt(s + i)) return false;
  return value.charCodeAt(len) === raw.charCodeAt(e - 1);
}

/** Whether raw[s, e), URL-decoded, is `value` (compared in place when it needs no decoding). */
export function valueAt(raw: string, s: number, e: number, value: string): boolean {
  if (e - s === value.length && equalAt(raw, s, value)) return true;
  for (let i = s; i < e; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37 /* % */ || c === 43 /* + */) return urlDecode(raw.slice(s, e)) === value;
  }
  return false;
}

/**
 * The summary of a `Log=` value, and the full token map only when asked for (the input option `easLogTokens`):
 * the one place the IIS and mailbox-log normalizers choose between the two readings. `scan` is the walk the
 * summary came from (logRestOf reuses it for query_rest).
 */
export function readLogTokens(
  raw: string,
  keepMap: boolean,
): {
  readonly summary: EasLogSummary;
  readonly scan: LogScan;
  readonly map?: Readonly<Record<string, string>>;
} {
  const scan = scanLog(raw);
  if (!keepMap) return { summary: scan.summary, scan };
  return { summary: scan.summary, scan, map: parseLogTokens(raw).values };
}

/** The typed view of the tokens this agent uses (eas-formats.md 2.3 table). */
export interface EasLogSummary {
  readonly status?: number;
  readonly error?: string;
  /** `14.1` from `V141` or `Ver1:141`. */
  readonly protocolVersion?: string;
  readonly heartbeatSeconds?: number;
  readonly deviceOs?: string;
  readonly deviceModel?: string;
  readonly deviceUserAgent?: string;
  readonly accessState?: string;
  readonly accessStateReason?: string;
  readonly mailboxServer?: string;
  readonly domainController?: string;
  readonly proxiedFrom?: string;
  readonly proxiedTo?: string;
  readonly throttle?: string;
  readonly elapsedMs?: number;
  readonly policyKey?: string;
  readonly smtpAddress?: string;
  readonly host?: string;
}

function int(v: string | undefined): number | undefined {
  if (v === undefined || v.length === 0 || v.length > 15) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** `141` → `14.1` (`V141`, `Ver1:141`), `14.1` as it is; anything else undefined. */
export function protocolVersionOf(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (/^\d{2,3}$/.test(v)) return `${v.slice(0, -1)}.${v.slice(-1)}`;
  if (/^\d+\.\d+$/.test(v)) return v;
  return undefined;
}

// First letter(s) after the state name in `As:AllowedG` → AccessStateReason. Only the unambiguous letters are
// mapped (`U` is both Unknown and Upgrade; `E...` covers three External* reasons).
const ACCESS_STATES = ['DeviceDiscovery', 'Quarantined', 'Allowed', 'Blocked', 'Unknown'] as const;
const ACCESS_REASON_LETTERS: Readonly<Record<string, string>> = {
  G: 'Global',
  I: 'Individual',
  D: 'DeviceRule',
  P: 'Policy',
};

export function parseAccessState(as: string): { state?: string; reason?: string } {
  for (const s of ACCESS_STATES) {
    if (as.startsWith(s)) {
      const rest = as.slice(s.length);
      const reason = ACCESS_REASON_LETTERS[rest];
      return reason !== undefined ? { state: s, reason } : { state: s };
    }
  }
  return {};
}

export function summarizeLogTokens(v: Readonly<Record<string, string>>): EasLogSummary {
  const values: (string | undefined)[] = [];
  for (let i = 0; i < SUMMARY_NAMES.length; i++) values.push(v[SUMMARY_NAMES[i]!]);
  return summaryOf(values);
}

/** The summary from the values of the names it reads, by SUMMARY_NAMES index (undefined: no such token). */
function summaryOf(v: readonly (string | undefined)[]): EasLogSummary {
  const out: {
    -readonly [K in keyof EasLogSummary]: EasLogSummary[K];
  } = {};
  const s = int(v[I_S]);
  if (s !== undefined) out.status = s;
  const error = v[I_ERROR];
  if (error !== undefined && error.length > 0) out.error = error;
  const ver = protocolVersionOf(v[I_VER1]) ?? protocolVersionOf(v[I_VER]) ?? protocolVersionOf(v[I_V]);
  if (ver !== undefined) out.protocolVersion = ver;
  const hb = int(v[I_HB]);
  if (hb !== undefined) out.heartbeatSeconds = hb;
  if (v[I_DEVOS]) out.deviceOs = v[I_DEVOS];
  if (v[I_DEVMODEL]) out.deviceModel = v[I_DEVMODEL];
  if (v[I_DEVAGENT]) out.deviceUserAgent = v[I_DEVAGENT];
  const as = v[I_AS];
  if (as) {
    const a = parseAccessState(as);
    if (a.state !== undefined) out.accessState = a.state;
    if (a.reason !== undefined) out.accessStateReason = a.reason;
  }
  if (v[I_MBX]) out.mailboxServer = v[I_MBX];
  if (v[I_DC]) out.domainController = v[I_DC];
  if (v[I_PRXFROM]) out.proxiedFrom = v[I_PRXFROM];
  if (v[I_PRXTO]) out.proxiedTo = v[I_PRXTO];
  const throttle = v[I_THROTTLE];
  if (throttle !== undefined && throttle.length > 0) out.throttle = throttle;
  const fet = int(v[I_FET]);
  if (fet !== undefined) out.elapsedMs = fet;
  if (v[I_PK]) out.policyKey = v[I_PK];
  if (v[I_SMTPADRS]) out.smtpAddress = v[I_SMTPADRS];
  if (v[I_HH]) out.host = v[I_HH];
  return out;
}
