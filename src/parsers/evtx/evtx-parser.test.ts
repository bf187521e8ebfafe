import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SourceRecord } from '../../pipeline/record.types.js';
import type { WindowsEvent } from '../windows-event/windows-event.types.js';
import { EvtxParser } from './evtx-parser.js';

const source = { inputId: 'evtx', path: '/logs/Application.evtx', fingerprint: 'f' };
const event: WindowsEvent = {
  form: 'evtx',
  provider: { name: 'MSExchange Common' },
  eventId: 4999,
  timeCreated: '2013-08-01T10:00:00.1234567Z',
  recordId: '42',
  eventData: [{ value: 'E12' }],
};

test('the parser passes the framed WindowsEvent through unchanged', () => {
  const record: SourceRecord = {
    source,
    offset: 4608,
    endOffset: 5000,
    text: '',
    payload: event,
    recordId: '42',
  };
  assert.deepEqual(new EvtxParser().parse(record), { kind: 'event', event });
});

test('a record without a decoded event is a failure with a stable code', () => {
  const record: SourceRecord = { source, offset: 0, endOffset: 10, text: 'not evtx' };
  const result = new EvtxParser().parse(record);
  assert.equal(result.kind, 'failure');
  assert.equal(result.kind === 'failure' && result.code, 'evtx.no_payload');
});
