import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEventXml } from '../../parsers/windows-event/event-xml-parser.js';
import type { WindowsEvent } from '../../parsers/windows-event/windows-event.types.js';
import { normalizeWindowsEvent } from './windows-event-normalize.js';
import { wevtutilXmlFormat } from '../formats/windows.formats.js';
import { FileProcessor } from '../../pipeline/processor.js';
import type { FormatDefinition } from '../../pipeline/stages.types.js';

const KB_4999 =
  "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='MSExchange Common'/><EventID Qualifiers='16388'>4999</EventID><Level>2</Level><Task>1</Task><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2013-09-19T14:22:11.000000000Z'/><EventRecordID>184467</EventRecordID><Channel>Application</Channel><Computer>CAS01.contoso.com</Computer><Security/></System><EventData><Data>5620</Data><Data>E12</Data><Data>c-RTL-AMD64</Data><Data>14.02.0328.009</Data><Data>AirSync</Data><Data>M.Exchange.Compliance</Data><Data>M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore</Data><Data>System.ArgumentOutOfRangeException</Data><Data>6c1d</Data><Data>14.02.0328.000</Data><Data>False</Data><Data>False</Data><Data>w3wp</Data><Data></Data></EventData></Event>";

const source = { inputId: 'apps', path: '/logs/app.xml', fingerprint: 'fp' };
const ctx = { source, timezone: 'UTC', observerHostname: 'agent01', preserveOriginalEvent: true };

