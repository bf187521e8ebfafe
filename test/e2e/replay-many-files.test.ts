// `casguard replay` of a backfill of many small IIS files through the real CLI, under `ulimit -n 512`, into the
// Elasticsearch test server: with worker threads (which open the files they process) the replay holds a bounded
// number of files open, so no file fails to open (EMFILE) and every request line is stored exactly once, under
// the id a replay without workers gives it. Before the bound, each worker opened all of its files at once: 1,500
// files under 512 descriptors lost most of their documents, with exit code 0.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEsTestServer, type EsTestServer } from '../es-server/es-test-server.js';
import { runAgentCommand } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const FILES = 1500;
const LINES = 5;

function iisLog(i: number): string {
  const day = `2026-11-${String(1 + (i % 28)).padStart(2, '0')}`;
  let text =
    '#Software: Microsoft Internet Information Services 8.5\r\n#Version: 1.0\r\n' +
    `#Date: ${day} ${String(i % 24).padStart(2, '0')}:00:00\r\n` +
    '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) ' +
    'cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n';
  for (let l = 0; l < LINES; l++)
    text +=
      `${day} 14:22:${String(l).padStart(2, '0')} 10.0.0.${i % 250} POST /Microsoft-Server-ActiveSync/default.eas ` +
      `User=u${i}&DeviceId=ApplDN${i}X${l}&DeviceType=iPad&Cmd=Sync 443 CONTOSO\\u${i} 192.168.1.${l} ` +
      'Apple-iPad2C2/1101.465 - 200 0 0 15\r\n';
  return text;
}

describe('replay of 1,500 files under ulimit -n 512', () => {
  let es: EsTestServer;
  let dir: string;
  const files: string[] = [];
  before(async () => {
    es = await startEsTestServer({ checkMappings: false });
    dir = tempDir('cg-replay-many-');
    mkdirSync(path.join(dir, 'logs'));
    for (let i = 0; i < FILES; i++) {
      const f = path.join(dir, 'logs', `u_ex${String(i).padStart(5, '0')}.log`);
      writeFileSync(f, iisLog(i));
      files.push(f);
    }
  });
  after(async () => {
    await es.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with worker threads: every line stored once, no file failing to open, exit 0', async () => {
    const data = path.join(dir, 'data');
    const config = path.join(dir, 'casguard.yml');
    writeFileSync(
      config,
      [
        `dataDir: ${JSON.stringify(data)}`,
        'inputs:',
        '  - id: backfill',
        `    paths: [${JSON.stringify(path.join(dir, 'unused.log'))}]`,
        'outputs:',
        '  elasticsearch:',
        `    hosts: [${JSON.stringify(es.url)}]`,
        '  stdout:',
        '    alerts: false',
        'metrics:',
        '  enabled: false',
        '',
      ].join('\n'),
    );
    const r = await runAgentCommand(['replay', '-c', config, '--no-progress', '--workers', '2', ...files], {
      cwd: dir,
      maxOpenFiles: 512,
    });
    const docs = FILES * LINES;
    assert.equal(r.code, 0, r.stdout + r.stderr.slice(-3000));
    // Each file: 4 header lines (records, no documents) and LINES requests.
    const n = (x: number): string => x.toLocaleString('en-US');
    assert.match(
      r.stdout,
      new RegExp(
        `${n(FILES)} file\\(s\\), ${n(FILES * (4 + LINES))} record\\(s\\) read, ${n(docs)} document\\(s\\) made, ` +
          `${n(docs)} stored, .*; 2 worker threads`,
      ),
    );
    const logDir = path.join(data, 'logs');
    const ownLog = readdirSync(logDir)
      .map((f) => readFileSync(path.join(logDir, f), 'utf8'))
      .join('');
    assert.doesNotMatch(r.stderr + ownLog, /EMFILE/);
    const stored = es.docs('logs-exchange.activesync-default');
    assert.equal(stored.size, docs, 'every request line stored');
    assert.deepEqual(es.stats.itemsByStatus, { 201: docs }, 'each sent once');
    const users = new Set([...stored.values()].map((d) => (d as { user?: { name?: string } }).user?.name));
    assert.equal(users.size, FILES, 'the lines of every file');
  });
});
