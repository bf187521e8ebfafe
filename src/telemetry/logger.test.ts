import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createAgentLogger } from './logger.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

describe('agent logger', () => {
  it('writes JSON lines under <dataDir>/logs with every secret scrubbed', async () => {
    const dataDir = tempDir('cg-log-');
    const logger = createAgentLogger(
      { level: 'debug', console: 'off', file: true, maxFileBytes: 1 << 20, maxFiles: 2 },
      dataDir,
    );
    logger.info('connecting', {
      hosts: ['https://elastic:hunter2pass@es.example:9200'],
      apiKey: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==',
    });
    logger.child({ component: 'output' }).warn('request failed', {
      error: 'authorization failed for header Basic ZWxhc3RpYzpodW50ZXIycGFzcw==',
      nested: { password: 'hunter2pass', user: 'elastic' },
    });
    await logger.close();
    const dir = path.join(dataDir, 'logs');
    const file = readdirSync(dir).find((f) => f.startsWith('casguard-') && f.endsWith('.log'));
    assert.ok(file, 'a log file was written');
    const text = readFileSync(path.join(dir, file), 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.equal(lines[1]?.['component'], 'output');
    for (const secret of ['hunter2pass', 'VnVhQ2ZHY0JDZGJr', 'ZWxhc3RpYzpodW50ZXIycGFzcw']) {
      assert.ok(!text.includes(secret), `the log must not contain ${secret}`);
    }
    assert.match(text, /\[REDACTED\]/);
    assert.match(text, /"user":"elastic"/, 'non-secret fields stay readable');
  });

  it('uses the redaction it is given for messages, values and keys', async () => {
    const dataDir = tempDir('cg-log-');
    const logger = createAgentLogger(
      { level: 'info', console: 'off', file: true, maxFileBytes: 1 << 20, maxFiles: 2 },
      dataDir,
      {
        redaction: {
          redact: (t) => t.replace(/cadata=[^;\s]+/g, 'cadata=[REDACTED]'),
          isSecretKey: (k) => k === 'X-OWA-CANARY',
        },
      },
    );
    logger.warn('dead letter for cadata=c4d4ta1', {
      record: 'Cookie list: cadata=c4d4ta2; PBack=0',
      headers: { 'X-OWA-CANARY': 'c4n4ry3', Host: 'cas01' },
    });
    await logger.close();
    const dir = path.join(dataDir, 'logs');
    const file = readdirSync(dir).find((f) => f.startsWith('casguard-') && f.endsWith('.log'))!;
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const secret of ['c4d4ta1', 'c4d4ta2', 'c4n4ry3']) assert.ok(!text.includes(secret), secret);
    assert.match(text, /PBack=0/);
    assert.match(text, /"Host":"cas01"/);
  });

  it('writes plain console lines, without colour codes, when stderr is not a terminal', () => {
    const dataDir = tempDir('cg-log-');
    const script = [
      `import { createAgentLogger } from ${JSON.stringify(new URL('./logger.ts', import.meta.url).href)};`,
      `const l = createAgentLogger({ level: 'info', console: 'pretty', file: false, maxFileBytes: 1048576, maxFiles: 1 }, ${JSON.stringify(dataDir)});`,
      "l.info('hello from a service'); l.warn('careful'); await l.close();",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /info hello from a service/);
    assert.match(r.stderr, /warn careful/);
    assert.ok(
      !r.stderr.includes('\u001b['),
      `colour codes in redirected output: ${JSON.stringify(r.stderr)}`,
    );
  });
});
