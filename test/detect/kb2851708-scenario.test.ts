// The KB 2851708 scenario through the real pipeline: an hour of generated CAS traffic as real IIS lines, event
// XML and a mailbox log, framed, parsed, normalised, enriched and evaluated by the built-in rules. Exactly the
// expected alerts (one per storm and rule), with their counts and evidence, none for the benign traffic; the
// same final alerts when the files are read one after the other (a backfill) and when the engine is restarted
// from its snapshot in the middle of the storm.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import { finalAlerts, runPipeline, type RunResult } from './pipeline-runner.js';
import { generateScenario, type Scenario } from './scenario.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
const doc = (a: ShippableDocument): Loose => a.doc as Loose;
const iso = (ms: number): string => new Date(ms).toISOString();

let scn: Scenario;
let live: RunResult;
let alerts: Map<string, ShippableDocument>;
const byRuleKey = (rule: string, key: string): Loose | undefined => {
  for (const a of alerts.values()) {
    const d = doc(a);
    if (d['rule'].id === rule && d['casguard'].alert.key === key) return d;
  }
  return undefined;
};
/** Ids of the documents the pipeline shipped for a device's failed Provision requests. */
const failureIds = (device: string): Set<string> =>
  new Set(
    live.shipped
      .filter((s) => s.stream === 'activesync')
      .filter(
        (s) =>
          doc(s)['device']?.id === device &&
          doc(s)['event'].action === 'Provision' &&
          doc(s)['event'].outcome === 'failure',
      )
      .map((s) => s.id),
  );

before(() => {
  scn = generateScenario();
  live = runPipeline(scn.files, builtinRules(), { order: 'live' });
  alerts = finalAlerts(live.alerts);
});

