import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactText } from '../../pipeline/redact.js';
import { redactFast } from './fast-redact.js';

const samples = [
  'no secrets here\r\nat all',
  'GET /x?User=a&password=hunter2&Cmd=Sync HTTP/1.1\r\nAuthorization: Basic anNtaXRoOlN1bW1lcjIwMTMh\r\nCookie: a=b\r\n',
  'line one\nAuthorization: Basic\n\n   \n  anNtaXRoOlN1bW1lcjIwMTMh trailing\nnext',
  'see https://user:secretpw@host/path and token=abc;x',
  'a\rCookie: x=y\rb\u2028Authorization: Negotiate YIIBhwYGKwYBBQUCoIIBezCCAXeg\u2029c',
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
