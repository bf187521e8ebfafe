// What a document keeps of an EAS query beside the fields parsed out of it (issue 16: no field stored twice). The
// query as logged repeats values that the document already holds in named fields (`Cmd=` as event.action,
// `DeviceId=` as device.id, `&Log=` tokens such as `S1` as microsoft.exchange.activesync.status); storing it whole
// in url.query cost a sixth of every IIS document. The rest (the base64 form's opaque token, parameters and
// tokens casguard does not name: RPC and LDAP counts, folder ids, timings) is kept, in order and as written, in
// microsoft.exchange.activesync.query_rest, so every parameter and token stays queryable. Pure; never throws.

import { paramKey } from './eas-query.js';
import { logRestOf, logTokensRest, valueAt, type LogScan } from './log-tokens.js';

/** The parameters decodeEasQuery reads into named facts, by paramKey. */
export type EasParamKey = 'cmd' | 'user' | 'deviceid' | 'devicetype' | 'cafereqid';

/**
 * What a document stores of an EAS query beside its named fields (issue 16: no field stored twice): the query
 * without the parameters the document holds (`heldParam(key)`: the value its field holds; a parameter is left out
 * when its value, decoded as decodeEasQuery reads it, is exactly that; the first of a name only) and with `Log=`
 * reduced by logTokensRest (`heldToken`), everything else (the base64 form's opaque token, unknown parameters, the
 * tokens casguard does not name) in order and as written; undefined when nothing is left. `logScan`, the walk the
 * summary was read from (log-tokens.ts scanLog), saves walking a `Log=` value with the same text again.
 */
export function easQueryRest(
  query: string,
  heldParam: (key: EasParamKey) => string | undefined,
  heldToken: (name: string) => string | undefined,
  logScan?: LogScan,
): string | undefined {
  const n = query.length;
  let s = n > 0 && query.charCodeAt(0) === 63 /* ? */ ? 1 : 0;
  if (s === n || (n === 1 && query === '-')) return undefined;
  // Kept parameters are copied as runs of the query (one slice per run, not per parameter); a run ends at a
  // dropped parameter, an empty one (`&&`: not kept) and `Log=`, whose value is reduced.
  let rest = '';
  let runStart = -1;
  let runEnd = -1;
  let asked = 0;
  while (s <= n) {
    let e = query.indexOf('&', s);
    if (e < 0) e = n;
    let keep = e > s;
    let log: string | undefined;
    if (keep) {
      const eq = query.indexOf('=', s);
      if (eq > s && eq < e) {
        if (
          eq - s === 3 &&
          query.charCodeAt(s) === 76 /* L */ &&
          query.charCodeAt(s + 1) === 111 /* o */ &&
          query.charCodeAt(s + 2) === 103 /* g */
        ) {
          keep = false;
          // The same text as the scan's gives the same rest (logRestOf), whichever `Log=` of the query it is.
          // (Compared as a slice: `===` compares memory; startsWith with an offset goes char by char, 0.7 µs.)
          const raw = query.slice(eq + 1, e);
          const r =
            logScan !== undefined && raw === logScan.raw
              ? logRestOf(logScan, heldToken)
              : logTokensRest(raw, heldToken);
          if (r.length > 0) log = `Log=${r}`;
        } else {
          const key = keyAt(query, s, eq);
          if (key !== undefined && (asked & KEY_BIT[key]) === 0) {
            asked |= KEY_BIT[key];
            const h = heldParam(key);
            // CAFE writes `cafeReqId=<guid>;`: the `;` closes the value.
            const end = e > eq + 1 && query.charCodeAt(e - 1) === 59 /* ; */ ? e - 1 : e;
            if (h !== undefined && valueAt(query, eq + 1, end, h)) keep = false;
          }
        }
      }
    }
    if (keep) {
      if (runStart < 0) runStart = s;
      runEnd = e;
    } else {
      if (runStart >= 0) rest = append(rest, query.slice(runStart, runEnd));
      runStart = -1;
      if (log !== undefined) rest = append(rest, log);
    }
    s = e + 1;
  }
  if (runStart >= 0) rest = append(rest, query.slice(runStart, runEnd));
  return rest.length > 0 ? rest : undefined;
}

function append(rest: string, part: string): string {
  return rest.length === 0 ? part : `${rest}&${part}`;
}

const KEY_BIT: Readonly<Record<EasParamKey, number>> = {
  cmd: 1,
  user: 2,
  deviceid: 4,
  devicetype: 8,
  cafereqid: 16,
};

/** The EAS parameter named at query[s, eq), as decodeEasQuery's paramKey reads it, or undefined. */
function keyAt(query: string, s: number, eq: number): EasParamKey | undefined {
  const len = eq - s;
  if (len !== 3 && len !== 4 && len !== 8 && len !== 9 && len !== 10) return undefined;
  const key = paramKey(query.slice(s, eq));
  return key === 'cmd' || key === 'user' || key === 'deviceid' || key === 'devicetype' || key === 'cafereqid'
    ? key
    : undefined;
}
