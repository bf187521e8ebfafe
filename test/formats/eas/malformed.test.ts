// Every kind of malformed record named in the issue becomes a dead letter that names the file, the offset and a
// clear reason, for each EAS format; nothing throws.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultEnrichers } from '../../../src/enrich/index.js';
import { httpProxyFormat } from '../../../src/normalize/formats/httpproxy.format.js';
import { iisFormat } from '../../../src/normalize/formats/iis.format.js';
import { mailboxLogFormat } from '../../../src/normalize/formats/mailbox-log.format.js';
import { FileProcessor } from '../../../src/pipeline/processor.js';
import type { RecordSource } from '../../../src/pipeline/record.types.js';
import type { FormatDefinition } from '../../../src/pipeline/stages.types.js';

const source: RecordSource = { inputId: 'in', path: 'C:\\logs\\x.log', fingerprint: 'fp' };
const ctx = { source, timezone: 'Europe/Berlin', observerHostname: 'agent01' };

function run(format: FormatDefinition, header: string[], bad: string): { code: string; reason: string } {
  const proc = new FileProcessor(format, ctx, { enrichers: defaultEnrichers });
  let offset = 0;
  for (const h of header) {
    const r = proc.process({ source, offset, endOffset: offset + h.length, text: h });
    assert.equal(r.deadLetter, undefined, h);
    offset += h.length + 2;
  }
  const res = proc.process({ source, offset: 4242, endOffset: 4242 + bad.length, text: bad, line: 7 });
  assert.ok(res.deadLetter, `expected a dead letter for ${JSON.stringify(bad.slice(0, 60))}`);
  assert.equal(res.documents.length, 0);
  assert.match(res.deadLetter.reason, /^C:\\logs\\x\.log:7:offset 4242: /);
  assert.equal(res.deadLetter.offset, 4242);
  assert.ok(
    (res.deadLetter.record ?? '').length <= 64 * 1024,
    "(res.deadLetter.record ?? '').length <= 64 * 1024",
  );
  return { code: res.deadLetter.code, reason: res.deadLetter.reason };
}

const tenMb = 'x'.repeat(10 * 1024 * 1024);
const garbage = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 97 + 13) % 256)).toString('utf8');
const utf16AsUtf8 = Buffer.from('2013-09-19 14:22:11 10.0.0.5 POST /x - 443', 'utf16le').toString('utf8');
const latin1AsUtf8 = Buffer.from('2013-09-19 14:22:11 caf\u00e9 POST', 'latin1').toString('utf8');

const IIS_FIELDS =
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken';
const IIS_LINE =
  '2013-09-19 14:22:11 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Ping 443 - 203.0.113.10 Apple-iPad2C2/1101.465 200 0 0 47';

describe('malformed EAS records become dead letters with file, offset and reason', () => {
  it('IIS', () => {
    const h = [IIS_FIELDS];
    assert.equal(run(iisFormat, h, tenMb).code, 'iis.line_too_long');
    assert.equal(run(iisFormat, h, garbage).code, 'iis.encoding');
    assert.equal(run(iisFormat, h, utf16AsUtf8).code, 'iis.encoding');
    assert.equal(run(iisFormat, h, latin1AsUtf8).code, 'iis.encoding');
    assert.equal(run(iisFormat, h, IIS_LINE.slice(0, 60)).code, 'iis.column_count');
    assert.match(
      run(iisFormat, h, `${IIS_LINE} extra`).reason,
      /15 columns where the current #Fields names 14/,
    );
  });

  it('HttpProxy', () => {
    const cols = 'DateTime,RequestId,HttpStatus,UrlQuery';
    const h = [cols];
    assert.equal(run(httpProxyFormat, h, tenMb).code, 'httpproxy.row_too_long');
    assert.equal(run(httpProxyFormat, h, garbage).code, 'httpproxy.encoding');
    assert.equal(run(httpProxyFormat, h, utf16AsUtf8).code, 'httpproxy.encoding');
    assert.equal(run(httpProxyFormat, h, '2013-09-19T14:22:11.078Z,abc,200').code, 'httpproxy.column_count');
    assert.equal(
      run(httpProxyFormat, h, '2013-09-19T14:22:11.078Z,abc,"200,?Cmd=Ping').code,
      'httpproxy.csv',
    );
    assert.equal(run(httpProxyFormat, h, '2013-09-19 14:22,abc,200,?Cmd=Ping').code, 'httpproxy.timestamp');
  });

  it('mailbox log', () => {
    const entry = 'RequestTime : \r\n09/19/2013 10:22:11\r\n\r\nServerName : \r\nCAS01\r\n';
    assert.equal(run(mailboxLogFormat, [], tenMb).code, 'mailbox-log.too_large');
    assert.equal(run(mailboxLogFormat, [], garbage).code, 'mailbox-log.encoding');
    assert.equal(
      run(mailboxLogFormat, [], Buffer.from(entry, 'utf16le').toString('utf8')).code,
      'mailbox-log.encoding',
    );
    assert.equal(run(mailboxLogFormat, [], entry.slice(0, 12)).code, 'mailbox-log.no_sections');
    assert.equal(run(mailboxLogFormat, [], 'ServerName : \r\nCAS01').code, 'mailbox-log.no_request_time');
  });

  it('an entity bomb in a mailbox-log body is not expanded', () => {
    const bomb =
      'RequestTime :\n09/19/2013 10:22:11\n\nRequestBody :\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<Provision xmlns="Provision:">&b;</Provision>\n';
    const proc = new FileProcessor(mailboxLogFormat as FormatDefinition, ctx, {
      enrichers: defaultEnrichers,
    });
    const res = proc.process({ source, offset: 0, endOffset: bomb.length, text: bomb });
    const json = JSON.stringify(res.documents);
    assert.ok(!json.includes('aaaaaaaaaaaaaaaaaaaa'), "!json.includes('aaaaaaaaaaaaaaaaaaaa')");
    assert.match(json, /DOCTYPE or declaration/);
  });
});
