import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { easQueryRest, type EasParamKey } from './eas-query-rest.js';
import { paramKey } from './eas-query.js';
import { logTokensRest, scanLog, valueAt } from './log-tokens.js';
import { mulberry32 } from '../../../test/helpers/prng.js';

// A document that holds Cmd=Ping, DeviceId=d1, S=1 and Mbx=MBX01 (and nothing else).
const heldParams: Partial<Record<EasParamKey, string>> = { cmd: 'Ping', deviceid: 'd1' };
const heldTokens: Record<string, string> = { S: '1', Mbx: 'MBX01.contoso.com' };
const rest = (q: string): string | undefined =>
  easQueryRest(
    q,
    (k) => heldParams[k],
    (n) => heldTokens[n],
  );

describe('what a document keeps of an EAS query (query_rest)', () => {
  it('drops the parameters and tokens the document holds and keeps the rest in order, as written', () => {
    assert.equal(
      rest('User=jd&DeviceId=d1&Cmd=Ping&Log=V141_RpcC23_S1_Mbx:MBX01.contoso.com_SBkOffD:L%2f-470_'),
      'User=jd&Log=V141_RpcC23_SBkOffD:L%2f-470',
    );
  });

  it('keeps a parameter or token whose value differs from the field', () => {
    assert.equal(
      rest('Cmd=Sync&DeviceId=d1&Log=S01_Mbx:MBX02.contoso.com'),
      'Cmd=Sync&Log=S01_Mbx:MBX02.contoso.com',
    );
  });

  it('compares decoded values and asks only for the first token of a name', () => {
    assert.equal(rest('DeviceId=d%31&Log=Mbx:MBX01%2econtoso.com_S1_S1_'), 'Log=S1');
  });

  it('is undefined when the document holds everything, and for an empty query', () => {
    assert.equal(rest('?Cmd=Ping&DeviceId=d1&Log=S1_'), undefined);
    assert.equal(rest(''), undefined);
    assert.equal(rest('-'), undefined);
  });

  it('keeps the base64 form, unknown parameters and CAFE ids nobody holds', () => {
    assert.equal(
      rest(
        'jBQJBA9TRUMxQTJCM0M0RDVFNkYEYEjqTQ5TQU1TVU5HU01HOTAwRggHam9obmRvZQ==&Log=V140_S1_&CorrelationID=<empty>;&cafeReqId=f1;',
      ),
      'jBQJBA9TRUMxQTJCM0M0RDVFNkYEYEjqTQ5TQU1TVU5HU01HOTAwRggHam9obmRvZQ==&Log=V140&CorrelationID=<empty>;&cafeReqId=f1;',
    );
  });

  it('gives the same rest with the scan of its Log= value, and walks any other Log= value itself', () => {
    const held = (k: EasParamKey): string | undefined => heldParams[k];
    const tok = (n: string): string | undefined => heldTokens[n];
    for (const q of [
      'Cmd=Ping&Log=V141_S1__Mbx:MBX01.contoso.com_RpcC2_',
      'Cmd=Ping&Log=S1_x&Log=S1_y',
      'Log=&Cmd=Ping',
      'Cmd=Ping&Log=__',
    ]) {
      const without = easQueryRest(q, held, tok);
      for (const m of q.matchAll(/Log=([^&]*)/g))
        assert.equal(easQueryRest(q, held, tok, scanLog(m[1]!)), without, `${q} with the scan of ${m[1]}`);
      // A scan of another text (a mailbox log's protocol string) is not used for this query's Log= value.
      assert.equal(easQueryRest(q, held, tok, scanLog('S1_Mbx:other')), without, q);
    }
    assert.equal(easQueryRest('Cmd=Ping&Log=S1_x&Log=S1_y', held, tok, scanLog('S1_y')), 'Log=x&Log=y');
  });

  it('equals the part-by-part reading on 5,000 random queries, with and without the scan of Log=', () => {
    const held = (k: EasParamKey): string | undefined => heldParams[k];
    const tok = (n: string): string | undefined => heldTokens[n];
    // The reading before runs: split on `&`, drop empty parts and held parameters (first of a key only),
    // reduce each Log= value, join what is left with `&`.
    const reference = (q: string): string | undefined => {
      const body = q.startsWith('?') ? q.slice(1) : q;
      if (body.length === 0 || body === '-') return undefined;
      const kept: string[] = [];
      const asked = new Set<string>();
      for (const part of body.split('&')) {
        if (part.length === 0) continue;
        const eq = part.indexOf('=');
        if (eq > 0 && part.slice(0, eq) === 'Log') {
          const r = logTokensRest(part.slice(eq + 1), tok);
          if (r.length > 0) kept.push(`Log=${r}`);
          continue;
        }
        const key = eq > 0 ? paramKey(part.slice(0, eq)) : '';
        if (['cmd', 'user', 'deviceid', 'devicetype', 'cafereqid'].includes(key) && !asked.has(key)) {
          asked.add(key);
          const h = held(key as EasParamKey);
          const end = part.endsWith(';') && part.length > eq + 1 ? part.length - 1 : part.length;
          if (h !== undefined && valueAt(part, eq + 1, end, h)) continue;
        }
        kept.push(part);
      }
      return kept.length > 0 ? kept.join('&') : undefined;
    };
    const parts = [
      'Cmd=Ping',
      'cmd=Sync',
      'CMD=Ping',
      'User=jd',
      'DeviceId=d1',
      'DeviceId=d%31',
      'DeviceType=iPad',
    ];
    parts.push(
      'cafeReqId=f1;',
      'Log=S1_x',
      'Log=',
      'Log=S1',
      'Log=_S1__',
      '',
      '=x',
      'x',
      'a=b',
      'Log',
      'log=S1',
    );
    const rnd = mulberry32(2016);
    for (let n = 0; n < 5000; n++) {
      const k = Math.floor(rnd() * 8);
      const picked: string[] = [];
      for (let i = 0; i < k; i++) picked.push(parts[Math.floor(rnd() * parts.length)]!);
      const q = (rnd() < 0.2 ? '?' : '') + picked.join('&');
      const want = reference(q);
      assert.equal(easQueryRest(q, held, tok), want, q);
      const log = /(?:^|[?&])Log=([^&]*)/.exec(q);
      if (log !== null) assert.equal(easQueryRest(q, held, tok, scanLog(log[1]!)), want, q);
    }
  });
});