describe('KB 2851708 scenario, live tailing order', () => {
  it('reads every generated record: four files, four formats, no dead letters', () => {
    assert.deepEqual(live.formats, ['iis', 'iis', 'wevtutil-xml', 'mailbox-log']);
    assert.equal(live.deadLetters, 0);
    assert.ok(scn.iisLines > 15_000, `${scn.iisLines} IIS lines`);
  });

  it('raises exactly nine alerts: one per storm device for rules 2 and 3, one for cas01 for rules 1, 4, 5', () => {
    const got = [...alerts.values()]
      .map((a) => `${doc(a)['rule'].id} ${doc(a)['casguard'].alert.key}`)
      .sort();
    const want = [
      ...scn.storms.flatMap((s) => [
        `kb2851708-provision-exception device.id=${s.device}`,
        `kb2851708-provision-storm device.id=${s.device}`,
      ]),
      'kb2851708-host-correlation host.name=cas01',
      'kb2851708-vulnerable-host-ios7 host.name=cas01',
      'kb2851708-watson-hashcore host.name=cas01',
    ].sort();
    assert.deepEqual(got, want);
  });

  it('each storm alert counts the device’s failed Provision requests, with first/last seen and its identity', () => {
    for (const s of scn.storms) {
      const d = byRuleKey('kb2851708-provision-storm', `device.id=${s.device}`)!;
      const a = d['casguard'].alert;
      assert.equal(a.count, s.times.length, s.device);
      assert.equal(a.first_seen, iso(s.times[0]!));
      assert.equal(a.last_seen, iso(s.times.at(-1)!));
      assert.deepEqual(a.devices, [s.device]);
      assert.deepEqual(a.users, [s.user]);
      assert.deepEqual(a.user_agents, [s.ua]);
      assert.deepEqual(a.ios_builds, ['11A465']);
      assert.deepEqual(a.hosts, ['cas01']);
      assert.equal(d['host'].name, 'cas01');
      assert.equal(d['user'].name, s.user);
      assert.equal(d['microsoft'].exchange.server.build, '14.2.328.9');
      assert.equal(d['microsoft'].exchange.server.kb2851708.status, 'affected');
      assert.equal(a.below_fix, true);
      assert.equal(a.fix, 'Exchange Server 2010 SP3 Update Rollup 2 (14.3.158.1)');
      assert.equal(d['event'].kind, 'alert');
      // evidence: the ten earliest failures of this device, by the ids the pipeline gave them
      const ids = failureIds(s.device);
      assert.equal(a.evidence_ids.length, 10);
      for (const id of a.evidence_ids) assert.ok(ids.has(id), `evidence ${id} is a failure of ${s.device}`);
      assert.match(d['message'], new RegExp(`failed Provision ${s.times.length} times on cas01`));
    }
  });

  it('the per-request rule counts the IIS and mailbox-log records of each storm device', () => {
    scn.storms.forEach((s, i) => {
      const d = byRuleKey('kb2851708-provision-exception', `device.id=${s.device}`)!;
      assert.equal(d['casguard'].alert.count, s.times.length + (i === 0 ? scn.mailboxEntries : 0), s.device);
    });
  });

  it('the Watson rule counts the 11 HashCore reports of cas01 and ignores the unrelated 4999 on cas02', () => {
    const d = byRuleKey('kb2851708-watson-hashcore', 'host.name=cas01')!;
    assert.equal(d['casguard'].alert.count, scn.watsonSignatures);
    assert.equal(scn.watsonSignatures, 11);
    assert.equal(d['casguard'].alert.first_seen, '2013-09-19T14:05:00.500Z');
    assert.equal(byRuleKey('kb2851708-watson-hashcore', 'host.name=cas02'), undefined);
  });

  it('the host correlation joins the FQDN of the events with the short name of the EAS logs', () => {
    const d = byRuleKey('kb2851708-host-correlation', 'host.name=cas01')!;
    const failures = scn.storms.reduce((n, s) => n + s.times.length, 0) + scn.mailboxEntries;
    assert.equal(d['casguard'].alert.count, scn.watsonSignatures + failures);
    assert.deepEqual(d['casguard'].alert.devices, scn.storms.map((s) => s.device).sort());
    assert.equal(d['event'].severity, 5);
  });

  it('the informational rule names cas01 (below the fix, iOS 7 clients) and not cas02 (fixed)', () => {
    const d = byRuleKey('kb2851708-vulnerable-host-ios7', 'host.name=cas01')!;
    const ios7Eas =
      scn.healthyIos7OnCas01 + scn.storms.reduce((n, s) => n + s.times.length, 0) + scn.mailboxEntries;
    assert.equal(d['casguard'].alert.count, ios7Eas + scn.watsonSignatures);
    assert.equal(byRuleKey('kb2851708-vulnerable-host-ios7', 'host.name=cas02'), undefined);
  });

  it('no alert for the recovering device, the Android 110 errors or any healthy device', () => {
    // (the informational rule lists every iOS 7 client of cas01, healthy ones included: that is its point)
    const kbAlerts = [...alerts.values()].filter(
      (a) => doc(a)['rule'].id !== 'kb2851708-vulnerable-host-ios7',
    );
    const devices = new Set(kbAlerts.flatMap((a) => doc(a)['casguard'].alert.devices as string[]));
    const ios7Clients = byRuleKey('kb2851708-vulnerable-host-ios7', 'host.name=cas01')!['casguard'].alert
      .devices as string[];
    assert.ok(!ios7Clients.includes('ApplC39H2KL1DTWF'), 'the recovering device runs iOS 6');
    assert.ok(
      !ios7Clients.some((d) => d.startsWith('android')),
      "!ios7Clients.some((d) => d.startsWith('android'))",
    );
    assert.ok(!devices.has('ApplC39H2KL1DTWF'), 'recovering device');
    for (const d of devices) assert.ok(!d.startsWith('android'), `android device ${d}`);
    for (const d of devices)
      assert.ok(
        scn.storms.some((s) => s.device === d),
        `unexpected device ${d}`,
      );
  });

  it('an hour of storm is a few dozen alert index operations, not thousands', () => {
    const matching = scn.storms.reduce((n, s) => n + s.times.length, 0);
    assert.ok(
      live.alerts.length < 120,
      `${live.alerts.length} alert versions for ${matching} storm requests`,
    );
    for (const a of live.alerts) assert.equal(a.op, 'index');
  });
});

describe('KB 2851708 scenario, other reading orders', () => {
  it('a backfill reading one file after the other gives the same final alerts as live tailing', () => {
    const backfill = finalAlerts(runPipeline(scn.files, builtinRules(), { order: 'backfill' }).alerts);
    assert.deepEqual([...backfill.keys()].sort(), [...alerts.keys()].sort());
    for (const [id, a] of alerts) assert.deepEqual(backfill.get(id)!.doc, a.doc, doc(a)['rule'].id);
  });

  it('a restart from the snapshot in the middle of the storm gives the same alert versions', () => {
    const cut = Math.floor(live.shipped.filter((s) => s.stream !== 'alerts').length / 2);
    const restarted = runPipeline(scn.files, builtinRules(), { order: 'live', restartAt: cut });
    assert.equal(restarted.engines.length, 2);
    assert.deepEqual(restarted.alerts, live.alerts);
  });
});
