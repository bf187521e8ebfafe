import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEasQuery, urlDecode } from './eas-query.js';

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
});
