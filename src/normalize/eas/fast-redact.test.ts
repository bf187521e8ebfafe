import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactText } from '../../pipeline/redact.js';
import { redactDocumentStrings, redactFast } from './fast-redact.js';

const samples = [
  'no secrets here\r\nat all',
  'GET /x?User=a&password=hunter2&Cmd=Sync HTTP/1.1\r\nAuthorization: Basic anNtaXRoOlN1bW1lcjIwMTMh\r\nCookie: a=b\r\n',
  'line one\nAuthorization: Basic\n\n   \n  anNtaXRoOlN1bW1lcjIwMTMh trailing\nnext',
  'see https://user:secretpw@host/path and token=abc;x',
  'a\rCookie: x=y\rb\u2028Authorization: Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg\u2029c',
  'x Authorization: a\r\nthen Basic\r\n\r\nanNtaXRoOlN1bW1lcjIwMTMh\r\n',
  'Bearer\r\n\r\neyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0 and sig=123&access_token=zz',
];

describe('redactFast', () => {
  it('returns exactly what redactText returns', () => {
    for (const s of samples) assert.equal(redactFast(s), redactText(s), JSON.stringify(s));
  });
  it('returns the same string object when there is nothing to redact', () => {
    const s = 'POST /Microsoft-Server-ActiveSync/default.eas User=johndoe&Cmd=Provision';
    assert.equal(redactFast(s), s);
  });
});

describe('redactFast on random trigger soup', () => {
  it('equals redactText on 5,000 random texts', () => {
    const parts = [
      'Basic',
      'Bearer',
      'NTLM',
      ' ',
      '\r\n',
      '\n',
      '\r',
      '\t',
      '\u2028',
      'Authorization:',
      'Cookie: ',
      'x-ms-auth-1:',
      '?',
      '&',
      ';',
      'password=',
      'token=',
      'sig=',
      'https://',
      'u:p@h',
      '@',
      'abcdefghij',
      'QUJDREVGR0g=',
      '"',
      'x',
    ];
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 5000; i++) {
      let s = '';
      const n = 1 + Math.floor(rnd() * 20);
      for (let k = 0; k < n; k++) s += parts[Math.floor(rnd() * parts.length)];
      assert.equal(redactFast(s), redactText(s), JSON.stringify(s));
    }
  });
});

describe('redactDocumentStrings', () => {
  it('redacts derived strings at any depth, in arrays and array objects, but not event.original', () => {
    const doc = {
      event: { original: 'GET /?password=keep', action: 'x' },
      url: { query: 'a=1&password=hunter2' },
      list: ['Bearer abcdefghijkl', 'clean'],
      objs: [{ m: 'see https://u:pw@host/' }],
      n: 1,
    };
    redactDocumentStrings(doc);
    assert.deepEqual(doc, {
      event: { original: 'GET /?password=keep', action: 'x' },
      url: { query: 'a=1&password=[REDACTED]' },
      list: ['Bearer [REDACTED]', 'clean'],
      objs: [{ m: 'see https://u:[REDACTED]@host/' }],
      n: 1,
    });
  });
  it('leaves a document whose only trigger is in event.original as it was', () => {
    const doc = { event: { original: 'Authorization: Basic abcdefghijkl' }, a: ['x', { b: 'y' }] };
    redactDocumentStrings(doc);
    assert.deepEqual(doc, { event: { original: 'Authorization: Basic abcdefghijkl' }, a: ['x', { b: 'y' }] });
  });
});

describe('redactDocumentStrings against redactFast on every string', () => {
  type J = string | number | null | J[] | { [k: string]: J };
  function reference(v: { [k: string]: J }, skip?: string): void {
    for (const k of Object.keys(v)) {
      const x = v[k]!;
      if (x === null || k === skip) continue;
      if (typeof x === 'string') v[k] = redactFast(x);
      else if (Array.isArray(x)) {
        for (let i = 0; i < x.length; i++) {
          const y = x[i]!;
          if (typeof y === 'string') x[i] = redactFast(y);
          else if (y !== null && typeof y === 'object' && !Array.isArray(y)) reference(y);
        }
      } else if (typeof x === 'object') reference(x, k === 'event' ? 'original' : undefined);
    }
  }
  it('gives the same document on 3,000 random documents', () => {
    const words = [
      '',
      'x',
      'token=',
      'Basic abcdefghij',
      'a=1&pwd=zz',
      'https://u:p@h',
      'sig',
      '\n',
      'Cookie: c',
    ];
    let seed = 9;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const str = (): string => {
      let s = '';
      for (let k = Math.floor(rnd() * 4); k > 0; k--) s += words[Math.floor(rnd() * words.length)];
      return s;
    };
    const value = (depth: number): J => {
      const r = rnd();
      if (r < 0.5 || depth > 2) return str();
      if (r < 0.6) return 1;
      if (r < 0.8) return [str(), value(depth + 1), str()];
      return { a: value(depth + 1), original: str(), b: value(depth + 1) };
    };
    for (let i = 0; i < 3000; i++) {
      const doc: { [k: string]: J } = { event: { original: str(), action: str() }, x: value(0), y: value(0) };
      const want = structuredClone(doc);
      reference(want);
      redactDocumentStrings(doc);
      assert.deepEqual(doc, want);
    }
  });
});
