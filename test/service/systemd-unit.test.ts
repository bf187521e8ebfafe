// The systemd unit: an allow-list and required settings checked everywhere; `systemd-analyze verify` and
// `security --offline` only where systemd-analyze is installed (Debian: apt-get install systemd; it works
// without systemd running). CI machines are fresh, so those two skip with a reason when it is absent.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  AGENT_DRAIN_DEADLINE_MS,
  LINUX_DIR,
  checkUnit,
  parseSystemdTimeSpan,
  parseUnit,
  read,
} from './service-checks.js';
import { tempDir } from '../helpers/temp-dir.js';

const unitText = read(path.join(LINUX_DIR, 'casguard.service'));
const expect = { drainDeadlineMs: AGENT_DRAIN_DEADLINE_MS };

/** Exposure score ceiling, in tenths. Measured 1.3 with systemd 252 (Debian 12); the margin absorbs other versions' weights. */
const SECURITY_THRESHOLD = 20;

describe('casguard.service', () => {
  it('uses only allow-listed keys and carries every required setting', () => {
    assert.deepEqual(checkUnit(unitText, expect), []);
  });

  it('restarts on failure and gives the drain more time than it needs', () => {
    const service = parseUnit(unitText).get('Service')!;
    assert.deepEqual(service.get('Restart'), ['on-failure']);
    assert.equal(parseSystemdTimeSpan(service.get('TimeoutStopSec')![0]!), 45_000);
    assert.ok(45_000 > AGENT_DRAIN_DEADLINE_MS, '45_000 > AGENT_DRAIN_DEADLINE_MS');
  });

  it('does not set MemoryDenyWriteExecute (node aborts under it)', () => {
    for (const [, keys] of parseUnit(unitText)) assert.equal(keys.has('MemoryDenyWriteExecute'), false);
  });

  it('catches a typo, MemoryDenyWriteExecute, a short stop timeout and a missing config check', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['Restart=on-failure', 'Restrat=on-failure', /Restrat= is not in the allow-list/],
      ['LockPersonality=yes', 'LockPersonality=yes\nMemoryDenyWriteExecute=yes', /MemoryDenyWriteExecute/],
      ['TimeoutStopSec=45s', 'TimeoutStopSec=3s', /not above the drain deadline/],
      ['ExecStartPre=', '#ExecStartPre=', /must run "test config/],
      ['Restart=on-failure', 'Restart=always', /Restart= must be on-failure/],
    ];
    for (const [from, to, problem] of cases) {
      assert.ok(unitText.includes(from), `fixture text ${from} not found`);
      const problems = checkUnit(unitText.replace(from, to), expect);
      assert.ok(
        problems.some((p) => problem.test(p)),
        `${from} -> ${to}: ${problems.join('; ')}`,
      );
    }
  });

  it('parses systemd time spans', () => {
    assert.equal(parseSystemdTimeSpan('45s'), 45_000);
    assert.equal(parseSystemdTimeSpan('1min 30s'), 90_000);
    assert.equal(parseSystemdTimeSpan('90'), 90_000);
    assert.equal(parseSystemdTimeSpan('500ms'), 500);
    assert.throws(() => parseSystemdTimeSpan('45 parsecs'));
  });
});

describe('systemd-analyze on casguard.service', () => {
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  const missing = probe.error !== undefined || probe.status !== 0;
  const dir = tempDir('casguard-unit-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** verify fails when ExecStart's binary is absent, so point it at the node running this test. */
  const writeUnit = (text: string): string => {
    const file = path.join(dir, 'casguard.service');
    writeFileSync(file, text.replaceAll('/usr/bin/node ', `${process.execPath} `));
    return file;
  };
  const analyze = (args: string[]) => spawnSync('systemd-analyze', args, { encoding: 'utf8', cwd: dir });

  it('passes systemd-analyze verify without a single warning', (t) => {
    if (missing) return t.skip('systemd-analyze not installed (apt-get install systemd to run this check)');
    const r = analyze(['verify', '--man=no', writeUnit(unitText)]);
    assert.equal(r.stderr.trim(), '');
    assert.equal(r.status, 0);
  });

  it('would report an unknown key (verify only warns, so stderr is the signal)', (t) => {
    if (missing) return t.skip('systemd-analyze not installed (apt-get install systemd to run this check)');
    const r = analyze([
      'verify',
      '--man=no',
      writeUnit(unitText.replace('Restart=on-failure', 'Restrat=on-failure')),
    ]);
    assert.match(r.stderr, /Unknown key 'Restrat'/);
  });

  it(`scores at most ${SECURITY_THRESHOLD / 10} in systemd-analyze security --offline`, (t) => {
    if (missing) return t.skip('systemd-analyze not installed (apt-get install systemd to run this check)');
    const r = analyze([
      'security',
      '--offline=yes',
      `--threshold=${SECURITY_THRESHOLD}`,
      writeUnit(unitText),
    ]);
    const score = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1];
    t.diagnostic(`exposure ${score ?? '?'} (${probe.stdout.split('\n')[0] ?? ''})`);
    assert.equal(r.status, 0, r.stdout.split('\n').slice(-3).join('\n'));
  });
});
