// Secrets in any part of an EAS record (query, referrer, headers, CSV fields, exception text) reach neither a
// field nor event.original, for every EAS format.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultEnrichers } from '../../../src/enrich/index.js';
import { httpProxyFormat } from '../../../src/normalize/formats/httpproxy.format.js';
import { iisFormat } from '../../../src/normalize/formats/iis.format.js';
import { mailboxLogFormat } from '../../../src/normalize/formats/mailbox-log.format.js';
import { FileProcessor } from '../../../src/pipeline/processor.js';
import type { RecordSource, SourceRecord } from '../../../src/pipeline/record.types.js';
import type { FormatDefinition } from '../../../src/pipeline/stages.types.js';

const source: RecordSource = { inputId: 'in', path: 'x', fingerprint: 'fp' };
// event.original kept (the input option preserveOriginalEvent), so the tests see every string a document can hold.
const ctx = { source, timezone: 'UTC', observerHostname: 'agent01', preserveOriginalEvent: true };
const SECRETS = [
  'hunter2',
  'pw123456',
  'tok3nvalue',
  'anNtaXRoOlN1bW1lcjIwMTMh',
  'R3437444435',
  'eyJhbGciOiJIUzI1NiJ9',
  'cad4ta',
  'c4nary',
  'sam1resp',
  'authc0de',
  'cl1entsecret',
  'refr3sh',
  'dbl3nc',
  'col0npw',
  'xmlpassw0rd',
];

function shipped(format: FormatDefinition, texts: string[]): string {
  const proc = new FileProcessor(format, ctx, { enrichers: defaultEnrichers });
  const docs = texts.flatMap(
    (text, i) => proc.process({ source, offset: i * 1000, endOffset: i * 1000 + 1, text }).documents,
  );
  assert.ok(docs.length > 0, 'a document was produced');
  return JSON.stringify(docs);
}

function assertClean(json: string): void {
  for (const s of SECRETS) assert.ok(!json.includes(s), `secret ${s} leaked: ${json.slice(0, 200)}`);
}

