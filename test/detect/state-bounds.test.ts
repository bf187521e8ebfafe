// Issue 19, findings 10 and 11 (detection): the engine's state stays bounded without suppressing a real storm,
// documents dated far ahead of the agent's clock do not move windows, and the state can be saved incrementally.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { DetectionEngine, type DetectionEngineOptions } from '../../src/detect/engine.js';
import { RuleSchema, type Rule, type RuleInput } from '../../src/detect/rule.schema.js';
import type { EcsDocument, ShippableDocument } from '../../src/pipeline/document.types.js';
import { recordingLogger } from '../../src/telemetry/logger.types.js';
import { mulberry32 } from '../helpers/prng.js';
import { easDoc, iso, provisionFailure, T0, watsonDoc } from './docs.js';

const base = {
  uuid: '11111111-1111-4111-8111-111111111111',
  name: 'test rule',
  description: 'test',
  severity: 'high',
  references: ['https://support.microsoft.com/kb/2851708'],
  message: '{{casguard.alert.count}} on {{device.id}}',
} as const;
const rule = (r: Partial<RuleInput> & { id: string }): Rule => RuleSchema.parse({ ...base, ...r });
const provisionFailed = {
  all: [
    { field: 'microsoft.exchange.activesync.command', equals: 'Provision' },
    { field: 'event.outcome', equals: 'failure' },
  ],
};
const stormRule = (count: number): Rule =>
  rule({
    id: 'storm',
    threshold: { where: provisionFailed, by: ['device.id'], count, window: '1h' },
    suppression: { period: '24h', update_every_events: 500, update_every: '5m' },
  });
/** Step 1: a crash event; step 2: `count` Provision failures; keyed by device (as a storm rule would be). */
const deviceSequence = (count: number): Rule =>
  rule({
    id: 'seq',
    sequence: {
      by: ['device.id'],
      window: '1h',
      ordered: false,
      steps: [
        { name: 'crash', where: { field: 'event.code', equals: '4999' } },
        { name: 'fail', where: provisionFailed, count },
      ],
    },
  });

const alertField = (a: ShippableDocument, f: string): unknown =>
  ((a.doc['casguard'] as Record<string, Record<string, unknown>>)['alert'] as Record<string, unknown>)[f];
const deviceOf = (a: ShippableDocument): unknown => (a.doc['device'] as Record<string, unknown>)['id'];

/** Latest version of each alert, by device. */
function finalByDevice(alerts: ShippableDocument[]): Map<unknown, ShippableDocument> {
  const m = new Map<unknown, ShippableDocument>();
  for (const a of alerts) m.set(deviceOf(a), a);
  return m;
}

function runAll(e: DetectionEngine, docs: EcsDocument[]): ShippableDocument[] {
  const out: ShippableDocument[] = [];
  docs.forEach((d, i) => out.push(...e.evaluate(d, `d${i}`)));
  out.push(...e.flush());
  return out;
}

