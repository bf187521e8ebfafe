// What the main thread of a parallel replay reads of a worker's document is its projection (ShippableDocument.doc):
// detection evaluates it, and the outputs read `@timestamp` and `log.file.path` from it (the array status, per
// file). A document no rule condition holds for is projected to `@timestamp` and the minimal fields
// (worker-protocol.ts MINIMAL_FIELDS), sent once per turn and rebuilt on the main thread; the others cross as JSON.
// Both must hold exactly the document's values: real worker threads (WorkerTurnSource), every projection checked
// against the document bytes the same worker wrote.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { iisBackfillLog } from '../helpers/iis-backfill.js';
import { iisJob, oneWorkerSource } from '../helpers/replay-workers.js';
import { MINIMAL_FIELDS } from '../../src/cli/parallel-replay/worker-protocol.js';
import { getField } from '../../src/detect/condition.js';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import type { Rule } from '../../src/detect/rule.schema.js';
import type { EcsDocument, JsonValue } from '../../src/pipeline/document.types.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Every leaf of `p` as a dotted path and its value. */
function leaves(p: JsonValue, prefix: string[] = []): [string[], JsonValue][] {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return [[prefix, p]];
  return Object.entries(p).flatMap(([k, v]) => leaves(v, [...prefix, k]));
}

async function projections(file: string, rules: readonly Rule[]): Promise<[EcsDocument, EcsDocument][]> {
  const source = oneWorkerSource({ full: true, wire: false }, rules);
  const pairs: [EcsDocument, EcsDocument][] = [];
  try {
    source.start(1);
    const id = source.add(iisJob(file, 'fp'));
    for (;;) {
      const turn = await source.next(id);
      assert.equal(turn.error, undefined);
      for (const r of turn.records)
        for (const d of r.documents) {
          const full = d.serialized?.full;
          assert.ok(full, 'an event document with its bytes');
          pairs.push([d.doc, JSON.parse(full.bytes.toString('utf8', full.start, full.end)) as EcsDocument]);
        }
      if (turn.last) return pairs;
    }
  } finally {
    await source.close();
  }
}

describe('the projections of a parallel replay', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = tempDir('cg-worker-projections-');
    file = path.join(dir, 'u_ex261102.log');
    // About 3 turns of the tail reader, so that minimal entries are shared within a turn and made again in the next;
    // the server (s-computername, the documents' host.name) changes every 7 lines among 3, so that documents of a turn have different minimal
    // fields; every 50th request a failed Provision as in KB 2851708 (conditions of the built-in rules hold for those).
    const lines = iisBackfillLog(0, 8_000)
      .replace('#Fields: date time s-ip', '#Fields: date time s-computername s-ip')
      .split('\r\n');
    for (let l = 4; l < lines.length - 1; l++)
      lines[l] = lines[l]!.replace(' 10.0.0.', ` CAS0${Math.floor(l / 7) % 3} 10.0.0.`);
    for (let l = 4; l < lines.length; l += 50)
      lines[l] = lines[l]!.replace('Cmd=Sync', 'Cmd=Provision').replace(
        '_S1_ 443',
        '_S110_Error:System.ArgumentOutOfRangeException_ 443',
      );
    writeFileSync(file, lines.join('\r\n'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, rules] of [
    ['no rules (every document minimal)', (): Rule[] => []],
    ['the built-in rules (some documents matched)', builtinRules],
  ] as const)
    it(`hold the document's own values, with ${name}`, async () => {
      const pairs = await projections(file, rules());
      assert.equal(pairs.length, 8_000);
      let minimal = 0;
      for (const [projection, doc] of pairs) {
        assert.equal(projection['@timestamp'], doc['@timestamp']);
        for (const f of MINIMAL_FIELDS)
          assert.deepEqual(
            getField(projection, f),
            getField(doc, f),
            `${f.join('.')} as the document has it`,
          );
        const fields = leaves(projection as JsonValue);
        for (const [p, v] of fields)
          assert.deepEqual(v, getField(doc, p), `${p.join('.')} as the document has it`);
        if (fields.length === 1 + MINIMAL_FIELDS.filter((f) => getField(doc, f) !== undefined).length)
          minimal += 1;
      }
      assert.equal(getField(pairs[0]![0], ['log', 'file', 'path']), file);
      const servers = new Set(pairs.map(([p]) => getField(p, ['host', 'name'])));
      assert.equal(servers.size, 3, `servers: ${JSON.stringify([...servers])}`);
      if (rules().length === 0) assert.equal(minimal, pairs.length, 'every projection minimal');
      else
        assert.ok(
          minimal < pairs.length,
          `some projections hold more than the minimal fields (${minimal} minimal)`,
        );
    });
});
