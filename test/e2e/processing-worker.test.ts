// `casguard replay` with `processing.worker: true` (the real CLI in a child process, a real worker thread)
// writes byte for byte what the in-thread pipeline writes: every format (the KB 2851708 scenario's IIS, event
// XML and mailbox log; the golden HttpProxy, IIS, mailbox-log and Windows export inputs; EVTX, whose records
// cross the thread boundary as decoded payloads), the same documents in the same order, the same alerts
// (detection runs on the main thread from the worker's projections), the same dead letters.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import { generateScenario } from '../detect/scenario.js';

const golden = path.join(repoRoot, 'test/golden');
const INPUTS = [
  ...['httpproxy', 'iis', 'mailbox-log'].flatMap((d) =>
    readdirSync(path.join(golden, 'eas', d))
      .filter((f) => !f.endsWith('.expected.json'))
      .map((f) => path.join(golden, 'eas', d, f)),
  ),
  ...readdirSync(path.join(golden, 'windows'))
    .filter((f) => !f.endsWith('.expected.json') && !f.endsWith('.md') && !f.endsWith('.py'))
    .map((f) => path.join(golden, 'windows', f)),
  path.join(repoRoot, 'test/fixtures/evtx/Application.evtx'),
];

let dir: string;
let logs: string;

function config(worker: boolean): string {
  const name = worker ? 'worker' : 'inline';
  const file = path.join(dir, `${name}.yml`);
  writeFileSync(
    file,
    [
      `dataDir: ${JSON.stringify(path.join(dir, `data-${name}`))}`,
      'timezone: UTC',
      'inputs:',
      '  - id: all',
      `    paths: [${JSON.stringify(path.join(logs, '*'))}]`,
      'outputs:',
      '  file:',
      `    path: ${JSON.stringify(path.join(dir, `out-${name}`))}`,
      '  stdout:',
      '    alerts: false',
      'processing:',
      `  worker: ${worker}`,
      'metrics:',
      '  enabled: false',
      '',
    ].join('\n'),
  );
  return file;
}

/** Dead letters without their write time. */
function deadLetters(name: string): string[] {
  const d = path.join(dir, `data-${name}`, 'dead-letter');
  let files: string[];
  try {
    files = readdirSync(d);
  } catch {
    return [];
  }
  return files
    .flatMap((f) => readFileSync(path.join(d, f), 'utf8').trim().split('\n'))
    .filter((l) => l !== '')
    .map((l) => {
      const { time: _time, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return JSON.stringify(rest);
    });
}

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cg-worker-'));
  logs = path.join(dir, 'logs');
  mkdirSync(logs);
  for (const f of generateScenario(200).files) writeFileSync(path.join(logs, f.name), f.text);
  for (const f of INPUTS) copyFileSync(f, path.join(logs, path.basename(f)));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the processing worker', () => {
  it('replays every format to the same bytes as the in-thread pipeline', async () => {
    const files = readdirSync(logs)
      .sort()
      .map((f) => path.join(logs, f));
    const runs: Record<string, string> = {};
    for (const worker of [true, false]) {
      const r = await runAgentCommand(['replay', '--config', config(worker), ...files], { cwd: repoRoot });
      // 4: done, with dead letters (the malformed golden inputs).
      assert.equal(r.code, 4, `${r.stdout}\n${r.stderr}`);
      if (worker) {
        assert.match(r.stderr, /records are parsed and mapped in a worker thread/);
        assert.doesNotMatch(r.stderr, /processing worker stopped/);
      }
      runs[String(worker)] = r.stdout.replace(/ in [0-9.]+ s/, '').replace(/data-(worker|inline)/, 'data');
    }
    assert.equal(runs['true'], runs['false']);
    for (const stream of ['activesync', 'application', 'alerts']) {
      const a = readFileSync(path.join(dir, 'out-worker', `${stream}.ndjson`), 'utf8');
      const b = readFileSync(path.join(dir, 'out-inline', `${stream}.ndjson`), 'utf8');
      const n = a.split('\n').length - 1;
      assert.ok(n > (stream === 'alerts' ? 3 : 20), `${stream}: ${n} documents`);
      assert.ok(a === b, `${stream}.ndjson differs between the worker and the in-thread run`);
    }
    const dl = deadLetters('worker');
    assert.ok(dl.length > 0, 'the malformed golden inputs give dead letters');
    assert.deepEqual(dl, deadLetters('inline'));
  });
});
