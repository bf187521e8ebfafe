// Issue 19, finding 11 (the registry part): the detection state no longer lives in registry.json (rewritten with
// every checkpoint flush) but in files of its own, saved incrementally, and a restart still resumes mid-storm.
// The real CLI (`casguard run`) in a child process: 2,000 devices failing Provision once and one device failing
// 60 times, stop, 60 more failures of that device, start again: the storm rule (100 in an hour) alerts with
// count 120, which only the saved state can give. (The failures carry the KB signature, Status 110 from an iOS 7
// device that logs no error, since issue 14 made the storm rule count only those.)
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startAgent } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const HOUR = Date.parse('2013-09-19T14:00:00Z');
const pad = (n: number): string => String(n).padStart(2, '0');
const iisTime = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};
const failure = (t: number, device: string): string =>
  `${iisTime(t)} 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas ` +
  `User=u-${device}&DeviceId=${device}&DeviceType=iPhone&Cmd=Provision&Log=V141_S110_ ` +
  `443 CONTOSO\\u-${device} 198.51.100.7 Apple-iPhone5C2/1101.465 200 0 0 45\r\n`;
const HEADER =
  '#Software: Microsoft Internet Information Services 7.5\r\n#Version: 1.0\r\n#Date: 2013-09-19 14:00:00\r\n' +
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\r\n';

const lines = (file: string): string[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];

async function runUntil(cwd: string, config: string, documents: number, out: string): Promise<void> {
  const agent = startAgent(['run', '--config', config], { cwd });
  try {
    const started = Date.now();
    while (lines(path.join(out, 'activesync.ndjson')).length < documents) {
      if (Date.now() - started > 60_000)
        assert.fail(
          `${lines(path.join(out, 'activesync.ndjson')).length}/${documents} documents\n${agent.stderr}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 2500)); // at least one periodic save of the state
  } finally {
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exited, 0, agent.stderr);
  }
}

describe('the detection state across a restart', () => {
  it('is saved beside the registry, not in it, and resumes a storm counted before the stop', async () => {
    const cwd = tempDir('cg-detect-state-');
    try {
      mkdirSync(path.join(cwd, 'logs'));
      const log = path.join(cwd, 'logs', 'u_ex130919.log');
      let text = HEADER;
      for (let i = 0; i < 2000; i++) text += failure(HOUR + i * 500, `ApplONE${String(i).padStart(5, '0')}`);
      for (let k = 0; k < 60; k++) text += failure(HOUR + 1_000_000 + k * 10_000, 'ApplSTORM0001');
      writeFileSync(log, text);
      const out = path.join(cwd, 'out');
      const config = path.join(cwd, 'casguard.yml');
      writeFileSync(
        config,
        [
          `dataDir: ${JSON.stringify(path.join(cwd, 'data'))}`,
          'inputs:',
          '  - id: iis',
          '    format: iis',
          `    paths: [${JSON.stringify(path.join(cwd, 'logs', '*.log'))}]`,
          'outputs:',
          '  file:',
          `    path: ${JSON.stringify(out)}`,
          '  stdout:',
          '    alerts: false',
          'logging:',
          '  console: off',
          'metrics:',
          '  enabled: false',
          '',
        ].join('\n'),
      );
      await runUntil(cwd, config, 2060, out);
      const regDir = path.join(cwd, 'data', 'registry');
      const registry = JSON.parse(readFileSync(path.join(regDir, 'registry.json'), 'utf8')) as {
        extras: Record<string, unknown>;
      };
      assert.equal(registry.extras['detect'], undefined, 'no detection state in registry.json');
      assert.ok(
        statSync(path.join(regDir, 'registry.json')).size < 10_000,
        "statSync(path.join(regDir, 'registry.json')).size < 10_000",
      );
      const base = lines(path.join(regDir, 'detect-state.base'));
      const keys = base.slice(1).filter((l) => l.startsWith('["') && l.includes('\\u0000'));
      assert.ok(keys.length >= 2001, `${keys.length} keys saved`);
      assert.equal(lines(path.join(out, 'alerts.ndjson')).length, 0, 'no storm yet (60 of 100)');

      for (let k = 0; k < 60; k++)
        appendFileSync(log, failure(HOUR + 1_600_000 + k * 10_000, 'ApplSTORM0001'));
      await runUntil(cwd, config, 2120, out);
      const alerts = lines(path.join(out, 'alerts.ndjson')).map(
        (l) => (JSON.parse(l) as { _source: Record<string, Record<string, unknown>> })._source,
      );
      const storm = alerts.filter(
        (a) => (a['rule'] as Record<string, unknown>)['id'] === 'kb2851708-provision-storm',
      );
      assert.ok(storm.length > 0, 'the storm is alerted after the restart');
      const last = storm[storm.length - 1]!;
      assert.equal((last['casguard'] as Record<string, Record<string, unknown>>)['alert']!['count'], 120);
      // The second run rewrote the state once (after restoring it) and then appended only what changed.
      const journal = statSync(path.join(regDir, 'detect-state.journal')).size;
      const baseSize = statSync(path.join(regDir, 'detect-state.base')).size;
      assert.ok(journal < baseSize / 10, `journal ${journal} bytes, base ${baseSize}`);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
