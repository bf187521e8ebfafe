// Unit tests of the streaming engine on hand-built documents: match, threshold, sequence, suppression and the
// update policy, event-time windows, eviction, snapshot/restore mid-storm.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import { RuleSchema, type Rule, type RuleInput } from '../../src/detect/rule.schema.js';
import type { EcsDocument, ShippableDocument } from '../../src/pipeline/document.types.js';
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
const stormRule = (count = 100, extra: Partial<RuleInput> = {}): Rule =>
  rule({
    id: 'storm',
    threshold: { where: provisionFailed, by: ['device.id'], count, window: '1h' },
    suppression: { period: '24h', update_every_events: 500, update_every: '5m' },
    ...extra,
  });

function run(engine: DetectionEngine, docs: EcsDocument[], prefix = 'd'): ShippableDocument[] {
  const out: ShippableDocument[] = [];
  docs.forEach((d, i) => out.push(...engine.evaluate(d, `${prefix}${i}`)));
  return out;
}
/** Latest version of each alert id. */
function latest(alerts: ShippableDocument[]): Map<string, ShippableDocument> {
  const m = new Map<string, ShippableDocument>();
  for (const a of alerts) m.set(a.id, a);
  return m;
}
const alertField = (a: ShippableDocument, f: string): unknown =>
  ((a.doc['casguard'] as Record<string, Record<string, unknown>>)['alert'] as Record<string, unknown>)[f];

describe('match rules', () => {
  const r = rule({
    id: 'one',
    match: { field: 'microsoft.exchange.activesync.status', equals: 110 },
    suppression: { by: ['device.id'], period: '1h', update_every_events: 3, update_every: '1h' },
  });

  it('a suppressed match raises one alert per key and period and updates it every N events', () => {
    const e = new DetectionEngine([r]);
    const docs = Array.from({ length: 7 }, (_, i) => provisionFailure(T0 + i * 1000));
    const out = run(e, docs);
    // first, then after 3 more (count 4), then after 3 more (count 7)
    assert.deepEqual(
      out.map((a) => alertField(a, 'count')),
      [1, 4, 7],
    );
    assert.equal(new Set(out.map((a) => a.id)).size, 1);
    assert.equal(out[0]!.op, 'index');
    assert.equal(out[0]!.stream, 'alerts');
    assert.deepEqual(e.stats()['one'], { raised: 1, updated: 2, suppressed: 4, keys: 1 });
  });

  it('a match after the period opens a new alert with a new id', () => {
    const e = new DetectionEngine([r]);
    const out = run(e, [provisionFailure(T0), provisionFailure(T0 + 3_600_000)]);
    assert.equal(out.length, 2);
    assert.notEqual(out[0]!.id, out[1]!.id);
  });

  it('without suppression every matching document is its own alert', () => {
    const e = new DetectionEngine([rule({ id: 'each', match: { field: 'device.id', exists: true } })]);
    const out = run(e, [easDoc({ t: T0 }), easDoc({ t: T0 + 1 })]);
    assert.equal(out.length, 2);
    assert.notEqual(out[0]!.id, out[1]!.id);
  });

  it('documents that do not match raise nothing', () => {
    const e = new DetectionEngine([r]);
    assert.deepEqual(run(e, [easDoc({ t: T0, status: 1 })]), []);
    assert.deepEqual(e.flush(), []);
  });
});