/** The value at a dotted path of a nested document. */
function at(doc: unknown, dotted: string): unknown {
  let cur: unknown = doc;
  for (const key of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function parse(xml: string): WindowsEvent {
  const r = parseEventXml(xml, 'wevtutil-xml');
  assert.equal(r.kind, 'event');
  return (r as { event: WindowsEvent }).event;
}

test('the KB 2851708 Watson event yields the watson fields from its <Data> positions', () => {
  const [doc] = normalizeWindowsEvent(
    parse(KB_4999),
    { source, offset: 42, endOffset: 900, text: KB_4999 },
    ctx,
  );
  assert.ok(doc, 'doc');
  const d = doc;
  assert.equal(at(d, '@timestamp'), '2013-09-19T14:22:11.000Z');
  assert.equal(at(d, 'event.code'), '4999');
  assert.equal(at(d, 'winlog.event_id'), '4999');
  assert.equal(at(d, 'winlog.event_data.param5'), 'AirSync');
  assert.equal(at(d, 'log.level'), 'error');
  assert.equal(at(d, 'log.offset'), 42);
  assert.equal(at(d, 'host.name'), 'cas01');
  assert.equal(at(d, 'host.hostname'), 'CAS01.contoso.com');
  assert.deepEqual(at(d, 'winlog.keywords'), ['Classic']);
  assert.equal(at(d, 'microsoft.exchange.watson.app'), 'AirSync');
  assert.equal(at(d, 'microsoft.exchange.watson.component'), 'M.Exchange.Compliance');
  assert.equal(
    at(d, 'microsoft.exchange.watson.method'),
    'M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore',
  );
  assert.equal(at(d, 'microsoft.exchange.watson.exception'), 'System.ArgumentOutOfRangeException');
  assert.equal(at(d, 'microsoft.exchange.watson.process_id'), 5620);
  assert.equal(at(d, 'microsoft.exchange.server.build'), '14.2.328.9');
  assert.equal(at(d, 'error.type'), 'System.ArgumentOutOfRangeException');
  assert.equal(at(d, 'data_stream.dataset'), 'exchange.application');
});

test('a 4999 without <Data> takes the watson fields from the message text', () => {
  const ev: WindowsEvent = {
    form: 'eventviewer-csv',
    provider: { name: 'MSExchange Common' },
    eventId: 4999,
    timeCreated: '2016-01-04T05:21:43.000Z',
    eventData: [],
    rendering: {
      message:
        'Watson report about to be sent for process id: 63200, with parameters: E12IIS, c-RTL-AMD64, 15.01.1979.003, w3wp#MSExchangeServicesAppPool, M.Exchange.Security, M.E.S.O.V1ProfileLocalTokenIssuer..ctor, M.E.S.OAuth.OAuthTokenRequestFailedException, 6446-dumptidset, 15.01.1979.003.\r\nErrorReportingEnabled: False ',
    },
  };
  const [doc] = normalizeWindowsEvent(ev, { source, offset: 0, endOffset: 1, text: 'x' }, ctx);
  const d = doc;
  assert.equal(at(d, 'microsoft.exchange.watson.source'), 'message');
  assert.equal(at(d, 'microsoft.exchange.watson.process_id'), 63200);
  assert.equal(at(d, 'microsoft.exchange.watson.app'), 'w3wp#MSExchangeServicesAppPool');
  assert.equal(at(d, 'microsoft.exchange.watson.callstack_hash'), '6446-dumptidset');
  assert.equal(at(d, 'microsoft.exchange.watson.assembly_version'), '15.01.1979.003');
  assert.equal(at(d, 'microsoft.exchange.watson.error_reporting_enabled'), false);
  assert.equal(at(d, 'microsoft.exchange.server.build'), '15.1.1979.3');
  assert.equal(at(d, 'observer.hostname'), 'agent01');
  assert.equal(at(d, 'host'), undefined);
});

test('an entity bomb is refused without expanding anything', () => {
  const bomb =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><Event>&lol2;</Event>';
  const r = parseEventXml(bomb, 'wevtutil-xml');
  assert.equal(r.kind, 'failure');
  assert.equal((r as { code: string }).code, 'wevtutil-xml.doctype');
});

test('the flattened one-line message form (a copied 4999, corpus sample 7) still yields the parameters', () => {
  const ev: WindowsEvent = {
    form: 'eventviewer-csv',
    provider: { name: 'MSExchange Common' },
    eventId: 4999,
    timeCreated: '2021-01-01T00:00:00.000Z',
    eventData: [],
    rendering: {
      message:
        'Watson report about to be sent for process id: 4564, with parameters: E12IIS, c-RTL-AMD64, 15.01.2375.024, M.Exchange.ServiceHost, M.Exchange.Diagnostics, M.E.D.ChainedSerializationBinder.LoadType, M.E.Diagnostics.BlockedDeserializeTypeException, c0e9-DumpTidSet, 15.01.2375.024.',
    },
  };
  const [doc] = normalizeWindowsEvent(ev, { source, offset: 0, endOffset: 1, text: 'x' }, ctx);
  assert.equal(at(doc, 'microsoft.exchange.watson.assembly_version'), '15.01.2375.024');
  assert.equal(at(doc, 'microsoft.exchange.watson.method'), 'M.E.D.ChainedSerializationBinder.LoadType');
  assert.equal(at(doc, 'error.type'), 'M.E.Diagnostics.BlockedDeserializeTypeException');
});

test('KB placeholders such as <process ID> and <application version> stay unknown, never become values', () => {
  const ev: WindowsEvent = {
    form: 'eventviewer-csv',
    provider: { name: 'MSExchange Common' },
    eventId: 4999,
    timeCreated: '2013-09-19T14:22:11.000Z',
    eventData: [],
    rendering: {
      message:
        'Watson report about to be sent for process id: <process ID>, with parameters: E12, <build type>, <application version>, AirSync, M.Exchange.Compliance, M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore, System.ArgumentOutOfRangeException, <callstackHash>, <assembly version>.',
    },
  };
  const [doc] = normalizeWindowsEvent(ev, { source, offset: 0, endOffset: 1, text: 'x' }, ctx);
  assert.equal(at(doc, 'microsoft.exchange.watson.app'), 'AirSync');
  assert.equal(at(doc, 'microsoft.exchange.watson.process_id'), undefined);
  assert.equal(at(doc, 'microsoft.exchange.watson.app_version'), undefined);
  assert.equal(at(doc, 'microsoft.exchange.server'), undefined);
});

test('an event that is not 4999 from MSExchange Common gets no watson fields', () => {
  const ev: WindowsEvent = {
    form: 'wevtutil-xml',
    provider: { name: 'Application Error' },
    eventId: 4999,
    timeCreated: '2013-09-19T14:22:11.000Z',
    eventData: [{ value: '1' }],
  };
  const [doc] = normalizeWindowsEvent(ev, { source, offset: 0, endOffset: 1, text: '' }, ctx);
  assert.equal(at(doc, 'microsoft'), undefined);
  assert.equal(at(doc, 'event.original'), undefined);
  assert.deepEqual(at(doc, 'winlog.event_data'), { param1: '1' });
});

test('secrets reach neither event.original nor the event data (through FileProcessor, which redacts)', () => {
  const xml = KB_4999.replace(
    '<Data></Data>',
    '<Data>GET /x?password=hunter2 Authorization: Basic dXNlcjpwYXNzd29yZA==</Data>',
  ).replace('<EventData>', "<EventData><Data Name='Password'>s3cr3t</Data>");
  const proc = new FileProcessor(wevtutilXmlFormat as FormatDefinition, ctx, { enrichers: [] });
  const [shipped] = proc.process({ source, offset: 0, endOffset: 1, text: xml }).documents;
  const json = JSON.stringify(shipped!.doc);
  for (const secret of ['hunter2', 'dXNlcjpwYXNzd29yZA==', 's3cr3t'])
    assert.ok(!json.includes(secret), secret);
  assert.equal(at(shipped!.doc, 'winlog.event_data.Password'), '[REDACTED]');
  const data = Object.values(at(shipped!.doc, 'winlog.event_data') as Record<string, string>);
  assert.ok(data.includes('GET /x?password=[REDACTED] Authorization: [REDACTED]'), data.join(' | '));
});

test('data and UserData names such as __proto__ and constructor are kept as plain fields', () => {
  const xml = KB_4999.replace(
    '<EventData>',
    "<EventData><Data Name='__proto__'>x</Data><Data Name='constructor'>y</Data>",
  ).replace(
    '<EventData>',
    '<UserData><Root><__proto__>p</__proto__><constructor>c</constructor></Root></UserData><EventData>',
  );
  const [doc] = normalizeWindowsEvent(parse(xml), { source, offset: 0, endOffset: 1, text: xml }, ctx);
  const json = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
  assert.equal(at(json, 'winlog.event_data.__proto__'), 'x');
  assert.equal(at(json, 'winlog.event_data.constructor'), 'y');
  assert.equal(at(json, 'winlog.user_data.__proto__'), 'p');
  assert.equal(at(json, 'winlog.user_data.constructor'), 'c');
  assert.equal(({} as Record<string, unknown>)['x'], undefined, 'Object.prototype untouched');
});
