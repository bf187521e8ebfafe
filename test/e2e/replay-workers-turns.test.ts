// `casguard replay --workers 2` of three IIS files that each take more turns than a worker may run ahead (a turn
// reads up to 1 MiB; a worker runs at most 3 turns ahead per file), through the real CLI into the file output.
// Worker 0 serves files 0 and 2. It used to wait for file 0's credit while the main thread, which asks for its
// files' turns in its own order, waited for a turn of file 2: the replay hung for good after a few turns, with
// no error (found by the issue-16 backfill benchmark, 4 files of 250,000 lines). The replay must end, exit 0, and
// write every request line once.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { iisBackfillLog } from '../helpers/iis-backfill.js';
import { startAgent } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const FILES = 3;
/** About 5.4 MiB per file: 6 turns, twice what a worker may hold ahead. */
const LINES = 16_000;
/** Far beyond the replay's time even on a loaded CI machine (about 15 s here); the hang never ends. */
const LIMIT_MS = 240_000;

describe('replay --workers 2 of files longer than a worker may run ahead', () => {
  let dir: string;
  const files: string[] = [];
  before(() => {
    dir = tempDir('cg-replay-turns-');
    mkdirSync(path.join(dir, 'logs'));
    for (let i = 0; i < FILES; i++) {
      const f = path.join(dir, 'logs', `u_ex26110${i}.log`);
      writeFileSync(f, iisBackfillLog(i, LINES));
      files.push(f);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ends, exits 0 and writes every request line once', async () => {
    const out = path.join(dir, 'out');
    const config = path.join(dir, 'casguard.yml');
    writeFileSync(
      config,
      [
        `dataDir: ${JSON.stringify(path.join(dir, 'data'))}`,
        'timezone: UTC',
        'inputs:',
        '  - id: backfill',
        '    format: iis',
        `    paths: [${JSON.stringify(path.join(dir, 'unused.log'))}]`,
        'detect:',
        '  enabled: false',
        'outputs:',
        '  file:',
        `    path: ${JSON.stringify(out)}`,
        '    maxFileBytes: 1073741824',
        '  stdout:',
        '    alerts: false',
        'metrics:',
        '  enabled: false',
        '',
      ].join('\n'),
    );
    const agent = startAgent(['replay', '-c', config, '--no-progress', '--workers', '2', ...files], {
      cwd: dir,
    });
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      agent.exited,
      new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), LIMIT_MS))),
    ]);
    clearTimeout(timer);
    if (code === 'hung') {
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
    assert.equal(
      code,
      0,
      `replay ${code === 'hung' ? `still running after ${LIMIT_MS} ms` : `exited ${code}`}\n${agent.stderr.slice(-2000)}`,
    );
    const n = (x: number): string => x.toLocaleString('en-US');
    assert.match(
      agent.stdout,
      new RegExp(
        `${FILES} file\\(s\\), ${n(FILES * (4 + LINES))} record\\(s\\) read, ${n(FILES * LINES)} document\\(s\\) made`,
      ),
    );
    const lines = readdirSync(out)
      .filter((f) => f.includes('activesync'))
      .flatMap((f) => readFileSync(path.join(out, f), 'utf8').trim().split('\n'));
    const keys = lines.map((l) => {
      const d = (JSON.parse(l) as { _source: { log: { file: { path: string }; offset: number } } })._source;
      return `${path.basename(d.log.file.path)}@${d.log.offset}`;
    });
    assert.equal(keys.length, FILES * LINES, 'every request line written');
    assert.equal(new Set(keys).size, keys.length, 'none written twice');
  });
});