describe('EAS redaction', () => {
  it('IIS: query credentials and referrer credentials', () => {
    assertClean(
      shipped(iisFormat as FormatDefinition, [
        '#Fields: date time cs-method cs-uri-stem cs-uri-query cs(Referer) sc-status',
        '2013-09-19 14:22:11 POST /Microsoft-Server-ActiveSync/default.eas User=a&Cmd=Sync&password=hunter2&Log=V141_S1_ https://u:pw123456@host/?token=tok3nvalue 200',
      ]),
    );
  });

  it('HttpProxy: UrlQuery and free-text columns', () => {
    assertClean(
      shipped(httpProxyFormat as FormatDefinition, [
        'DateTime,RequestId,UrlQuery,GenericErrors,HttpStatus',
        '2013-09-19T14:22:11.078Z,abc,?Cmd=Sync&User=a&Password=hunter2,"Authorization: Basic anNtaXRoOlN1bW1lcjIwMTMh, see https://h/?token=tok3nvalue",500',
      ]),
    );
  });

  it('mailbox log: headers, query, additional data and exception messages', () => {
    const entry = [
      'RequestTime : ',
      '09/19/2013 10:22:11',
      '',
      'RequestHeader : ',
      'POST /Microsoft-Server-ActiveSync/default.eas?Cmd=Sync&User=a&pwd=hunter2 HTTP/1.1',
      'Authorization: Basic anNtaXRoOlN1bW1lcjIwMTMh',
      'Cookie: Cookie=R3437444435',
      'Referer: https://u:pw123456@host/',
      '',
      'Command_WorkerThread_Exception : ',
      '--- Exception start ---',
      'Exception type: System.Exception',
      'Exception message: request to https://h/ews?access_token=tok3nvalue failed',
      'Exception level: 0',
      'Exception stack trace:    at A.B()',
      '--- Exception end ---',
      '',
      'AdditionalData : ',
      'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0',
      '',
    ].join('\r\n');
    assertClean(shipped(mailboxLogFormat as FormatDefinition, [entry]));
  });

  it('IIS: credential header columns are masked whole in event.original, named cookies anywhere', () => {
    const json = shipped(iisFormat as FormatDefinition, [
      '#Fields: date time cs-method cs-uri-stem cs-uri-query cs(User-Agent) cs(Cookie) cs(Authorization) cs(X-OWA-CANARY) sc-status',
      '2013-09-19 14:22:11 POST /owa/service.svc a=1 Mozilla/5.0 cadata=cad4ta;+X-BEResource=keep Basic+anNtaXRoOlN1bW1lcjIwMTMh c4nary 200',
      '2013-09-19 14:22:12 GET /owa/ - Mozilla/5.0 - - - 200',
    ]);
    assertClean(json);
    const docs = JSON.parse(json) as { doc: { event: { original: string } } }[];
    assert.equal(
      docs[0]!.doc.event.original,
      '2013-09-19 14:22:11 POST /owa/service.svc a=1 Mozilla/5.0 [REDACTED] [REDACTED] [REDACTED] 200',
    );
    assert.equal(
      docs[1]!.doc.event.original,
      '2013-09-19 14:22:12 GET /owa/ - Mozilla/5.0 - - - 200',
      'clean line as is',
    );
  });

  it('IIS without event.original (the default): the masked line decides, credential columns never reach a field', () => {
    const lines = [
      '#Fields: date time cs-method cs-uri-stem cs-uri-query cs(User-Agent) cs(Cookie) cs(Authorization) sc-status',
      '2013-09-19 14:22:11 POST /owa/service.svc a=1 Mozilla/5.0 cadata=cad4ta Basic+anNtaXRoOlN1bW1lcjIwMTMh 200',
    ];
    const format = iisFormat as FormatDefinition;
    const plainCtx = { source, timezone: 'UTC', observerHostname: 'agent01' };
    const rec = (text: string, offset: number): SourceRecord => ({
      source,
      offset,
      endOffset: offset + 1,
      text,
    });
    const parser = format.createParser(plainCtx);
    parser.parse(rec(lines[0]!, 0));
    const parsed = parser.parse(rec(lines[1]!, 1000));
    assert.equal(parsed.kind, 'event');
    assert.equal(
      format.redactionText!(parsed.kind === 'event' ? parsed.event : undefined, rec(lines[1]!, 1000)),
      '2013-09-19 14:22:11 POST /owa/service.svc a=1 Mozilla/5.0 [REDACTED] [REDACTED] 200',
    );
    const proc = new FileProcessor(format, plainCtx, { enrichers: defaultEnrichers });
    const docs = lines.flatMap((text, i) => proc.process(rec(text, i * 1000)).documents);
    assert.equal(docs.length, 1);
    const json = JSON.stringify(docs[0]!.doc);
    assertClean(json);
    assert.ok(!json.includes('"original":"2013'), 'no event.original');
  });

  it('IIS: OAuth, SAML and doubly encoded parameters, a colon, and a Bearer user agent', () => {
    assertClean(
      shipped(iisFormat as FormatDefinition, [
        '#Fields: date time cs-method cs-uri-stem cs-uri-query cs(User-Agent) sc-status',
        '2013-09-19 14:22:11 POST /adfs/ls/ SAMLResponse=sam1resp&code=authc0de&client_secret=cl1entsecret&refresh_token=refr3sh&url=%2Fx%3Fpassword%253Ddbl3nc&Password:col0npw Outlook/1.0+Bearer+eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl 200',
        '2013-09-19 14:22:12 POST /Microsoft-Server-ActiveSync/default.eas User=a&Cmd=Sync&Log=V141_Password:col0npw_S1_ Apple-iPad2C2/1101.465 200',
      ]),
    );
  });

  it('mailbox log: a <Password> element in the request body (ItemOperations)', () => {
    const entry = [
      'RequestTime : ',
      '09/19/2013 10:22:11',
      '',
      'RequestHeader : ',
      'POST /Microsoft-Server-ActiveSync/default.eas?Cmd=ItemOperations&User=a HTTP/1.1',
      'Host: cas',
      '',
      'RequestBody : ',
      '<?xml version="1.0" encoding="utf-8" ?>',
      '<ItemOperations xmlns="ItemOperations:">',
      '\t<Fetch>',
      '\t\t<Store>DocumentLibrary</Store>',
      '\t\t<A:UserName xmlns:A="ItemOperations:">a</A:UserName>',
      '\t\t<A:Password xmlns:A="ItemOperations:">xmlpassw0rd</A:Password>',
      '\t</Fetch>',
      '</ItemOperations>',
      '',
    ].join('\r\n');
    assertClean(shipped(mailboxLogFormat as FormatDefinition, [entry]));
  });
});