describe('a per-rule cap on keys that cannot suppress a real storm', () => {
  it('storms among thousands of one-off failing devices get the same alerts as with no cap', () => {
    // 6 devices storm: 120 failures in 4 minutes (alerted), then one a minute for the rest of the hour, while
    // 5,000 devices fail once or twice: about 100 of them between two failures of a storming device, far more
    // than the cap of 50, so eviction runs all the time.
    const rnd = mulberry32(11);
    const docs: { t: number; d: EcsDocument }[] = [];
    for (let s = 0; s < 6; s++) {
      for (let k = 0; k < 120; k++) {
        const t = T0 + s * 1000 + k * 2000;
        docs.push({ t, d: provisionFailure(t, `STORM${s}`) });
      }
      for (let t = T0 + 300_000 + s * 1000; t < T0 + 3_600_000; t += 60_000)
        docs.push({ t, d: provisionFailure(t, `STORM${s}`) });
    }
    for (let i = 0; i < 5000; i++)
      for (let k = 0; k < 1 + (i % 2); k++) {
        const t = T0 + 300_000 + Math.floor(rnd() * 3_300_000);
        docs.push({ t, d: provisionFailure(t, `one-off-${i}`) });
      }
    docs.sort((a, b) => a.t - b.t);
    const stream = docs.map((x) => x.d);
    const capped = new DetectionEngine([stormRule(100)], { maxKeysPerRule: 50 });
    const free = new DetectionEngine([stormRule(100)], { maxKeysPerRule: 1_000_000 });
    const got = finalByDevice(runAll(capped, stream));
    const want = finalByDevice(runAll(free, stream));
    assert.equal(want.size, 6);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [device, a] of want) assert.deepEqual(got.get(device)!.doc, a.doc, String(device));
    assert.ok(capped.stats()['storm']!.keys <= 50, "capped.stats()['storm']!.keys <= 50");
  });

  it('a key at its threshold without an alert yet (a sequence waiting for its first step) is kept', () => {
    const docs: EcsDocument[] = [
      // device X: 3 Provision failures, no crash event yet: at the step-2 count, not alerted
      ...[0, 1, 2].map((k) => provisionFailure(T0 + k * 1000, 'X')),
      // 200 other devices, one failure each, push the rule (cap 20) to evict again and again
      ...Array.from({ length: 200 }, (_, i) => provisionFailure(T0 + 10_000 + i * 100, `other${i}`)),
      // then the crash event of device X arrives
      { ...watsonDoc({ t: T0 + 60_000 }), device: { id: 'X' } },
    ];
    const out = runAll(new DetectionEngine([deviceSequence(3)], { maxKeysPerRule: 20 }), docs);
    assert.deepEqual([...finalByDevice(out).keys()], ['X']);
    assert.equal(alertField([...finalByDevice(out).values()][0]!, 'count'), 4);
  });

  it('the least recently active keys below threshold go first, with a named event and a counter', async () => {
    const { metricsRegistry, resetMetrics } = await import('../../src/telemetry/metrics.js');
    resetMetrics();
    const logger = recordingLogger();
    const e = new DetectionEngine([stormRule(3)], { maxKeysPerRule: 10, logger });
    const out: ShippableDocument[] = [];
    for (let i = 0; i < 10; i++) out.push(...e.evaluate(provisionFailure(T0 + i, `dev${i}`), `a${i}`));
    out.push(...e.evaluate(provisionFailure(T0 + 20, 'dev0'), 'again0')); // dev0 is now the most recent
    out.push(...e.evaluate(provisionFailure(T0 + 21, 'dev10'), 'a10')); // full: one key goes (1% of 10, + 1)
    // dev0 kept its two failures (a third raises), dev1 (least recent) was evicted and starts from one
    out.push(...e.evaluate(provisionFailure(T0 + 22, 'dev0'), 'b0'));
    out.push(...e.evaluate(provisionFailure(T0 + 23, 'dev1'), 'b1'));
    out.push(...e.evaluate(provisionFailure(T0 + 24, 'dev1'), 'c1'));
    assert.deepEqual(
      out.map((a) => deviceOf(a)),
      ['dev0'],
    );
    // two evictions (dev10, then dev1 again), one warning: the event is rate-limited to one a minute per rule
    const warn = logger.lines.filter((l) => l.level === 'warn');
    assert.equal(warn.length, 1);
    assert.match(warn[0]!.message, /least recently active keys below threshold were evicted/);
    assert.deepEqual(warn[0]!.meta, { rule: 'storm', evicted: 1, keys: 9, maxKeys: 10 });
    const text = await metricsRegistry().metrics();
    assert.match(text, /casguard_detect_state_evicted_total\{rule="storm",reason="capacity"\} 2/);
  });

  it('when every key is an alert the rule holds more than its cap, and at twice the cap closes the oldest', async () => {
    const { metricsRegistry, resetMetrics } = await import('../../src/telemetry/metrics.js');
    resetMetrics();
    const logger = recordingLogger();
    const e = new DetectionEngine([stormRule(1)], { maxKeysPerRule: 5, logger });
    const out: ShippableDocument[] = [];
    for (let i = 0; i < 8; i++) out.push(...e.evaluate(provisionFailure(T0 + i, `dev${i}`), `a${i}`));
    assert.equal(e.stats()['storm']!.keys, 8); // all 8 alerted: none evicted
    assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 1);
    assert.match(logger.lines[0]!.message, /every key of a detection rule has an open alert/);
    // dev0 gets an update that is not emitted yet; at 10 keys (twice the cap) the least recent alert is closed
    out.push(...e.evaluate(provisionFailure(T0 + 20, 'dev0'), 'b0'));
    out.push(...e.evaluate(provisionFailure(T0 + 21, 'dev8'), 'a8'));
    out.push(...e.evaluate(provisionFailure(T0 + 22, 'dev9'), 'a9'));
    assert.equal(e.stats()['storm']!.keys, 10);
    out.push(...e.evaluate(provisionFailure(T0 + 23, 'dev10'), 'a10'));
    assert.equal(e.stats()['storm']!.keys, 10);
    const err = logger.lines.find((l) => l.level === 'error');
    assert.ok(err, 'err');
    assert.match(err.message, /twice maxKeysPerRule/);
    assert.equal(err.meta['evicted'], 1);
    const text = await metricsRegistry().metrics();
    assert.match(text, /casguard_detect_state_evicted_total\{rule="storm",reason="alert_capacity"\} 1/);
    assert.match(text, /casguard_detect_state_keys\{rule="storm"\} 10/);
  });

  it('randomised: no key at or above threshold or with an open alert is ever evicted', () => {
    // Reads the keys from the saved state before and after every document (format: state-snapshot.ts); event
    // time stays within the lateness and the period, so no key may go for any reason but capacity.
    const bucketMs = 60_000;
    const protectedKeys = (e: DetectionEngine, need: number): Set<string> => {
      const out = new Set<string>();
      for (const [name, v] of e.snapshot().entries) {
        const sep = name.indexOf('\u0000');
        if (sep < 0) continue;
        const [, lastSeen, buckets, , , alert] = v as [number, number, number[], unknown, unknown, unknown];
        let n = 0;
        for (let i = 0; i < buckets.length; i += 2)
          if (buckets[i]! >= Math.floor((lastSeen - 3_600_000) / bucketMs)) n += buckets[i + 1]!;
        if (alert !== 0 || n >= need) out.add(name.slice(sep + 1));
      }
      return out;
    };
    const keysOf = (e: DetectionEngine): Set<string> =>
      new Set(
        e
          .snapshot()
          .entries.flatMap(([n]) => (n.includes('\u0000') ? [n.slice(n.indexOf('\u0000') + 1)] : [])),
      );
    const rnd = mulberry32(7);
    let evictions = 0;
    for (let round = 0; round < 12; round++) {
      const need = 2 + Math.floor(rnd() * 4);
      const cap = 5 + Math.floor(rnd() * 20);
      const devices = 10 + Math.floor(rnd() * 200);
      const e = new DetectionEngine([stormRule(need)], { maxKeysPerRule: cap });
      let t = T0;
      const counts = new Map<string, number[]>();
      for (let i = 0; i < 400; i++) {
        t += Math.floor(rnd() * 4000);
        // a few devices are frequent (they reach the threshold), most are rare
        const d = rnd() < 0.4 ? Math.floor(rnd() * 3) : Math.floor(rnd() * devices);
        const before = protectedKeys(e, need);
        const keysBefore = keysOf(e).size;
        for (const a of e.evaluate(provisionFailure(t, `dev${d}`), `r${round}-${i}`)) {
          const c = counts.get(a.id) ?? [];
          c.push(Number(alertField(a, 'count')));
          counts.set(a.id, c);
        }
        const after = keysOf(e);
        if (after.size <= keysBefore) evictions++;
        for (const k of before)
          assert.ok(after.has(k), `round ${round}, document ${i}: protected key ${k} evicted`);
        assert.ok(
          after.size <= Math.max(cap, before.size + 1),
          `round ${round}: ${after.size} keys, cap ${cap}`,
        );
      }
      // an alert, once raised, never restarts its count (which is what dropping its key would do)
      for (const [id, c] of counts)
        assert.deepEqual(
          c,
          [...c].sort((x, y) => x - y),
          `round ${round}: ${id}`,
        );
    }
    assert.ok(evictions > 100, `eviction ran (${evictions} documents found the rule full)`);
  });
});

