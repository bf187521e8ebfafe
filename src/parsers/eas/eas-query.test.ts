import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../../../test/helpers/prng.js';
import { decodeBase64Query, decodeEasQuery, paramKey, urlDecode, type EasQuery } from './eas-query.js';

/** The split-based reading decodeEasQuery was optimized from (main at f4c75e1), for the comparison below. */
function splitDecode(query: string): EasQuery {
  let q = query;
  if (q.length > 0 && q.charCodeAt(0) === 63 /* ? */) q = q.slice(1);
  if (q.length === 0 || q === '-') return { encoding: 'none', params: {} };
  const parts = q.split('&');
  const params: Record<string, string> = {};
  let cmd: string | undefined;
  let user: string | undefined;
  let deviceId: string | undefined;
  let deviceType: string | undefined;
  let log: string | undefined;
  let cafeRequestId: string | undefined;
  let base64: ReturnType<typeof decodeBase64Query>;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.length === 0) continue;
    // The opaque base64 form is the first (and only client) parameter; its padding may end in `=`.
    const eq = part.indexOf('=');
    // A `=` followed by anything but `=` or an escape (`%3D`) cannot be base64 padding: skip the attempt for
    // every plain `Name=value` first parameter.
    if (i === 0 && part.length >= 8 && !(eq >= 0 && eq + 1 < part.length && !isPadOrEscape(part, eq + 1))) {
      base64 = decodeBase64Query(urlDecodeNoPlus(part));
      if (base64) continue;
    }
    if (eq < 0) {
      params[urlDecode(part)] = '';
      continue;
    }
    const name = part.slice(0, eq);
    const raw = part.slice(eq + 1);
    // Exchange appends `Log=` last; its value is the token string and is decoded token by token later.
    if (name === 'Log') {
      log = raw;
      continue;
    }
    let value = urlDecode(raw);
    // CAFE writes `CorrelationID=<empty>;&cafeReqId=<guid>;`: the `;` closes the value.
    if (value.endsWith(';')) value = value.slice(0, -1);
    switch (paramKey(name)) {
      case 'cmd':
        cmd = value;
        break;
      case 'user':
        user = value;
        break;
      case 'deviceid':
        deviceId = value;
        break;
      case 'devicetype':
        deviceType = value;
        break;
      case 'cafereqid':
        cafeRequestId = value;
        break;
      default:
        params[name] = value;
    }
  }
  // Built by assignment (not conditional spreads): this runs for every EAS line.
  if (base64) {
    const out: { -readonly [K in keyof EasQuery]: EasQuery[K] } = {
      encoding: 'base64',
      params: { ...base64.params, ...params },
    };
    if (base64.cmd !== undefined) out.cmd = base64.cmd;
    if (base64.user !== undefined) out.user = base64.user;
    if (base64.deviceId !== undefined) out.deviceId = base64.deviceId;
    if (base64.deviceType !== undefined) out.deviceType = base64.deviceType;
    if (base64.protocolVersion !== undefined) out.protocolVersion = base64.protocolVersion;
    if (base64.policyKey !== undefined) out.policyKey = base64.policyKey;
    out.locale = base64.locale;
    if (log !== undefined) out.log = log;
    if (cafeRequestId !== undefined) out.cafeRequestId = cafeRequestId;
    return out;
  }
  const any = cmd !== undefined || user !== undefined || deviceId !== undefined || deviceType !== undefined;
  const out: { -readonly [K in keyof EasQuery]: EasQuery[K] } = { encoding: any ? 'plain' : 'none', params };
  if (cmd !== undefined) out.cmd = cmd;
  if (user !== undefined) out.user = user;
  if (deviceId !== undefined) out.deviceId = deviceId;
  if (deviceType !== undefined) out.deviceType = deviceType;
  if (log !== undefined) out.log = log;
  if (cafeRequestId !== undefined) out.cafeRequestId = cafeRequestId;
  return out;
}

function isPadOrEscape(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c === 61 || c === 37;
}

