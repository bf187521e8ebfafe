// agent.id is generated once per install, kept in <dataDir>/meta.json (Beats' format), the same after a
// restart, and an unreadable file is set aside and replaced with a warning instead of stopping the agent.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { nullLogger, recordingLogger } from '../telemetry/logger.types.js';
import { AGENT_META_FILE, loadAgentIdentity } from './agent-identity.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = tempDir('cg-identity-');
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('agent identity', () => {
  it(
    'creates meta.json with a random UUID on first start and returns the same id afterwards',
    withDir(async (dir) => {
      const dataDir = path.join(dir, 'data'); // not there yet
      const first = await loadAgentIdentity(dataDir, nullLogger, () => new Date('2026-03-01T10:00:00Z'));
      assert.match(first.id, UUID);
      assert.equal(first.firstStart, '2026-03-01T10:00:00.000Z');
      const onDisk = JSON.parse(readFileSync(path.join(dataDir, AGENT_META_FILE), 'utf8'));
      assert.deepEqual(onDisk, { uuid: first.id, first_start: '2026-03-01T10:00:00.000Z' });
      const again = await loadAgentIdentity(dataDir, nullLogger);
      assert.deepEqual(again, first);
      const other = mkdtempSync(path.join(dir, 'other-'));
      assert.notEqual((await loadAgentIdentity(other, nullLogger)).id, first.id);
    }),
  );

  it(
    'keeps an unreadable file as meta.json.bad, warns, and starts with a new id',
    withDir(async (dir) => {
      writeFileSync(path.join(dir, AGENT_META_FILE), '{"uuid": "not-a-uuid"');
      const log = recordingLogger();
      const id = await loadAgentIdentity(dir, log);
      assert.match(id.id, UUID);
      assert.equal(readFileSync(path.join(dir, `${AGENT_META_FILE}.bad`), 'utf8'), '{"uuid": "not-a-uuid"');
      const warn = log.lines.find((l) => l.level === 'warn');
      assert.ok(warn, 'a warning');
      assert.equal(warn.meta.event, 'agent_id_replaced');
      assert.equal(warn.meta.path, path.join(dir, AGENT_META_FILE));
      assert.deepEqual((await loadAgentIdentity(dir, nullLogger)).id, id.id);
    }),
  );

  it(
    'refuses a well-formed file whose uuid is not a UUID',
    withDir(async (dir) => {
      writeFileSync(path.join(dir, AGENT_META_FILE), '{"uuid":"cas01","first_start":"x"}');
      const id = await loadAgentIdentity(dir, nullLogger);
      assert.notEqual(id.id, 'cas01');
      assert.ok(
        existsSync(path.join(dir, `${AGENT_META_FILE}.bad`)),
        'existsSync(path.join(dir, `${AGENT_META_FILE}.bad`))',
      );
    }),
  );
  it(
    'starts with a new id and a warning when meta.json cannot be written (full or failing disk)',
    withDir(async (dir) => {
      // A folder where the temporary file goes: opening it for writing fails (EISDIR) as a full disk's write would.
      mkdirSync(path.join(dir, `${AGENT_META_FILE}.tmp`));
      const log = recordingLogger();
      const id = await loadAgentIdentity(dir, log);
      assert.match(id.id, UUID);
      assert.equal(existsSync(path.join(dir, AGENT_META_FILE)), false);
      const warn = log.lines.find((l) => l.level === 'warn');
      assert.equal(warn?.meta.event, 'agent_id_not_saved');
      assert.match(String(warn?.meta.error), /EISDIR/);
    }),
  );
});