describe('event times far ahead of the agent clock', () => {
  const now = (): number => T0 + 3_600_000; // the agent runs at the end of the storm hour
  const opts = (logger = recordingLogger()): DetectionEngineOptions => ({ now, logger });
  const storm = Array.from({ length: 150 }, (_, i) => provisionFailure(T0 + i * 20_000, 'DEV'));

  it('two lines dated 2099 and 9999 do not move the device window: its storm is alerted', async () => {
    const { metricsRegistry, resetMetrics } = await import('../../src/telemetry/metrics.js');
    resetMetrics();
    const logger = recordingLogger();
    const docs = [
      { ...provisionFailure(T0, 'DEV'), '@timestamp': '2099-01-01T00:00:00.000Z' },
      { ...provisionFailure(T0, 'DEV'), '@timestamp': '9999-12-31T23:59:59.000Z' },
      ...storm,
    ];
    const out = runAll(new DetectionEngine([stormRule(100)], opts(logger)), docs);
    const a = finalByDevice(out).get('DEV');
    assert.ok(a, 'the storm is alerted');
    assert.equal(alertField(a, 'count'), 150);
    assert.equal(alertField(a, 'last_seen'), iso(T0 + 149 * 20_000));
    const warn = logger.lines.filter((l) => l.level === 'warn');
    assert.equal(warn.length, 1, 'warned once per interval, not per document');
    assert.match(warn[0]!.message, /too far ahead of the agent clock/);
    assert.equal(warn[0]!.meta['documents'], 1);
    const text = await metricsRegistry().metrics();
    assert.match(text, /casguard_detect_future_documents_total 2/);
  });

  it('a line dated far ahead does not close the device period either (the late storm is counted)', () => {
    const docs = [
      ...storm.slice(0, 50),
      { ...provisionFailure(T0, 'DEV'), '@timestamp': '2099-06-01T00:00:00.000Z' },
      ...storm.slice(50),
    ];
    const a = finalByDevice(runAll(new DetectionEngine([stormRule(100)], opts()), docs)).get('DEV');
    assert.equal(alertField(a!, 'count'), 150);
  });

  it('within the tolerance (clock skew) documents are evaluated as usual, and the tolerance is configurable', () => {
    const ahead = (ms: number): EcsDocument[] =>
      storm.map((d) => ({ ...d, '@timestamp': iso(Date.parse(d['@timestamp']) + ms) }));
    const hourAhead = runAll(new DetectionEngine([stormRule(100)], opts()), ahead(3_600_000));
    assert.equal(alertField(finalByDevice(hourAhead).get('DEV')!, 'count'), 150);
    const strict = runAll(
      new DetectionEngine([stormRule(100)], { now, maxFutureSkewMs: 60_000 }),
      ahead(3_600_000),
    );
    assert.equal(strict.length, 0);
  });
});