describe('threshold rules', () => {
  it('raise when the count within the window reaches N, counting the run-up', () => {
    const e = new DetectionEngine([stormRule(100)]);
    const docs = Array.from({ length: 100 }, (_, i) => provisionFailure(T0 + i * 10_000));
    const out = run(e, docs);
    assert.equal(out.length, 1);
    assert.equal(alertField(out[0]!, 'count'), 100);
    assert.equal(alertField(out[0]!, 'first_seen'), iso(T0));
    assert.equal(alertField(out[0]!, 'last_seen'), iso(T0 + 99 * 10_000));
    assert.deepEqual(alertField(out[0]!, 'evidence_ids'), [
      'd0',
      'd1',
      'd2',
      'd3',
      'd4',
      'd5',
      'd6',
      'd7',
      'd8',
      'd9',
    ]);
  });

  it('do not raise when the same number of failures is spread wider than the window', () => {
    const e = new DetectionEngine([stormRule(100)]);
    // one failure every 40 s: at most 90 in any hour
    const docs = Array.from({ length: 150 }, (_, i) => provisionFailure(T0 + i * 40_000));
    assert.deepEqual(run(e, docs), []);
  });

  it('count per key: two devices each below N raise nothing', () => {
    const e = new DetectionEngine([stormRule(10)]);
    const docs = Array.from({ length: 18 }, (_, i) => provisionFailure(T0 + i * 1000, i % 2 ? 'A' : 'B'));
    assert.deepEqual(run(e, docs), []);
  });

  it('a 2,000-request storm is a handful of index operations and the flush carries the final count', () => {
    const e = new DetectionEngine([stormRule(100)]);
    const docs = Array.from({ length: 2000 }, (_, i) => provisionFailure(T0 + i * 1500));
    const out = run(e, docs);
    const final = e.flush();
    assert.ok(out.length >= 2 && out.length <= 12, `emitted ${out.length} versions`);
    assert.equal(new Set([...out, ...final].map((a) => a.id)).size, 1);
    assert.equal(alertField(final[0]!, 'count'), 2000);
    assert.equal(e.stats()['storm']!.raised, 1);
    // every document after the opening one either emitted a version or was folded in (suppressed)
    const s = e.stats()['storm']!;
    assert.equal(s.updated, out.length - 1 + final.length);
    assert.equal(s.suppressed + s.updated - final.length, 1900);
  });

  it('a quiet storm emits its final version once event time moves on by update_every', () => {
    const e = new DetectionEngine([stormRule(5)]);
    const out = run(e, [
      ...Array.from({ length: 8 }, (_, i) => provisionFailure(T0 + i * 1000)),
      easDoc({ t: T0 + 10 * 60_000, device: 'other' }), // unrelated traffic, 10 minutes later
    ]);
    assert.deepEqual(
      out.map((a) => alertField(a, 'count')),
      [5, 8],
    );
  });
});

describe('sequence rules', () => {
  const seq = (ordered: boolean): Rule =>
    rule({
      id: 'seq',
      sequence: {
        by: [{ field: 'host.name', fallback: ['observer.hostname'], normalize: 'short_host' }],
        window: '10m',
        ordered,
        steps: [
          { name: 'crash', where: { field: 'event.code', equals: '4999' } },
          { name: 'fail', where: provisionFailed, count: 3 },
        ],
      },
    });

  it('ordered: A then N of B within the window on the same host (FQDN and short name join)', () => {
    const e = new DetectionEngine([seq(true)]);
    const out = run(e, [
      watsonDoc({ t: T0, computer: 'CAS01.contoso.com' }),
      provisionFailure(T0 + 20_000, 'A', 'cas01'),
      provisionFailure(T0 + 40_000, 'B', 'cas01'),
      provisionFailure(T0 + 50_000, 'C', 'cas02'), // other host
      provisionFailure(T0 + 60_000, 'C', 'CAS01'),
    ]);
    assert.equal(out.length, 1);
    assert.equal((out[0]!.doc['host'] as Record<string, unknown>)['name'], 'cas01');
    assert.equal(alertField(out[0]!, 'count'), 4);
    assert.deepEqual(alertField(out[0]!, 'devices'), ['A', 'B', 'C']);
  });

  it('ordered: B before A does not count; unordered: it does', () => {
    const docs = [
      provisionFailure(T0, 'A'),
      provisionFailure(T0 + 20_000, 'B'),
      provisionFailure(T0 + 40_000, 'C'),
      watsonDoc({ t: T0 + 60_000 }),
    ];
    assert.equal(run(new DetectionEngine([seq(true)]), docs).length, 0);
    assert.equal(run(new DetectionEngine([seq(false)]), docs).length, 1);
  });

  it('unordered tolerates the crash event arriving after the failures it explains (another file)', () => {
    const e = new DetectionEngine([seq(false)]);
    const out = run(e, [
      ...Array.from({ length: 50 }, (_, i) => provisionFailure(T0 + i * 6000, `D${i % 3}`)),
      watsonDoc({ t: T0 + 60_000 }), // arrives last, its time is early in the storm
    ]);
    assert.equal(out.length, 1);
    assert.equal(alertField(out[0]!, 'first_seen'), iso(T0));
  });

  it('A and B further apart than the window raise nothing', () => {
    const e = new DetectionEngine([seq(false)]);
    const out = run(e, [
      watsonDoc({ t: T0 }),
      ...Array.from({ length: 5 }, (_, i) => provisionFailure(T0 + 11 * 60_000 + i)),
    ]);
    assert.deepEqual(out, []);
  });
});

