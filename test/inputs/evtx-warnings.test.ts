// EVTX structural problems that cost no record (here a chunk header checksum that does not match) are logged
// as named warnings by the agent, and every record is still read.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const fixture = path.join(repoRoot, 'test/fixtures/evtx/Application.evtx');

describe('EVTX warnings through the agent', () => {
  it('logs a damaged chunk checksum as a warning and still reads every record', async () => {
    const cwd = tempDir('cg-evtxwarn-');
    const clean = await runAgentCommand(['replay', fixture], {
      cwd: tempDir('cg-evtxwarn-'),
    });
    const records = Number(/(\d+) record\(s\)/.exec(clean.stdout)?.[1]);
    assert.ok(records > 0, clean.stdout + clean.stderr);
    assert.doesNotMatch(clean.stderr, /framer_warning/);

    const bytes = readFileSync(fixture);
    // The first chunk starts after the 4 KiB file header; its header checksum is the UInt32 at chunk offset 124.
    assert.equal(bytes.subarray(4096, 4104).toString('latin1'), 'ElfChnk\0');
    bytes.writeUInt32LE((bytes.readUInt32LE(4096 + 124) ^ 0xffffffff) >>> 0, 4096 + 124);
    const damaged = path.join(cwd, 'damaged.evtx');
    writeFileSync(damaged, bytes);
    const r = await runAgentCommand(['replay', damaged], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /File structure problem; reading goes on\..*event=framer_warning.*code=evtx\.chunk_header_crc/,
    );
    assert.equal(
      Number(/(\d+) record\(s\)/.exec(r.stdout)?.[1]),
      records,
      'no record lost to a checksum warning',
    );
  });
});