describe('saving the state incrementally', () => {
  /** What a store keeps: entries by name, replaced by `full` changes, patched by the others. */
  function apply(
    store: Map<string, unknown>,
    e: DetectionEngine,
  ): { set: number; deleted: number; full: boolean } {
    const c = e.stateChanges();
    if (c.full) store.clear();
    let set = 0;
    for (const [k, json] of c.set) {
      store.set(k, JSON.parse(json));
      set++;
    }
    for (const k of c.delete) store.delete(k);
    return { set, deleted: c.delete.length, full: c.full };
  }

  it('only touched keys are written; restoring the kept entries continues exactly like an uninterrupted run', () => {
    const rules = builtinRules();
    const docs: EcsDocument[] = [];
    for (let i = 0; i < 3000; i++) {
      docs.push(provisionFailure(T0 + i * 1000, `dev${i % 500}`, 'cas01'));
      if (i % 300 === 150) docs.push(watsonDoc({ t: T0 + i * 1000 + 500 }));
      if (i % 7 === 0) docs.push(easDoc({ t: T0 + i * 1000, device: `healthy${i}` }));
    }
    const whole = new DetectionEngine(rules, { now: () => T0 });
    const expected = [...docs.map((d, i) => whole.evaluate(d, `d${i}`)).flat(), ...whole.flush()];

    const first = new DetectionEngine(rules, { now: () => T0 });
    const store = new Map<string, unknown>();
    const part1: ShippableDocument[] = [];
    const cut = 2000;
    const writes: { set: number; full: boolean }[] = [];
    for (let i = 0; i < cut; i++) {
      part1.push(...first.evaluate(docs[i]!, `d${i}`));
      if (i % 100 === 99) writes.push(apply(store, first));
    }
    writes.push(apply(store, first));
    assert.equal(writes[0]!.full, true);
    assert.ok(
      writes.slice(1).every((w) => !w.full),
      'writes.slice(1).every((w) => !w.full)',
    );
    // Once all 500 devices are known, a write holds what 100 documents touched (at most 100 devices, a key each
    // in the storm and exception rules) and the alerts emitted since (their bookkeeping changed), never the
    // whole state.
    const most = Math.max(...writes.slice(6).map((w) => w.set));
    assert.ok(store.size > 1000, `${store.size} entries saved`);
    assert.ok(most < store.size / 3, `${most} entries in one write of ${store.size}`);
    assert.equal(writes.at(-1)!.set, 0, 'nothing changed since the last write');

    const second = new DetectionEngine(rules, { now: () => T0 });
    second.restoreEntries(store);
    const part2: ShippableDocument[] = [];
    for (let i = cut; i < docs.length; i++) part2.push(...second.evaluate(docs[i]!, `d${i}`));
    assert.deepEqual([...part1, ...part2, ...second.flush()], expected);
    // the first save after a restore rewrites everything under the new engine's numbering
    assert.equal(apply(new Map(), second).full, true);
  });

  it('a save read while documents are evaluated holds the state of its start: a restart after it counts nothing twice', () => {
    // The journal opens its file (and writes 1 MiB chunks) while the inputs go on: documents are evaluated between
    // stateChanges() and the reading of its entries. Those documents are not in the save's recent ids and their
    // checkpoints wait for the next save, so after a SIGKILL they are read again: the save must not hold their
    // effect either (it did, and the array test's SIGKILLed agent counted them twice, now and then).
    const rules = builtinRules();
    const docs: EcsDocument[] = [];
    for (let i = 0; i < 300; i++) {
      docs.push(provisionFailure(T0 + i * 1000, 'DEV1', 'cas01'));
      if (i >= 140 && i < 180) docs.push(provisionFailure(T0 + i * 1000 + 500, 'DEV2', 'cas01'));
    }
    const finalCounts = (alerts: ShippableDocument[]): Map<string, unknown> =>
      new Map(alerts.map((a) => [a.id, alertField(a, 'count')]));
    const whole = new DetectionEngine(rules, { now: () => T0 });
    const expected = [...docs.map((d, i) => whole.evaluate(d, `d${i}`)).flat(), ...whole.flush()];

    const first = new DetectionEngine(rules, { now: () => T0 });
    const store = new Map<string, unknown>();
    const keep = (c: ReturnType<DetectionEngine['stateChanges']>): void => {
      if (c.full) store.clear();
      for (const [k, json] of c.set) store.set(k, JSON.parse(json));
      for (const k of c.delete) store.delete(k);
    };
    const before: ShippableDocument[] = [];
    for (let i = 0; i < 150; i++) before.push(...first.evaluate(docs[i]!, `d${i}`));
    keep(first.stateChanges());
    for (let i = 150; i < 200; i++) before.push(...first.evaluate(docs[i]!, `d${i}`));
    const save = first.stateChanges(); // settled so far: d0..d199, released once this save is durable
    for (let i = 200; i < 240; i++) first.evaluate(docs[i]!, `d${i}`); // while the journal opens its file
    keep(save); // durable, then SIGKILL: the checkpoint is at d200 (at most; re-reading more is also fine)

    const second = new DetectionEngine(rules, { now: () => T0 });
    second.restoreEntries(store);
    const after: ShippableDocument[] = [];
    for (let i = 190; i < docs.length; i++) after.push(...second.evaluate(docs[i]!, `d${i}`));
    after.push(...second.flush());
    const want = finalCounts(expected);
    assert.ok([...want.values()].includes(300) && [...want.values()].includes(40), JSON.stringify([...want]));
    assert.deepEqual(finalCounts([...before, ...after]), want);
  });

  it('keys dropped (idle or evicted) are deleted from the saved state', () => {
    const e = new DetectionEngine([stormRule(100)], {
      maxKeysPerRule: 10,
      latenessMs: 60_000,
      now: () => T0,
    });
    const store = new Map<string, unknown>();
    for (let i = 0; i < 30; i++) e.evaluate(provisionFailure(T0 + i, `dev${i}`), `a${i}`);
    apply(store, e);
    const keysIn = (m: Map<string, unknown>): number =>
      [...m.keys()].filter((k) => k.includes('\u0000')).length;
    assert.equal(keysIn(store), e.stats()['storm']!.keys);
    e.evaluate(easDoc({ t: T0 + 3 * 3_600_000 }), 'late'); // every key idle
    const w = apply(store, e);
    assert.equal(e.stats()['storm']!.keys, 0);
    assert.ok(w.deleted >= 1, 'w.deleted >= 1');
    assert.equal(keysIn(store), 0);
  });

  it('a key below threshold is small once saved', () => {
    const e = new DetectionEngine(builtinRules(), { now: () => T0 });
    for (let i = 0; i < 1000; i++)
      e.evaluate(provisionFailure(T0 + i * 1000, `ApplDEV${100000 + i}`), `doc-${i}-${'x'.repeat(20)}`);
    const entries = e.snapshot().entries.filter(([k]) => k.includes('\u0000'));
    const bytes = JSON.stringify(entries).length;
    // storm rule and exception rule: two keys per device, each with a 28-character evidence id
    assert.ok(bytes / 1000 < 2 * 330, `${bytes / 1000} bytes per device`);
  });

  it('a snapshot of the previous format (version 2, kept in the registry) is restored', () => {
    const legacy = {
      v: 2,
      watermark: T0 + 99_000,
      nextSweepAt: T0 + 105_000,
      recentIds: ['d98', 'd99'],
      hostFacts: [],
      rules: {
        storm: {
          bucketMs: 60_000,
          periodMs: 86_400_000,
          keys: [
            {
              key: 'DEV',
              values: ['DEV'],
              used: 100,
              lastSeen: T0 + 99_000,
              buckets: [
                [Math.floor(T0 / 60_000), 60],
                [Math.floor(T0 / 60_000) + 1, 40],
              ],
              aTimes: [],
              period: {
                start: Math.floor(T0 / 86_400_000) * 86_400_000,
                count: 100,
                first: T0,
                last: T0 + 99_000,
                evidence: [[T0, 'd0']],
                facets: { devices: ['DEV'], users: ['johndoe'], hosts: ['cas01'] },
                server: {},
              },
              alert: {
                id: 'legacy-id',
                emittedCount: 100,
                lastEmitAt: T0 + 99_000,
                dirty: false,
                serverKnown: true,
              },
            },
          ],
        },
      },
    };
    const e = new DetectionEngine([stormRule(100)], { now: () => T0 });
    e.restore(legacy);
    assert.deepEqual(e.evaluate(provisionFailure(T0 + 99_000, 'DEV'), 'd99'), []); // re-read: ignored
    e.evaluate(provisionFailure(T0 + 100_000, 'DEV'), 'd100');
    const [a] = e.flush();
    assert.equal(a!.id, 'legacy-id');
    assert.equal(alertField(a!, 'count'), 101);
    assert.deepEqual(alertField(a!, 'users'), ['johndoe']);
  });
});
