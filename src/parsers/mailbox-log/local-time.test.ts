import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMailboxLogTime } from './local-time.js';

describe('mailbox-log local times', () => {
  it('converts server-local time with an IANA zone, DST included', () => {
    assert.equal(parseMailboxLogTime('09/19/2013 10:22:11', 'Europe/Berlin'), '2013-09-19T08:22:11.000Z');
    assert.equal(parseMailboxLogTime('01/19/2013 10:22:11', 'Europe/Berlin'), '2013-01-19T09:22:11.000Z');
    assert.equal(parseMailboxLogTime('09/19/2013 10:22:11', 'America/New_York'), '2013-09-19T14:22:11.000Z');
  });
  it('accepts UTC and fixed offsets', () => {
    assert.equal(parseMailboxLogTime('09/19/2013 10:22:11', 'UTC'), '2013-09-19T10:22:11.000Z');
    assert.equal(parseMailboxLogTime('09/19/2013 10:22:11', '+05:30'), '2013-09-19T04:52:11.000Z');
    assert.equal(parseMailboxLogTime('9/19/2013 1:22:11 PM', 'UTC'), '2013-09-19T13:22:11.000Z');
  });
  it('rejects impossible dates and unknown zones', () => {
    assert.equal(parseMailboxLogTime('02/30/2013 10:22:11', 'UTC'), undefined);
    assert.equal(parseMailboxLogTime('09/19/2013 10:22:11', 'Mars/Olympus'), undefined);
    assert.equal(parseMailboxLogTime('2013-09-19 10:22:11', 'UTC'), undefined);
  });
});