function urlDecodeNoPlus(s: string): string {
  if (s.indexOf('%') < 0) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

describe('EAS query decoding', () => {
  it('reads the plain form in any parameter order and keeps Log= raw', () => {
    const q = decodeEasQuery(
      'Cmd=Ping&User=cdrcb.com%5Cdengmu&DeviceId=androidc537050526&DeviceType=KSAndroid&Log=V141_S3_',
    );
    assert.equal(q.encoding, 'plain');
    assert.equal(q.cmd, 'Ping');
    assert.equal(q.user, 'cdrcb.com\\dengmu');
    assert.equal(q.deviceId, 'androidc537050526');
    assert.equal(q.deviceType, 'KSAndroid');
    assert.equal(q.log, 'V141_S3_');
  });

  it('reads the HttpProxy form with a leading ? and CAFE request ids', () => {
    const q = decodeEasQuery(
      '?User=a&DeviceId=b&DeviceType=iPad&Cmd=Search&CorrelationID=<empty>;&cafeReqId=fffa581c;',
    );
    assert.equal(q.cmd, 'Search');
    assert.equal(q.cafeRequestId, 'fffa581c');
    assert.equal(q.params['CorrelationID'], '<empty>');
  });

  it('decodes the MS-ASHTTP base64 form', () => {
    const q = decodeEasQuery(
      'jBQJBA9TRUMxQTJCM0M0RDVFNkYEYEjqTQ5TQU1TVU5HU01HOTAwRggHam9obmRvZQ==&Log=V140_S1_',
    );
    assert.equal(q.encoding, 'base64');
    assert.equal(q.cmd, 'Provision');
    assert.equal(q.protocolVersion, '14.0');
    assert.equal(q.deviceId, 'SEC1A2B3C4D5E6F');
    assert.equal(q.deviceType, 'SAMSUNGSMG900F');
    assert.equal(q.user, 'johndoe');
    assert.equal(q.policyKey, '1307199584');
    assert.equal(q.locale, 0x0409);
    assert.equal(q.log, 'V140_S1_');
  });

  it('does not mistake a short plain parameter for base64', () => {
    assert.equal(decodeEasQuery('User=&Cmd=Sync').cmd, 'Sync');
    assert.equal(decodeEasQuery('-').encoding, 'none');
  });

  it('never throws on malformed escapes', () => {
    assert.equal(urlDecode('a%zz%41'), 'a%zzA');
  });
});

describe('urlDecode of long values', () => {
  it('decodes a long value with a stray % piecewise, like a short one', () => {
    const tail = 'x'.repeat(300);
    assert.equal(urlDecode(`User%domain.com%3A1+2${tail}`), `User%domain.com:1 2${tail}`);
    // A run of escapes that is not UTF-8 stays as written, whatever the length.
    assert.equal(urlDecode(`%FF%41${tail}`), `%FF%41${tail}`);
    assert.equal(urlDecode(`%FF%41`), `%FF%41`);
    assert.equal(urlDecode(`a%5b1%5d%3d2${tail}`), `a[1]=2${tail}`);
  });

  it('reads every query as the split-based reading does (5,000 random queries, both forms)', () => {
    const rnd = mulberry32(20131);
    const forms = new Set<string>();
    const parts = ['Cmd=Ping', 'cmd=Sync', 'User=a%5Cb', 'DeviceId=d1', 'DEVICETYPE=iPad', 'cafeReqId=f1;'];
    parts.push(
      'CorrelationID=<empty>;',
      'Log=V141_S1_',
      'Log=',
      'x',
      '',
      '=',
      '=x',
      'a=b=c',
      'a=%zz',
      'p=1+2',
    );
    parts.push(
      'jBQJBA9TRUMxQTJCM0M0RDVFNkYEYEjqTQ5TQU1TVU5HU01HOTAwRggHam9obmRvZQ==',
      'abcdefgh',
      'abcdefg=',
    );
    parts.push('jAkJBAgxMjM0NTY3OAR7BAAABmlQaG9uZQ%3D%3D', 'Log=S1&', 'constructor=1', 'toString');
    for (let n = 0; n < 5000; n++) {
      const k = Math.floor(rnd() * 7);
      const picked: string[] = [];
      for (let i = 0; i < k; i++) picked.push(parts[Math.floor(rnd() * parts.length)]!);
      const r = rnd();
      const q = (r < 0.2 ? '?' : '') + picked.join('&') + (r > 0.9 ? '&' : '');
      const got = decodeEasQuery(q);
      const want = splitDecode(q);
      assert.equal(JSON.stringify(got), JSON.stringify(want), q);
      assert.deepEqual(got, want, q);
      forms.add(got.encoding);
    }
    assert.deepEqual([...forms].sort(), ['base64', 'none', 'plain']);
    for (const q of ['', '?', '-', '?-', '&', '?&&', '--'])
      assert.deepEqual(decodeEasQuery(q), splitDecode(q), q);
  });
});
