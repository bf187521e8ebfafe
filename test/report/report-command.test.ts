// `casguard report`'s command line: what it reads, what it says about bad input, and the mistakes a user can fix.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { report } from '../../src/cli/commands/report-command.js';
import type { CliIo } from '../../src/cli/io.js';
import { tempDir } from '../helpers/temp-dir.js';

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const io = {
    stdout: [] as string[],
    stderr: [] as string[],
    out: (l: string) => io.stdout.push(l),
    err: (l: string) => io.stderr.push(l),
    setExitCode: () => undefined,
    env: {},
  };
  return io;
}

const hit = (index: string, id: string, source: Record<string, unknown>): string =>
  JSON.stringify({ _id: id, _index: index, _source: source });

describe('casguard report (command)', () => {
  let dir: string;
  before(() => {
    dir = tempDir('casguard-report-cmd-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file output, skips a broken line naming file and line, and writes the page', async () => {
    const out = path.join(dir, 'out');
    mkdirSync(out);
    const doc = {
      '@timestamp': '2013-09-19T14:00:05.000Z',
      host: { name: 'cas01' },
      device: { id: 'ApplDEV1' },
      user: { name: 'u1' },
      user_agent: { os: { name: 'iOS', version: '7.0', full: 'iOS 7.0 (11A465)' } },
      error: { type: 'System.ArgumentOutOfRangeException' },
      microsoft: { exchange: { activesync: { command: 'Provision', status: 110, log_source: 'iis' } } },
    };
    writeFileSync(
      path.join(out, 'activesync.ndjson'),
      [hit('logs-exchange.activesync-default', 'a1', doc), '{"_id": "a2", broken', ''].join('\n'),
    );
    const io = captureIo();
    const file = path.join(dir, 'r.html');
    assert.equal(await report({ from: out, out: file }, io, 't'), 0, io.stderr.join('\n'));
    assert.match(io.stderr.join('\n'), /warning: .*activesync\.ndjson:2: not JSON/);
    assert.match(io.stdout.join('\n'), /wrote .*r\.html: 1 storm device\(s\), 0 alert\(s\), 1 host\(s\)/);
    const html = readFileSync(file, 'utf8');
    assert.match(html, /data-device="ApplDEV1"/);
    assert.match(html, /activesync\.ndjson:2: not JSON/, 'the page says what it could not read');
  });

  it('says what is wrong instead of failing obscurely', async () => {
    const io = captureIo();
    assert.equal(await report({ from: path.join(dir, 'nope'), out: path.join(dir, 'x.html') }, io, 't'), 3);
    assert.match(io.stderr.join('\n'), /report FAILED: .*nope: no such folder/);
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    const io2 = captureIo();
    assert.equal(await report({ from: empty, out: path.join(dir, 'x.html') }, io2, 't'), 3);
    assert.match(io2.stderr.join('\n'), /no activesync, application or alerts \.ndjson files/);
    const io3 = captureIo();
    assert.equal(await report({ from: empty, fromEs: true, out: 'x.html' }, io3, 't'), 2);
    const io4 = captureIo();
    assert.equal(await report({ since: 'yesterday-ish', out: 'x.html' }, io4, 't'), 2);
    assert.match(io4.stderr.join('\n'), /--since must be a date\/time/);
    const io5 = captureIo();
    assert.equal(await report({ fromEs: true, out: 'x.html' }, io5, 't'), 1);
    assert.match(io5.stderr.join('\n'), /--from-es: no outputs\.elasticsearch/);
  });
});
