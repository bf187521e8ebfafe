import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EcsDocument } from '../../pipeline/document.types.js';
import { createFileHandlerFactory } from './handler-factory.js';
import { ALL_FORMATS } from './index.js';

const LINE =
  '2013-09-19 14:22:11 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Provision&Log=V141_LdapC1_S110_Error:System.ArgumentOutOfRangeException_Mbx:MBX01.contoso.com_ 443 CONTOSO\\johndoe 203.0.113.10 Apple-iPad2C2/1101.465 200 0 0 47';

function activesync(easLogTokens: boolean | undefined): Record<string, unknown> {
  const factory = createFileHandlerFactory({
    formats: ALL_FORMATS,
    format: 'iis',
    timezone: 'UTC',
    observerHostname: 'agent01',
    ...(easLogTokens !== undefined ? { easLogTokens } : {}),
    deps: { enrichers: [] },
  });
  const handler = factory({ inputId: 'i', path: 'u_ex130919.log', fingerprint: 'fp' }, LINE)!;
  const doc: EcsDocument = handler.process({
    source: { inputId: 'i', path: 'u_ex130919.log', fingerprint: 'fp' },
    offset: 0,
    endOffset: LINE.length + 1,
    text: LINE,
  }).documents[0]!.doc;
  const ms = doc['microsoft'] as { exchange: { activesync: Record<string, unknown> } };
  return ms.exchange.activesync;
}

describe('file handler factory', () => {
  it('passes the input option easLogTokens to the normalizers (default: named fields only)', () => {
    for (const off of [activesync(undefined), activesync(false)]) {
      assert.equal(off['status'], 110);
      assert.equal(off['error'], 'System.ArgumentOutOfRangeException');
      assert.equal(off['log_tokens'], undefined);
    }
    const on = activesync(true);
    assert.equal(on['status'], 110);
    assert.deepEqual(on['log_tokens'], {
      V: '141',
      LdapC: '1',
      S: '110',
      Error: 'System.ArgumentOutOfRangeException',
      Mbx: 'MBX01.contoso.com',
    });
  });
});

describe('file handler factory: the assumed time zone', () => {
  // One mailbox-log entry (as framed): its RequestTime is local time, read in the assumed zone.
  const entry = [
    'RequestTime : ',
    '09/19/2013 10:22:11',
    '',
    'ServerName : ',
    'CAS01',
    '',
    'RequestHeader : ',
    'POST /Microsoft-Server-ActiveSync/default.eas?User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Provision HTTP/1.1',
    'User-Agent: Apple-iPad2C2/1101.465',
    '',
  ].join('\r\n');

  function run(format: string, text: string, fileName: string): { lookups: number; doc: EcsDocument } {
    let lookups = 0;
    const factory = createFileHandlerFactory({
      formats: ALL_FORMATS,
      format,
      timezone: () => {
        lookups += 1;
        return 'Europe/Berlin';
      },
      observerHostname: 'agent01',
      deps: { enrichers: [] },
    });
    const source = { inputId: 'i', path: fileName, fingerprint: 'fp' };
    const handler = factory(source, text)!;
    const doc = handler.process({ source, offset: 0, endOffset: text.length, text }).documents[0]!.doc;
    return { lookups, doc };
  }

  it('asks for the machine zone only when a parser reads local times, and uses it then', () => {
    // IIS times are UTC: the zone (and ICU's zone data behind the lookup) is never needed.
    assert.equal(run('iis', LINE, 'u_ex130919.log').lookups, 0);
    const mailbox = run('mailbox-log', entry, 'mailbox.txt');
    assert.ok(mailbox.lookups >= 1, 'mailbox.lookups >= 1');
    assert.equal((mailbox.doc['event'] as Record<string, unknown>)['timezone'], 'Europe/Berlin');
  });
});