describe('event time, eviction, restarts', () => {
  it('windows follow @timestamp: a backfill of 2013 logs raises the same alerts as the live run', () => {
    const docs = Array.from({ length: 300 }, (_, i) => provisionFailure(T0 + i * 2000));
    const live = run(new DetectionEngine([stormRule(100)]), docs);
    const shifted = docs.map((d) => ({
      ...d,
      '@timestamp': iso(Date.parse(d['@timestamp']) + 365 * 86_400_000),
    }));
    const later = run(new DetectionEngine([stormRule(100)]), shifted);
    assert.equal(later.length, live.length);
    assert.deepEqual(
      later.map((a) => alertField(a, 'count')),
      live.map((a) => alertField(a, 'count')),
    );
  });

  it('keeps at most maxKeysPerRule keys below threshold, never evicting a key with an open alert', () => {
    // (state-bounds.test.ts has the eviction policy in detail)
    const e = new DetectionEngine([stormRule(2)], { maxKeysPerRule: 10 });
    const out: ShippableDocument[] = [];
    // device 0 opens an alert and gets one unemitted update; then 20 other devices arrive, one failure each
    out.push(...e.evaluate(provisionFailure(T0, 'dev0'), 'a'));
    out.push(...e.evaluate(provisionFailure(T0 + 1, 'dev0'), 'b'));
    out.push(...e.evaluate(provisionFailure(T0 + 2, 'dev0'), 'c'));
    for (let i = 1; i <= 20; i++) out.push(...e.evaluate(provisionFailure(T0 + 10 + i, `dev${i}`), `x${i}`));
    assert.equal(e.stats()['storm']!.keys, 10);
    out.push(...e.evaluate(provisionFailure(T0 + 100, 'dev0'), 'd'), ...e.flush());
    const dev0 = out.filter((a) => (a.doc['device'] as Record<string, unknown>)['id'] === 'dev0');
    assert.deepEqual(
      dev0.map((a) => alertField(a, 'count')),
      [2, 4],
    );
  });

  it('drops idle keys once event time has moved past window + lateness', () => {
    const e = new DetectionEngine([stormRule(100)], { latenessMs: 60_000 });
    run(
      e,
      Array.from({ length: 20 }, (_, i) => provisionFailure(T0 + i, `dev${i}`)),
    );
    assert.equal(e.stats()['storm']!.keys, 20);
    e.evaluate(easDoc({ t: T0 + 3_600_000 + 120_000 }), 'late');
    assert.equal(e.stats()['storm']!.keys, 0);
  });

  it('snapshot/restore mid-storm gives the same alert versions as an uninterrupted run', () => {
    const rules = builtinRules();
    const docs: EcsDocument[] = [];
    for (let i = 0; i < 1500; i++) {
      docs.push(provisionFailure(T0 + i * 2000, `dev${i % 3}`, 'cas01'));
      if (i % 100 === 50) docs.push(watsonDoc({ t: T0 + i * 2000 + 500 }));
    }
    const whole = new DetectionEngine(rules);
    const expected = [...run(whole, docs), ...whole.flush()];

    const first = new DetectionEngine(rules);
    const cut = 777;
    const part1 = run(first, docs.slice(0, cut));
    const saved = JSON.parse(JSON.stringify(first.snapshot()));
    const second = new DetectionEngine(rules);
    second.restore(saved);
    const part2: ShippableDocument[] = [];
    docs.slice(cut).forEach((d, i) => part2.push(...second.evaluate(d, `d${cut + i}`)));
    const got = [...part1, ...part2, ...second.flush()];
    assert.deepEqual(got, expected);
    assert.ok(expected.length > 5, 'expected.length > 5');
  });

  it('documents re-read after a restart from an older checkpoint are not counted twice', () => {
    const docs = Array.from({ length: 400 }, (_, i) => provisionFailure(T0 + i * 2000));
    const whole = new DetectionEngine([stormRule(100)]);
    const expected = latest([...run(whole, docs), ...whole.flush()]);
    const a = new DetectionEngine([stormRule(100)]);
    run(a, docs.slice(0, 250));
    const b = new DetectionEngine([stormRule(100)]);
    b.restore(a.snapshot());
    const out: ShippableDocument[] = [];
    // the checkpoint was at 200: records 200..249 are read again
    docs.slice(200).forEach((d, i) => out.push(...b.evaluate(d, `d${200 + i}`)));
    out.push(...b.flush());
    assert.equal(alertField([...latest(out).values()][0]!, 'count'), 400);
    assert.deepEqual([...latest(out).keys()], [...expected.keys()]);
  });

  it('a corrupt snapshot is reported and detection starts empty', () => {
    const e = new DetectionEngine([stormRule(2)]);
    e.restore({ v: 99 });
    assert.equal(run(e, [provisionFailure(T0), provisionFailure(T0 + 1)]).length, 1);
  });
});

