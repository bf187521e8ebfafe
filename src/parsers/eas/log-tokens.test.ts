import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { urlDecode } from './eas-query.js';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../../test/helpers/prng.js';
import {
  logRestOf,
  logTokensRest,
  parseAccessState,
  parseLogTokens,
  protocolVersionOf,
  readLogTokens,
  scanLog,
  scanLogSummary,
  splitToken,
  summarizeLogTokens,
  type EasLogSummary,
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
    assert.ok(Object.hasOwn(t.values, 'toString'), "Object.hasOwn(t.values, 'toString')");
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

// The names the summary reads, written out (not imported) so that a name the implementation loses still shows.
const SUMMARY = [
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

/** The summary as main had it before scanLog (f4c75e1): read by name from the token map. */
function referenceSummary(v: Record<string, string>): EasLogSummary {
  const out: Record<string, unknown> = {};
  const int = (x: string | undefined): number | undefined => {
    if (x === undefined || x.length === 0 || x.length > 15) return undefined;
    const n = Number(x);
    return Number.isInteger(n) ? n : undefined;
  };
  if (int(v['S']) !== undefined) out['status'] = int(v['S']);
  if (v['Error'] !== undefined && v['Error'].length > 0) out['error'] = v['Error'];
  const ver = protocolVersionOf(v['Ver1']) ?? protocolVersionOf(v['Ver']) ?? protocolVersionOf(v['V']);
  if (ver !== undefined) out['protocolVersion'] = ver;
  if (int(v['Hb']) !== undefined) out['heartbeatSeconds'] = int(v['Hb']);
  if (v['DevOS']) out['deviceOs'] = v['DevOS'];
  if (v['DevModel']) out['deviceModel'] = v['DevModel'];
  if (v['DevAgent']) out['deviceUserAgent'] = v['DevAgent'];
  if (v['As']) {
    const a = parseAccessState(v['As']);
    if (a.state !== undefined) out['accessState'] = a.state;
    if (a.reason !== undefined) out['accessStateReason'] = a.reason;
  }
  if (v['Mbx']) out['mailboxServer'] = v['Mbx'];
  if (v['Dc']) out['domainController'] = v['Dc'];
  if (v['PrxFrom']) out['proxiedFrom'] = v['PrxFrom'];
  if (v['PrxTo']) out['proxiedTo'] = v['PrxTo'];
  if (v['Throttle'] !== undefined && v['Throttle'].length > 0) out['throttle'] = v['Throttle'];
  if (int(v['Fet']) !== undefined) out['elapsedMs'] = int(v['Fet']);
  if (v['Pk']) out['policyKey'] = v['Pk'];
  if (v['SmtpAdrs']) out['smtpAddress'] = v['SmtpAdrs'];
  if (v['HH']) out['host'] = v['HH'];
  return out as EasLogSummary;
}

/**
 * The straightforward reading of logTokensRest: split on `_`; a token is dropped when it is the first of a summary
 * name and its decoded value is what `held` says; the kept tokens stay as written, runs between dropped tokens
 * lose the empty tokens at their ends, and the runs are joined by `_`.
 */
function referenceRest(raw: string, held: (name: string) => string | undefined): string {
  const runs: string[][] = [];
  let cur: string[] | undefined;
  const asked = new Set<string>();
  for (const tok of raw.length === 0 ? [] : raw.split('_')) {
    if (tok.length === 0) {
      cur?.push(tok);
      continue;
    }
    const kv = splitToken(tok);
    let dropped = false;
    if (kv !== undefined && SUMMARY.includes(kv[0]) && !asked.has(kv[0])) {
      asked.add(kv[0]);
      const h = held(kv[0]);
      const v = ['V', 'Ver', 'Ver1'].includes(kv[0]) ? protocolVersionOf(kv[1]) : urlDecode(kv[1]);
      dropped = h !== undefined && v === h;
    }
    if (dropped) {
      if (cur !== undefined) runs.push(cur);
      cur = undefined;
    } else (cur ??= []).push(tok);
  }
  if (cur !== undefined) runs.push(cur);
  return runs
    .map((r) => {
      while (r.length > 0 && r[r.length - 1] === '') r.pop();
      return r.join('_');
    })
    .join('_');
}

/** Random `Log=` strings: summary names and others, both token styles, repeats, empty tokens, escapes, junk. */
function randomLogs(seed: number, count: number): string[] {
  const rnd = mulberry32(seed);
  const names = [...SUMMARY, 'TmRcv', 'SC1', 'Sst', 'RpcL', 'Fid', 'Tm'];
  const values = ['110', '1', '141', '16.1', 'AllowedG', 'iOS+7.0+11A465', 'a%5Fb', '%zz', '', '06:53:38.44'];
  values.push(':x', 'MBX01.contoso.com', 'MBX01%2econtoso.com', 'mbx%40contoso.com', '999999999999999999');
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: string[] = ['', '_', '__', 'S1', '_S1_', 'S1__S1', 'x_S1_y', '%41_S1'];
  for (let n = 0; n < count; n++) {
    const tokens: string[] = [];
    const k = Math.floor(rnd() * 12);
    for (let t = 0; t < k; t++) {
      const r = rnd();
      if (r < 0.08) tokens.push('');
      else if (r < 0.13) tokens.push(pick(values));
      else tokens.push(pick(names) + (r < 0.5 ? ':' : '') + pick(values));
    }
    out.push((rnd() < 0.2 ? '_' : '') + tokens.join('_') + (rnd() < 0.5 ? '_' : ''));
  }
  return out;
}

describe('scanLog: one walk of a Log= value for its summary and its rest', () => {
  const helds: Record<string, string>[] = [
    {},
    { S: '1', Mbx: 'MBX01.contoso.com', V: '14.1', Ver1: '16.1', Hb: '1680', As: 'AllowedG' },
    { S: '110', Error: '', Pk: '1', DevOS: 'iOS 7.0 11A465', Dc: '06:53:38.44', Throttle: ':x' },
  ];

  it('reads the same summary as the token map, checked against main before scanLog', () => {
    for (const raw of [...goldenLogStrings(), ...randomLogs(16, 5000)]) {
      const want = referenceSummary(referenceParse(raw).values);
      assert.deepEqual(scanLog(raw).summary, want, raw);
      assert.deepEqual(summarizeLogTokens(parseLogTokens(raw).values), want, raw);
      assert.deepEqual(readLogTokens(raw, true).summary, want, raw);
    }
  });

  it('gives the rest of the straightforward reading, from the scan and on its own', () => {
    for (const raw of [...goldenLogStrings(), ...randomLogs(1608, 5000)]) {
      for (const h of helds) {
        const held = (name: string): string | undefined => h[name];
        const want = referenceRest(raw, held);
        assert.equal(logRestOf(scanLog(raw), held), want, `${raw} ${JSON.stringify(h)}`);
        assert.equal(logTokensRest(raw, held), want, `${raw} ${JSON.stringify(h)}`);
      }
    }
  });

  it('compares protocol versions as protocolVersionOf reads them (V141 is 14.1, Ver:14.1 as it is)', () => {
    const raws = [
      '',
      '1',
      '14',
      '141',
      '1410',
      '14.1',
      '1.4',
      '.14',
      '14.',
      '1..4',
      '1.4.1',
      '14a',
      '%31%341',
    ];
    const helds = ['14.1', '1.4', '141', '14.', '', '16.1', '1.41'];
    for (const x of raws) {
      for (const h of helds) {
        for (const raw of [`V${x}_S1`, `Ver:${x}_S1`, `Ver1:${x}_S1`, `Ver${x}_Ver1:${x}`]) {
          const held = (name: string): string | undefined =>
            name === 'V' || name === 'Ver' || name === 'Ver1' ? h : undefined;
          assert.equal(logRestOf(scanLog(raw), held), referenceRest(raw, held), `${raw} held ${h}`);
        }
      }
    }
    assert.equal(
      logTokensRest('V141_S1', (n) => (n === 'V' ? '14.1' : undefined)),
      'S1',
    );
    assert.equal(
      logTokensRest('V14_S1', (n) => (n === 'V' ? '1.4' : undefined)),
      'S1',
    );
  });

  it('keeps everything but the empty tokens at the ends when nothing is held', () => {
    const none = (): undefined => undefined;
    assert.equal(logRestOf(scanLog('__V141__S1_Mbx:a_'), none), 'V141__S1_Mbx:a');
    assert.equal(logRestOf(scanLog(''), none), '');
    assert.equal(logRestOf(scanLog('___'), none), '');
  });

  it('leaves nothing when the document holds every token, and drops empty tokens next to dropped ones', () => {
    const held = (n: string): string | undefined => ({ S: '1', Mbx: 'a' })[n];
    assert.equal(logRestOf(scanLog('S1__Mbx:a_'), held), '');
    assert.equal(logRestOf(scanLog('x__S1__y'), held), 'x_y');
    assert.equal(logRestOf(scanLog('S1_S1'), held), 'S1');
  });

  it('compares percent-encoded values decoded, and keeps them as written', () => {
    const held = (n: string): string | undefined => ({ Mbx: 'MBX01.contoso.com', DevOS: 'iOS 7' })[n];
    assert.equal(logRestOf(scanLog('Mbx:MBX01%2econtoso.com_DevOS:iOS%207_x%5Fy'), held), 'x%5Fy');
    assert.equal(logRestOf(scanLog('Mbx:MBX01%2ecom_DevOS:iOS+8'), held), 'Mbx:MBX01%2ecom_DevOS:iOS+8');
  });

  it('records only the first token of each summary name, with where its value starts', () => {
    const scan = scanLog('Ver1:161_V141_Fid:1_V140_S:110');
    // [SUMMARY_NAMES index, token start, value start, token end] per first token: Ver1, V, S.
    assert.deepEqual(scan.firsts, [2, 0, 5, 8, 4, 9, 10, 13, 0, 25, 27, 30]);
    assert.equal(scan.summary.protocolVersion, '16.1');
    assert.equal(scan.summary.status, 110);
    assert.deepEqual(scanLog('Fid:1_TmRcv06:53:38.44').firsts, []);
  });
});
