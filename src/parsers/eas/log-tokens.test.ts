import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { urlDecode } from './eas-query.js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../../test/helpers/prng.js';
import {
  parseAccessState,
  parseLogTokens,
  scanLogSummary,
  splitToken,
  summarizeLogTokens,
} from './log-tokens.js';

const GOLDEN_IIS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../test/golden/eas/iis');

/** Every `Log=` value of the IIS golden inputs (plain queries; base64 ones carry no Log=). */
function goldenLogStrings(): string[] {
  const out: string[] = [];
  for (const f of readdirSync(GOLDEN_IIS)) {
    if (f.endsWith('.expected.json')) continue;
    for (const m of readFileSync(path.join(GOLDEN_IIS, f), 'latin1').matchAll(/[?&\s]Log=([^&\s]*)/g))
      out.push(m[1]!);
  }
  return out;
}

describe('&Log= tokens', () => {
  it('reads the 2010/2013 style without colons', () => {
    const t = parseLogTokens(
      'V141_LdapC1_RpcC28_Hb1680_S110_Error:System.ArgumentOutOfRangeException_Mbx:MBX01.contoso.com_Throttle0_CmdHC-813709136_',
    );
    assert.deepEqual(
      { ...t.values },
      {
        V: '141',
        LdapC: '1',
        RpcC: '28',
        Hb: '1680',
        S: '110',
        Error: 'System.ArgumentOutOfRangeException',
        Mbx: 'MBX01.contoso.com',
        Throttle: '0',
        CmdHC: '-813709136',
      },
    );
    const s = summarizeLogTokens(t.values);
    assert.equal(s.status, 110);
    assert.equal(s.protocolVersion, '14.1');
    assert.equal(s.heartbeatSeconds, 1680);
    assert.equal(s.error, 'System.ArgumentOutOfRangeException');
  });

  it('reads the 2016+ colon style including names that end in a digit', () => {
    const t = parseLogTokens('SC1:1_PrxFrom:10.0.22.211_Ver1:161_Hb:600_S:110_TmRcv:06:53:38.4480003_');
    assert.equal(t.values['SC1'], '1');
    assert.equal(t.values['Ver1'], '161');
    assert.equal(t.values['Hb'], '600');
    assert.equal(t.values['TmRcv'], '06:53:38.4480003');
    const s = summarizeLogTokens(t.values);
    assert.equal(s.protocolVersion, '16.1');
    assert.equal(s.status, 110);
    assert.equal(s.heartbeatSeconds, 600);
  });

  it('keeps 2013 time tokens whole and decodes URL-encoded text', () => {
    assert.deepEqual(splitToken('TmRcv06:53:38.44'), ['TmRcv', '06:53:38.44']);
    const t = parseLogTokens('DevOS:iOS+9.2+13C71_SmtpAdrs:jmartin%40contoso.com_Fid:1_Fid:2');
    assert.equal(t.values['DevOS'], 'iOS 9.2 13C71');
    assert.equal(t.values['SmtpAdrs'], 'jmartin@contoso.com');
    assert.equal(t.values['Fid_2'], '2');
  });

  it('maps the access state letter only when unambiguous', () => {
    assert.deepEqual(parseAccessState('AllowedG'), { state: 'Allowed', reason: 'Global' });
    assert.deepEqual(parseAccessState('BlockedU'), { state: 'Blocked' });
  });

  it('keeps malformed escapes as written', () => {
    assert.equal(parseLogTokens('SmtpAdrs:User%domain.com').values['SmtpAdrs'], 'User%domain.com');
  });
});

describe('&Log= token names that are Object.prototype keys', () => {
  it('keeps them as plain keys', () => {
    const t = parseLogTokens('constructor:1_toString:2_constructor:4');
    assert.equal(t.values['constructor'], '1');
    assert.equal(JSON.stringify(t.values), '{"constructor":"1","toString":"2","constructor_2":"4"}');
    assert.ok(Object.hasOwn(t.values, 'toString'));
    assert.equal(t.values['constructor_2'], '4');
    assert.equal(Object.getPrototypeOf(t.values), Object.prototype);
  });
});

// The straightforward reading parseLogTokens was optimized from: split on `_`, splitToken per token.
function referenceParse(raw: string): { values: Record<string, string>; count: number } {
  const values: Record<string, string> = {};
  let count = 0;
  if (raw.length === 0) return { values, count };
  const toks = raw.split('_');
  for (let t = 0; t < toks.length; t++) {
    const tok = toks[t]!;
    if (tok.length === 0) continue;
    const kv = splitToken(tok);
    if (!kv) {
      values[`_${t}`] = urlDecode(tok);
      count++;
      continue;
    }
    let name = kv[0];
    if (Object.hasOwn(values, name)) {
      let k = 2;
      while (Object.hasOwn(values, `${name}_${k}`)) k++;
      name = `${name}_${k}`;
    }
    values[name] = urlDecode(kv[1]);
    count++;
  }
  return { values, count };
}

describe('parseLogTokens against the split-and-splitToken reading', () => {
  it('gives the same values, in the same order, on 20,000 random token strings', () => {
    const parts = [
      '_',
      '__',
      'S',
      'Tm',
      'Rcv',
      'Ver',
      '1',
      '12',
      ':',
      '%3A',
      '%',
      '+',
      'x',
      'constructor',
      '.',
      '-',
    ];
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      const n = Math.floor(rnd() * 16);
      for (let k = 0; k < n; k++) s += parts[Math.floor(rnd() * parts.length)];
      const got = parseLogTokens(s);
      const want = referenceParse(s);
      assert.equal(JSON.stringify(got.values), JSON.stringify(want.values), JSON.stringify(s));
      assert.equal(got.count, want.count, JSON.stringify(s));
    }
  });
});

describe('scanLogSummary (the summary without the token map)', () => {
  const viaMap = (raw: string) => summarizeLogTokens(parseLogTokens(raw).values);

  it('equals summarizeLogTokens(parseLogTokens()) on every Log= string of the IIS goldens', () => {
    const logs = goldenLogStrings();
    assert.ok(logs.length >= 10, `only ${logs.length} Log= strings found in ${GOLDEN_IIS}`);
    for (const raw of logs) assert.deepEqual(scanLogSummary(raw), viaMap(raw), raw);
  });

  it('equals it on random token strings (repeats, digits in names, colons, escapes, junk)', () => {
    const rnd = mulberry32(2851708);
    // Written out here on purpose, not imported: a name dropped from the implementation's list must still be
    // generated, so that the difference shows.
    const names = [
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
    ];
    names.push('PrxFrom', 'PrxTo', 'Throttle', 'Fet', 'Pk', 'SmtpAdrs', 'HH', 'TmRcv', 'SC1', 'Sst', 'RpcL');
    const values = [
      '110',
      '1',
      '141',
      '16.1',
      'AllowedG',
      'iOS+7.0+11A465',
      'a%5Fb',
      '%zz',
      '',
      '06:53:38.44',
    ];
    values.push(':x', 'System.ArgumentOutOfRangeException', 'mbx%40contoso.com', '999999999999999999');
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    for (let n = 0; n < 5000; n++) {
      const tokens: string[] = [];
      const count = Math.floor(rnd() * 12);
      for (let k = 0; k < count; k++) {
        const r = rnd();
        if (r < 0.05)
          tokens.push(pick(values)); // no name
        else tokens.push(pick(names) + (r < 0.5 ? ':' : '') + pick(values));
      }
      const raw = tokens.join('_') + (rnd() < 0.5 ? '_' : '');
      assert.deepEqual(scanLogSummary(raw), viaMap(raw), raw);
    }
  });
});
