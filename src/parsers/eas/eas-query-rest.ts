// What a document keeps of an EAS query beside the fields parsed out of it (issue 16: no field stored twice). The
// query as logged repeats values that the document already holds in named fields (`Cmd=` as event.action,
// `DeviceId=` as device.id, `&Log=` tokens such as `S1` as microsoft.exchange.activesync.status); storing it whole
// in url.query cost a sixth of every IIS document. The rest (the base64 form's opaque token, parameters and
// tokens casguard does not name: RPC and LDAP counts, folder ids, timings) is kept, in order and as written, in
// microsoft.exchange.activesync.query_rest, so every parameter and token stays queryable. Pure; never throws.

import { paramKey, urlDecode } from './eas-query.js';
import { logTokensRest } from './log-tokens.js';

/** The parameters decodeEasQuery reads into named facts, by paramKey. */
export type EasParamKey = 'cmd' | 'user' | 'deviceid' | 'devicetype' | 'cafereqid';

/**
 * What a document stores of an EAS query beside its named fields (issue 16: no field stored twice): the query
 * without the parameters `isHeldParam` says a field holds (value decoded as decodeEasQuery reads it; the first
 * of a name only) and with `Log=` reduced by logTokensRest, everything else (the base64 form's opaque token,
 * unknown parameters, the tokens casguard does not name) in order and as written; undefined when nothing is left.
 */
export function easQueryRest(
  query: string,
  isHeldParam: (key: EasParamKey, value: string) => boolean,
  isHeldToken: (name: string, value: string) => boolean,
): string | undefined {
  let q = query;
  if (q.length > 0 && q.charCodeAt(0) === 63 /* ? */) q = q.slice(1);
  if (q.length === 0 || q === '-') return undefined;
  const kept: string[] = [];
  const asked: string[] = [];
  for (const part of q.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    if (eq > 0) {
      const name = part.slice(0, eq);
      const raw = part.slice(eq + 1);
      if (name === 'Log') {
        const rest = logTokensRest(raw, isHeldToken);
        if (rest.length > 0) kept.push(`Log=${rest}`);
        continue;
      }
      const key = paramKey(name);
      if (isEasParamKey(key) && !asked.includes(key)) {
        asked.push(key);
        let value = urlDecode(raw);
        if (value.endsWith(';')) value = value.slice(0, -1);
        if (isHeldParam(key, value)) continue;
      }
    }
    kept.push(part);
  }
  return kept.length > 0 ? kept.join('&') : undefined;
}

function isEasParamKey(key: string): key is EasParamKey {
  return key === 'cmd' || key === 'user' || key === 'deviceid' || key === 'devicetype' || key === 'cafereqid';
}
