// `casguard replay` (the real CLI, in a child process: inputs, registry, framers, formats, enrichers, detector,
// file output) over the scenario's files gives the same final alerts as the live-order pipeline run. Evidence
// ids differ only because document ids include the input id and the file fingerprint, and `agent.id` /
// `agent.name` are the install's own (the id is the one kept in `<dataDir>/meta.json`).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import { finalAlerts, runPipeline } from './pipeline-runner.js';
import { generateScenario } from './scenario.js';
import { tempDir } from '../helpers/temp-dir.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

function comparable(doc: Loose): Loose {
  const copy = structuredClone(doc);
  assert.equal(copy['casguard'].alert.evidence_ids.length, 10);
  delete copy['casguard'].alert.evidence_ids;
  delete copy['agent'].id;
  delete copy['agent'].name;
  return copy;
}

describe('casguard replay of the KB 2851708 scenario', () => {
  it('raises the same final alerts as live tailing', async () => {
    const scn = generateScenario(300);
    const dir = tempDir('cg-detect-replay-');
    try {
      mkdirSync(path.join(dir, 'logs'));
      // cas02's IIS log names no server: the agent would take its own host name, so leave it out here.
      const files = scn.files.filter((f) => f.name !== 'u_ex130919_cas02.log');
      for (const f of files) writeFileSync(path.join(dir, 'logs', f.name), f.text);
      const config = path.join(dir, 'casguard.yml');
      writeFileSync(
        config,
        [
          `dataDir: ${JSON.stringify(path.join(dir, 'data'))}`,
          'timezone: UTC',
          'inputs:',
          '  - id: scenario',
          `    paths: [${JSON.stringify(path.join(dir, 'logs', '*'))}]`,
          'outputs:',
          '  file:',
          `    path: ${JSON.stringify(path.join(dir, 'out'))}`,
          '  stdout:',
          '    alerts: false',
          'metrics:',
          '  enabled: false',
          '',
        ].join('\n'),
      );
      const r = await runAgentCommand(
        ['replay', '--config', config, ...files.map((f) => path.join(dir, 'logs', f.name))],
        { cwd: repoRoot },
      );
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const lines = readFileSync(path.join(dir, 'out', 'alerts.ndjson'), 'utf8')
        .trim()
        .split('\n');
      const replayed = new Map<string, Loose>();
      for (const l of lines) {
        const hit = JSON.parse(l) as { _id: string; _source: Loose };
        replayed.set(hit._id, hit._source);
      }
      const meta = JSON.parse(readFileSync(path.join(dir, 'data', 'meta.json'), 'utf8')) as { uuid: string };
      for (const a of replayed.values()) assert.equal(a['agent'].id, meta.uuid, 'agent.id of this install');
      const live = finalAlerts(runPipeline(files, builtinRules(), { order: 'live' }).alerts);
      assert.deepEqual([...replayed.keys()].sort(), [...live.keys()].sort());
      for (const [id, a] of live)
        assert.deepEqual(comparable(replayed.get(id)!), comparable(a.doc as Loose), id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
