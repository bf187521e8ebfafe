// A long Elasticsearch outage is not a single log line (issue 17: "an outage gives one warning in a minute"):
// the start, then a reminder every 30 s while requests keep failing (how long, how many, the last reason),
// then the end. Driven with a clock of its own, as the delivery sink drives the gate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutageGate } from '../../src/outputs/delivery/outage-gate.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';

describe('outage gate reporting', () => {
  it('logs the start, one reminder per 30 s while requests fail, and the end', () => {
    const log = recordingLogger();
    let now = 0;
    const gate = new OutageGate({
      name: 'elasticsearch',
      logger: log,
      retry: { initialDelayMs: 1000, maxDelayMs: 5000 },
      random: () => 0.5,
      now: () => now,
    });
    // Two minutes of failed requests, one every 2 s.
    for (now = 0; now <= 120_000; now += 2000)
      gate.failed({ reason: now < 60_000 ? 'connect ECONNREFUSED 127.0.0.1:9200' : 'HTTP 503' }, 'retry');
    const events = log.lines.map((l) => l.meta.event);
    assert.equal(events[0], 'output_refused');
    const reminders = log.lines.filter((l) => l.meta.event === 'output_still_failing');
    assert.deepEqual(
      reminders.map((l) => l.meta.downForMs),
      [30_000, 60_000, 90_000, 120_000],
    );
    assert.equal(reminders[0]!.meta.failedRequests, 16);
    assert.equal(reminders[0]!.meta.reason, 'connect ECONNREFUSED 127.0.0.1:9200');
    assert.equal(reminders[3]!.meta.reason, 'HTTP 503');
    assert.equal(reminders[0]!.level, 'warn');
    gate.answered();
    assert.equal(log.lines.at(-1)!.meta.event, 'output_recovered');
    assert.equal(log.lines.length, 6);
    // A new outage starts its own count: no reminder before 30 s.
    now += 10_000;
    gate.failed({ reason: 'HTTP 503', status: 503 }, 'retry');
    now += 29_000;
    gate.failed({ reason: 'HTTP 503', status: 503 }, 'retry');
    assert.equal(log.lines.at(-1)!.meta.event, 'output_failing');
  });
});
