// Issue 14, precision: only Provision failures that carry the KB 2851708 signature count as KB evidence, in every
// rule. The signature is Status 110 with the HashCore ArgumentOutOfRangeException logged, or Status 110 from an iOS
// 7 device whose log names no error. A 110 for another reason (an Android device's ADTransientException, an iOS 6
// device) never appears in an alert.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import type { EcsDocument, ShippableDocument } from '../../src/pipeline/document.types.js';
import { easDoc, provisionFailure, T0, watsonDoc } from './docs.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

function android(t: number, device: string): EcsDocument {
  const d = easDoc({
    t,
    host: 'cas01',
    device,
    command: 'Provision',
    status: 110,
    error: 'ADTransientException',
  });
  (d as Loose)['user_agent'] = {
    original: 'Android/4.2.2-EAS-1.3',
    os: { name: 'Android', version: '4.2.2' },
  };
  return d;
}
const ios7NoError = (t: number, device: string): EcsDocument =>
  easDoc({ t, host: 'cas01', device, command: 'Provision', status: 110 });
const ios6NoError = (t: number, device: string): EcsDocument =>
  easDoc({
    t,
    host: 'cas01',
    device,
    command: 'Provision',
    status: 110,
    ua: 'Apple-iPhone4C1/1002.329',
    osVersion: '6.1.4',
    osFull: 'iOS 6.1.4 (10B350)',
  });

function run(docs: EcsDocument[]): Map<string, Loose> {
  const engine = new DetectionEngine(builtinRules());
  const out: ShippableDocument[] = [];
  docs
    .sort((a, b) => Date.parse(a['@timestamp']) - Date.parse(b['@timestamp']))
    .forEach((d, i) => out.push(...engine.evaluate(d, `doc-${i}`)));
  out.push(...engine.flush());
  const last = new Map<string, Loose>();
  for (const a of out) {
    const d = a.doc as Loose;
    last.set(`${d['rule'].id} ${d['casguard'].alert.key}`, d);
  }
  return last;
}

describe('KB signature in every rule', () => {
  it('the host correlation counts the HashCore failures and an iOS 7 110 without error, not an Android ADTransientException or an iOS 6 110', () => {
    const docs: EcsDocument[] = [watsonDoc({ t: T0 + 60_000 })];
    for (let k = 0; k < 6; k++) docs.push(provisionFailure(T0 + 90_000 + k * 1000, 'ApplKBDEVICE0001'));
    for (let k = 0; k < 10; k++) docs.push(android(T0 + 95_000 + k * 1000, 'androidc900000001'));
    for (let k = 0; k < 5; k++) docs.push(ios7NoError(T0 + 97_000 + k * 1000, 'ApplNOERRIOS7001'));
    for (let k = 0; k < 5; k++) docs.push(ios6NoError(T0 + 98_000 + k * 1000, 'ApplIOS6DEV00001'));
    const alerts = run(docs);
    const corr = alerts.get('kb2851708-host-correlation host.name=cas01');
    assert.ok(corr, 'the host correlation is raised');
    assert.deepEqual(corr['casguard'].alert.devices, ['ApplKBDEVICE0001', 'ApplNOERRIOS7001']);
    assert.equal(corr['casguard'].alert.count, 1 + 6 + 5);
    for (const [name, d] of alerts) {
      const devices = d['casguard'].alert.devices as string[];
      assert.ok(!devices.includes('androidc900000001'), `${name} names the Android device`);
      assert.ok(!devices.includes('ApplIOS6DEV00001'), `${name} names the iOS 6 device`);
    }
  });

  it('the storm rule counts an iOS 7 device failing without a logged error and ignores 150 Android 110s', () => {
    const docs: EcsDocument[] = [];
    for (let k = 0; k < 150; k++) docs.push(android(T0 + k * 10_000, 'androidc900000002'));
    for (let k = 0; k < 120; k++) docs.push(ios7NoError(T0 + k * 10_000 + 1, 'ApplNOERRIOS7002'));
    const alerts = run(docs);
    assert.equal(
      alerts.get('kb2851708-provision-storm device.id=ApplNOERRIOS7002')?.['casguard'].alert.count,
      120,
    );
    assert.equal(alerts.get('kb2851708-provision-storm device.id=androidc900000002'), undefined);
    assert.equal(alerts.get('kb2851708-provision-exception device.id=androidc900000002'), undefined);
  });
});
