// The report's data on the generated KB 2851708 scenario (test/detect/scenario.ts), through the real pipeline:
// exactly the three storm devices with their IIS failure counts, no benign look-alike (Android Status 110 with
// another error, the iOS 6 device's 449/142), cas01 below the fix with the update to install, the alerts with
// their explanation, and the HTML escapes what came from a log.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { renderReport } from '../../src/outputs/report/report-html.js';
import { isKbProvisionFailure, ReportBuilder } from '../../src/outputs/report/report-model.js';
import type { EcsDocument } from '../../src/pipeline/document.types.js';
import { runPipeline } from '../detect/pipeline-runner.js';
import { generateScenario, HOUR_START } from '../detect/scenario.js';

const scenario = generateScenario(300);
const run = runPipeline(scenario.files, builtinRules(), { order: 'backfill' });

function build(window?: { from?: number; to?: number }) {
  const b = new ReportBuilder(window);
  for (const d of run.shipped) b.add(d.stream, d.id, d.doc);
  return b.build({ source: 'test', generatedAt: '2026-12-06T00:00:00Z' });
}

describe('report data', () => {
  const data = build();

  it('lists exactly the storm devices, counted once (on their IIS lines)', () => {
    assert.deepEqual(
      data.storms.map((s) => [s.device, s.failures, s.countedIn]),
      scenario.storms
        .map((s) => [s.device, s.times.length, 'iis'] as const)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    );
    for (const s of data.storms) {
      const storm = scenario.storms.find((x) => x.device === s.device)!;
      assert.equal(s.firstSeen, storm.times[0]);
      assert.equal(s.lastSeen, storm.times.at(-1));
      assert.equal(
        s.series.reduce((a, b) => a + b, 0),
        s.failures,
        'the timeline holds every failure',
      );
      assert.deepEqual(s.users, [storm.user]);
      assert.deepEqual(s.hosts, ['cas01']);
      assert.equal(s.fix, 'Exchange Server 2010 SP3 Update Rollup 2 (14.3.158.1)');
      assert.ok(
        s.alertedBy.some((r) => /retry storm/.test(r)),
        s.alertedBy.join(),
      );
    }
  });

  it('leaves benign Status 110 look-alikes out', () => {
    const android = run.shipped.filter((d) =>
      String(d.doc['device'] && (d.doc['device'] as { id?: string }).id).startsWith('androidc9'),
    );
    assert.ok(android.length > 0, 'the scenario has Android devices with other Status 110 errors');
    assert.ok(
      android.every((d) => !isKbProvisionFailure(d.doc)),
      'android.every((d) => !isKbProvisionFailure(d.doc))',
    );
    assert.ok(
      !data.storms.some((s) => s.device.startsWith('androidc')),
      "!data.storms.some((s) => s.device.startsWith('androidc'))",
    );
    const noError: EcsDocument = {
      '@timestamp': '2013-09-19T14:00:00Z',
      microsoft: { exchange: { activesync: { command: 'Provision', status: 110 } } },
      user_agent: { os: { name: 'iOS', version: '7.0' } },
    };
    assert.ok(isKbProvisionFailure(noError), 'an iOS 7 device whose exception is not logged is KB evidence');
    assert.ok(
      !isKbProvisionFailure({ ...noError, user_agent: { os: { name: 'iOS', version: '6.1.3' } } }),
      "!isKbProvisionFailure({ ...noError, user_agent: { os: { name: 'iOS', version: '6.1.3' } } })",
    );
  });

  it('names the hosts, their builds and whether they are below the fix', () => {
    const cas01 = data.hosts.find((h) => h.host === 'cas01')!;
    assert.deepEqual(cas01.builds, ['14.2.328.9']);
    assert.equal(cas01.kbStatus, 'affected');
    assert.equal(cas01.fix, 'Exchange Server 2010 SP3 Update Rollup 2 (14.3.158.1)');
    assert.equal(cas01.events4999, scenario.watsonSignatures);
    assert.equal(
      cas01.provisionFailures,
      scenario.storms.reduce((n, s) => n + s.times.length, 0),
    );
    assert.ok(
      data.hosts.some((h) => h.host === 'cas02' && h.kbStatus !== 'affected'),
      "data.hosts.some((h) => h.host === 'cas02' && h.kbStatus !== 'affected')",
    );
  });

  it('carries every alert with its message, description and fix', () => {
    const storm = data.alerts.filter((a) => a.ruleId === 'kb2851708-provision-storm');
    assert.equal(storm.length, scenario.storms.length);
    for (const a of storm) {
      assert.match(a.message, /^Provision retry storm: device /);
      assert.match(a.description, /at least 100 times within an hour/);
      assert.equal(a.fix, 'Exchange Server 2010 SP3 Update Rollup 2 (14.3.158.1)');
    }
  });

  it('counts devices by iOS build, storm devices apart', () => {
    const b = data.iosBuilds.find((x) => x.build === '11A465')!;
    assert.equal(b.version, '7.0');
    assert.equal(b.stormDevices, scenario.storms.length);
    assert.ok(b.devices > b.stormDevices, 'b.devices > b.stormDevices');
  });

  it('honours the time window', () => {
    const early = build({ to: HOUR_START + 5 * 60_000 });
    assert.equal(early.storms.length, 0, 'the storms start at minute 5');
    assert.ok(early.documents.activesync > 0, 'early.documents.activesync > 0');
  });

  it('renders one storm row per device and escapes what came from a log', () => {
    const html = renderReport(data, { version: 'test' });
    assert.equal(html.match(/<tr class="storm-row"/g)?.length, scenario.storms.length);
    assert.doesNotMatch(
      html,
      /<script|https?:\/\/(?!support\.microsoft\.com)/,
      'no script, no fetchable URL',
    );
    const evil = new ReportBuilder();
    const doc = run.shipped.find((d) => d.stream === 'activesync' && isKbProvisionFailure(d.doc))!;
    evil.add('activesync', 'x', {
      ...doc.doc,
      device: { id: '<img src=x onerror=alert(1)>' },
      user: { name: '"><script>alert(2)</script>' },
    });
    const page = renderReport(evil.build({ source: '<b>', generatedAt: 'now' }), { version: 'test' });
    assert.ok(
      !page.includes('<img src=x') && !page.includes('<script>alert'),
      "!page.includes('<img src=x') && !page.includes('<script>alert')",
    );
    assert.ok(
      page.includes('&#60;img src=x onerror=alert(1)&#62;'),
      "page.includes('&#60;img src=x onerror=alert(1)&#62;')",
    );
  });
});
