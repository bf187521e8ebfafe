import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ShippableDocument } from '../../pipeline/document.types.js';
import { StdoutAlerts } from './stdout-alerts.js';

function alert(id: string, count: number): ShippableDocument {
  return {
    id,
    stream: 'alerts',
    doc: {
      '@timestamp': '2013-09-19T14:00:05.000Z',
      event: { severity: 4 },
      rule: { name: 'Storm' },
      host: { name: 'cas01' },
      casguard: { alert: { count } },
    },
  } as unknown as ShippableDocument;
}

describe('console alerts', () => {
  it('prints an alert when raised, updates at most once a minute marked as such, and the final count', async () => {
    const lines: string[] = [];
    let now = 0;
    const out = new StdoutAlerts((l) => lines.push(l), { now: () => now });
    out.push(alert('a', 100), () => undefined);
    now = 10_000;
    out.push(alert('a', 110), () => undefined); // within the minute: not printed
    now = 61_000;
    out.push(alert('a', 150), () => undefined);
    now = 70_000;
    out.push(alert('a', 160), () => undefined);
    out.push(alert('b', 1), () => undefined);
    await out.close();
    assert.deepEqual(lines, [
      'ALERT new high Storm host=cas01 count=100',
      'ALERT update high Storm host=cas01 count=150 (was 100; at most one line per 60 s)',
      'ALERT new high Storm host=cas01 count=1',
      'ALERT final high Storm host=cas01 count=160',
    ]);
  });
});
