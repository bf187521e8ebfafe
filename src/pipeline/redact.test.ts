import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, redactText } from './redact.js';

describe('redactText', () => {
  it('replaces Authorization and Cookie header values and keeps the header names', () => {
    const text =
      'Host: cas\r\nAuthorization: Basic am9obmRvZTpQYXNzdzByZA==\r\nCookie: Cookie=R3437444435\r\nUser-Agent: x\r\n';
    const out = redactText(text);
    assert.equal(out, `Host: cas\r\nAuthorization: ${REDACTED}\r\nCookie: ${REDACTED}\r\nUser-Agent: x\r\n`);
  });

  it('replaces credentials in query strings and URLs', () => {
    assert.equal(
      redactText('/owa/auth.owa?user=a&password=s3cret&x=1'),
      `/owa/auth.owa?user=a&password=${REDACTED}&x=1`,
    );
    assert.equal(
      redactText('https://admin:hunter2@es.example:9200/'),
      `https://admin:${REDACTED}@es.example:9200/`,
    );
    assert.equal(redactText('sent Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig to'), `sent Bearer ${REDACTED} to`);
  });

  it('leaves ordinary EAS lines untouched', () => {
    const line =
      '2013-09-19 14:22:11 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Provision 443 CONTOSO\\johndoe 203.0.113.10 Apple-iPad2C2/1101.465 200 0 0 47';
    assert.equal(redactText(line), line);
  });
});
