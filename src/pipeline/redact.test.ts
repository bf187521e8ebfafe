import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeRedactor, installRedaction, maskUrl, REDACTED, redactText } from './redact.js';

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

  it('replaces header values in the middle of a line up to the end of the field', () => {
    assert.equal(
      redactText('2020-01-01,req1,"Cookie: X-BackEndCookie=S-1-5-21=abc; cadata=xyz",next'),
      `2020-01-01,req1,"Cookie: ${REDACTED}",next`,
    );
    assert.equal(
      redactText('headers: Authorization: Basic abcdefgh, Host: x'),
      `headers: Authorization: ${REDACTED}, Host: x`,
    );
  });

  it('replaces credentials at the start of a query, after spaces, and URL-encoded once', () => {
    assert.equal(redactText('access_token=eyJabc&x=1'), `access_token=${REDACTED}&x=1`);
    assert.equal(redactText('form body password=hunter2 next'), `form body password=${REDACTED} next`);
    assert.equal(
      redactText('Log=Foo_url:%2Fowa%3Fuser%3Da%26password%3Dhunter2%26x%3D1_Bar'),
      `Log=Foo_url:%2Fowa%3Fuser%3Da%26password%3D${REDACTED}%26x%3D1_Bar`,
    );
    assert.equal(
      redactText('keysync=1&passwordless=x&PasswordExpiry=9'),
      'keysync=1&passwordless=x&PasswordExpiry=9',
      'only whole parameter names (or names ending in password)',
    );
    assert.equal(redactText('NewPassword=x'), `NewPassword=${REDACTED}`);
  });

  it('leaves ordinary EAS lines untouched', () => {
    const line =
      '2013-09-19 14:22:11 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Provision 443 CONTOSO\\johndoe 203.0.113.10 Apple-iPad2C2/1101.465 200 0 0 47';
    assert.equal(redactText(line), line);
  });
});

describe('maskUrl', () => {
  it('masks the password of a URL and keeps the user, host and path', () => {
    assert.equal(
      maskUrl('https://elastic:s3cr%40t@es.example:9200/x?y=1'),
      `https://elastic:${REDACTED}@es.example:9200/x?y=1`,
    );
    assert.equal(maskUrl('http://user:p@ss@h:9200'), `http://user:${REDACTED}@h:9200`);
    assert.equal(maskUrl('https://es.example:9200'), 'https://es.example:9200');
    assert.equal(maskUrl('https://elastic@es.example'), 'https://elastic@es.example');
    assert.equal(maskUrl('https://h/?api_key=abc'), `https://h/?api_key=${REDACTED}`);
  });
});

describe('installRedaction', () => {
  it('installs a site redactor and an empty block restores the built-in one', () => {
    const builtIn = activeRedactor();
    try {
      installRedaction({ names: ['corp_pin'], patterns: [] });
      assert.equal(redactText('corp_pin=1234'), `corp_pin=${REDACTED}`);
      installRedaction({ names: [], patterns: [] });
      assert.equal(activeRedactor(), builtIn);
      assert.equal(redactText('corp_pin=1234'), 'corp_pin=1234');
    } finally {
      installRedaction(undefined);
    }
  });
});
