// Crash test with the real agent process: while it ships a 200,000-line IIS log that is still being appended
// to, the agent is killed with SIGKILL at five random moments and restarted each time. At the end every line
// is in the Elasticsearch test server exactly once: a line re-sent after a crash carries the same `_id`, so
// its `create` is rejected (409) instead of being stored twice, and no line is missing.

import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, writeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { tempDir } from './helpers.js';

const TOTAL_LINES = Number(process.env['CASGUARD_CRASH_LINES'] ?? 200_000);
const KILLS = 5;
const STREAM = 'logs-exchange.activesync-default';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const HEADER =
  '#Software: Microsoft Internet Information Services 8.5\r\n#Version: 1.0\r\n#Date: 2013-09-19 00:00:00\r\n' +
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n';

function line(i: number): string {
  const t = new Date(Date.UTC(2013, 8, 19) + i * 1000).toISOString();
  return `${t.slice(0, 10)} ${t.slice(11, 19)} 10.0.0.5 POST /Microsoft-Server-ActiveSync/default.eas User=johndoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Provision&Seq=${i} 443 contoso\\johndoe 192.0.2.10 Apple-iPad2C2/1101.465 - 200 0 0 ${i % 997}\r\n`;
}

describe('crash safety with a real agent process', () => {
  it(
    `ships a growing ${TOTAL_LINES}-line IIS log exactly once through ${KILLS} SIGKILLs`,
    { timeout: 240_000 },
    async () => {
      const es = await startEsTestServer({ storeSources: true, checkMappings: false });
      const tmp = await tempDir('casguard-crash-');
      let agent: AgentProcess | undefined;
      try {
        const logs = path.join(tmp.dir, 'logs');
        mkdirSync(logs);
        const configFile = path.join(tmp.dir, 'casguard.yml');
        writeFileSync(
          configFile,
          [
            'dataDir: ./data',
            'inputs:',
            '  - id: cas-iis',
            '    format: iis',
            "    paths: ['./logs/u_ex*.log']",
            '    pollIntervalMs: 100',
            '    rescanIntervalMs: 1000',
            '    checkpointFlushMs: 200',
            'outputs:',
            '  elasticsearch:',
            `    hosts: ['${es.url}']`,
            '    flushIntervalMs: 100',
            '    maxBatchDocs: 2000',
            '    compression: false',
            '  stdout: { alerts: false }',
            'metrics: { enabled: false }',
            "logging: { console: 'json', file: false }",
            '',
          ].join('\n'),
        );
        const file = path.join(logs, 'u_ex130919.log');
        const fd = openSync(file, 'a');
        writeSync(fd, HEADER);
        let written = 0;
        const writeSome = (n: number): void => {
          let s = '';
          const end = Math.min(TOTAL_LINES, written + n);
          for (; written < end; written++) s += line(written);
          if (s) writeSync(fd, s);
        };
        // The writer appends in bursts in the background for the whole test (the log keeps growing).
        let writing = true;
        const writer = (async () => {
          writeSome(TOTAL_LINES / 10);
          while (writing && written < TOTAL_LINES) {
            writeSome(Math.ceil(TOTAL_LINES / 60));
            await sleep(250);
          }
        })();

        const start = (): AgentProcess => startAgent(['run', '--config', configFile], { cwd: tmp.dir });
        const kills: number[] = [];
        for (let k = 0; k < KILLS; k++) {
          agent = start();
          // A random moment while it ships: once new documents arrive, wait a random 0-1.5 s, then kill.
          const before = es.docs(STREAM).size;
          const until = Date.now() + 60_000;
          while (es.docs(STREAM).size === before && Date.now() < until) await sleep(20);
          await sleep(Math.floor(Math.random() * 1500));
          agent.child.kill('SIGKILL');
          await agent.exited;
          kills.push(es.docs(STREAM).size);
        }
        agent = start();
        writing = false;
        await writer;
        writeSome(TOTAL_LINES); // whatever the background writer had not written yet
        closeSync(fd);
        const deadline = Date.now() + 150_000;
        while (es.docs(STREAM).size < TOTAL_LINES && Date.now() < deadline) await sleep(250);
        await sleep(1500); // anything extra would arrive now
        agent.child.kill('SIGTERM');
        await agent.exited;

        const docs = es.docs(STREAM);
        const seqs = new Map<number, number>();
        for (const src of docs.values()) {
          const query = JSON.stringify(src);
          const m = /Seq=(\d+)/.exec(query);
          assert.ok(m, 'every document names its line');
          const seq = Number(m[1]);
          seqs.set(seq, (seqs.get(seq) ?? 0) + 1);
        }
        const missing: number[] = [];
        for (let i = 0; i < TOTAL_LINES; i++) if (!seqs.has(i)) missing.push(i);
        const doubled = [...seqs].filter(([, n]) => n > 1).map(([s]) => s);
        console.log(
          `crash test: docs after each kill ${kills.join(', ')}; stored ${docs.size}; ` +
            `bulk items by status ${JSON.stringify(es.stats.itemsByStatus)}`,
        );
        assert.deepEqual(missing.slice(0, 10), [], `${missing.length} lines missing`);
        assert.deepEqual(doubled.slice(0, 10), [], `${doubled.length} lines stored twice`);
        assert.equal(docs.size, TOTAL_LINES);
      } finally {
        if (agent && agent.child.exitCode === null && agent.child.signalCode === null) {
          agent.child.kill('SIGKILL');
          await agent.exited;
        }
        await es.stop();
        await tmp.cleanup();
      }
    },
  );
});
