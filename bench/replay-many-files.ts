// `casguard replay` of a backfill of many small IIS files (an Exchange admin replaying a month of rotated logs):
// the built agent (dist/) in a child process under a lowered `ulimit -n`, shipping into the Elasticsearch test
// server (in this process). Prints the exit code, wall time, peak RSS (/usr/bin/time), the most descriptors the
// child held at once (/proc/<pid>/fd, sampled every 20 ms), and whether every line arrived exactly once
// (documents stored against lines written; items answered other than 201 mean a re-send or a loss).
// Run by hand, after `npm run build`:
//   node --import tsx bench/replay-many-files.ts [--files 5000] [--lines 20] [--ulimit 1024] [--workers 1|auto]
//     [--dist dist] (another build, e.g. a worktree of main: --dist /work/wt/x/dist)
// Figures recorded in bench/README.md (Replay of many files).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEsTestServer } from '../test/es-server/es-test-server.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '5000' },
    lines: { type: 'string', default: '20' },
    ulimit: { type: 'string', default: '1024' },
    workers: { type: 'string', default: '1' },
    dist: { type: 'string', default: 'dist' },
    keep: { type: 'boolean', default: false },
  },
});
const files = Number(values.files);
const lines = Number(values.lines);

const header = (i: number): string =>
  `#Software: Microsoft Internet Information Services 8.5\r\n#Version: 1.0\r\n` +
  `#Date: 2026-11-${String(1 + (i % 28)).padStart(2, '0')} ${String(i % 24).padStart(2, '0')}:00:00\r\n` +
  '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) ' +
  'cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n';
const request = (i: number, l: number): string =>
  `2026-11-${String(1 + (i % 28)).padStart(2, '0')} 14:22:${String(l % 60).padStart(2, '0')} 10.0.0.${i % 250} ` +
  `POST /Microsoft-Server-ActiveSync/default.eas User=u${i}&DeviceId=ApplDN${i}X${l}&DeviceType=iPad&Cmd=Sync ` +
  `443 CONTOSO\\u${i} 192.168.${i % 250}.${l % 250} Apple-iPad2C2/1101.465 - 200 0 0 15\r\n`;

const root = mkdtempSync(path.join(tmpdir(), 'casguard-bench-replay-files-'));
const es = await startEsTestServer({ checkMappings: false });
try {
  const logs = path.join(root, 'logs');
  mkdirSync(logs);
  const paths: string[] = [];
  for (let i = 0; i < files; i++) {
    let text = header(i);
    for (let l = 0; l < lines; l++) text += request(i, l);
    const p = path.join(logs, `u_ex${String(i).padStart(6, '0')}.log`);
    writeFileSync(p, text);
    paths.push(p);
  }
  const config = path.join(root, 'casguard.yml');
  writeFileSync(
    config,
    [
      `dataDir: ${JSON.stringify(path.join(root, 'data'))}`,
      'inputs:',
      '  - id: backfill',
      `    paths: [${JSON.stringify(path.join(root, 'unused.log'))}]`,
      'outputs:',
      '  elasticsearch:',
      `    hosts: [${JSON.stringify(es.url)}]`,
      '    compression: false',
      '  stdout:',
      '    alerts: false',
      'logging:',
      '  level: warn',
      '  console: off',
      '  file: true',
      'metrics:',
      '  enabled: false',
      '',
    ].join('\n'),
  );
  const main = path.resolve(values.dist, 'cli/main.js');
  const timeOut = path.join(root, 'time');
  // The paths go through the environment's argv, not a shell line: `exec "$@"` after the ulimit.
  const child = spawn(
    'bash',
    [
      '-c',
      `ulimit -n ${values.ulimit} && exec /usr/bin/time -f '%e %M' -o ${timeOut} "$@"`,
      'bash',
      process.execPath,
      '--max-semi-space-size=8',
      main,
      'replay',
      '-c',
      config,
      '--no-progress',
      '--workers',
      values.workers,
      ...paths,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CASGUARD_CONFIG: '' } },
  );
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  // /usr/bin/time forks node: the descriptors of its child are counted.
  let maxFds = 0;
  const sampler = setInterval(() => {
    try {
      const kids = readdirSync(`/proc/${child.pid}/task`).flatMap((t) => {
        try {
          return readFileSync(`/proc/${child.pid}/task/${t}/children`, 'utf8').trim().split(/\s+/);
        } catch {
          return [];
        }
      });
      for (const k of kids.filter(Boolean)) maxFds = Math.max(maxFds, readdirSync(`/proc/${k}/fd`).length);
    } catch {
      // ended
    }
  }, 20);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearInterval(sampler);
  const [wall, rssKb] = readFileSync(timeOut, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  const stored = es.docs('logs-exchange.activesync-default').size;
  const expected = files * lines;
  const summary = /replay done[^\n]*/.exec(out)?.[0] ?? '(no summary line)';
  const emfile = (out.match(/EMFILE/g) ?? []).length;
  console.log(
    JSON.stringify({
      files,
      lines,
      ulimit: Number(values.ulimit),
      workers: values.workers,
      dist: values.dist,
      exit: code,
      wallS: wall,
      peakRssMiB: Math.round((rssKb! / 1024) * 10) / 10,
      maxFds,
      expected,
      stored,
      missing: expected - stored,
      itemsByStatus: es.stats.itemsByStatus,
      emfileMentions: emfile,
    }),
  );
  console.log(summary);
  if (code !== 0) console.log(out.split('\n').slice(-15).join('\n'));
  const first = out.split('\n').filter((l) => l.includes('EMFILE'));
  if (first.length > 0) console.log(`first lines naming EMFILE:\n${first.slice(0, 3).join('\n')}`);
} finally {
  await es.stop();
  if (!values.keep) rmSync(root, { recursive: true, force: true });
  else console.log(`kept ${root}`);
}