describe('alert documents', () => {
  it('carry ECS alert fields, key fields, facets, server build and fix, and a filled message', () => {
    const rules = builtinRules().filter((r) => r.id === 'kb2851708-provision-storm');
    const e = new DetectionEngine(rules);
    e.evaluate(watsonDoc({ t: T0 - 1000 }), 'w'); // teaches the engine cas01's build
    const out = run(
      e,
      Array.from({ length: 100 }, (_, i) => provisionFailure(T0 + i * 1000)),
    );
    assert.equal(out.length, 1);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const d = out[0]!.doc as Record<string, any>;
    assert.equal(d['event'].kind, 'alert');
    assert.equal(d['event'].dataset, 'casguard.alerts');
    assert.equal(d['data_stream'].dataset, 'casguard.alerts');
    assert.equal(d['rule'].id, 'kb2851708-provision-storm');
    assert.equal(d['rule'].uuid, '90e7ef9e-ea75-44d5-8372-dc1c37a89a37');
    assert.equal(d['device'].id, 'ApplDMPGH8DWDFJ3');
    assert.equal(d['user'].name, 'johndoe');
    assert.equal(d['host'].name, 'cas01');
    assert.deepEqual(d['related'], { user: ['johndoe'], hosts: ['cas01'], ip: ['203.0.113.10'] });
    assert.equal(d['microsoft'].exchange.server.build, '14.2.328.9');
    assert.equal(d['casguard'].alert.below_fix, true);
    assert.equal(d['casguard'].alert.fix, 'Exchange Server 2010 SP3 Update Rollup 2 (14.3.158.1)');
    assert.deepEqual(d['casguard'].alert.ios_builds, ['11A465']);
    assert.deepEqual(d['casguard'].alert.user_agents, ['Apple-iPad2C2/1101.465']);
    assert.equal(
      d['message'],
      'Provision retry storm: device ApplDMPGH8DWDFJ3 of johndoe (Apple-iPad2C2/1101.465, iOS build 11A465) failed ' +
        'Provision 100 times on cas01 between 2013-09-19T14:00:00.000Z and 2013-09-19T14:01:39.000Z; Exchange build ' +
        '14.2.328.9, fix: Exchange Server 2010 SP3 Update Rollup 2 (14.3.158.1) (KB 2851708).',
    );
  });
});

describe('metrics', () => {
  it('count alerts raised, updated and suppressed, documents evaluated and evaluation time', async () => {
    const { metricsRegistry, resetMetrics } = await import('../../src/telemetry/metrics.js');
    resetMetrics();
    const e = new DetectionEngine([stormRule(5)]);
    run(
      e,
      Array.from({ length: 20 }, (_, i) => provisionFailure(T0 + i * 1000)),
    );
    e.flush();
    const text = await metricsRegistry().metrics();
    assert.match(text, /casguard_alerts_raised_total\{rule="storm"\} 1/);
    assert.match(text, /casguard_alerts_updated_total\{rule="storm"\} 1/);
    assert.match(text, /casguard_alerts_suppressed_total\{rule="storm"\} 15/);
    assert.match(text, /casguard_detect_documents_total 20/);
    assert.match(text, /casguard_detect_evaluation_seconds_total \d/);
  });
});
