import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ShippableDocument } from '../../pipeline/document.types.js';
import { FileOutput } from './file-output.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

const doc = (id: string, stream: ShippableDocument['stream']): ShippableDocument => ({
  id,
  stream,
  op: stream === 'alerts' ? 'index' : 'create',
  doc: { '@timestamp': '2013-09-19T14:22:11.000Z', message: id },
});

describe('FileOutput', () => {
  it('writes one NDJSON file per stream and settles only after the write', async () => {
    const dir = tempDir('cg-fileout-');
    const alerts: string[] = [];
    const out = new FileOutput(
      { path: dir, maxFileBytes: 1 << 20 },
      { onAlert: (d) => alerts.push(d.id), flushIntervalMs: 5 },
    );
    let settled = 0;
    out.push(doc('a', 'activesync'), () => settled++);
    out.push(doc('b', 'application'), () => settled++);
    out.push(doc('c', 'alerts'), () => settled++);
    assert.equal(settled, 0, 'nothing is settled before it is on disk');
    await out.flush();
    assert.equal(settled, 3);
    await out.close();
    const lines = readFileSync(path.join(dir, 'activesync.ndjson'), 'utf8').trim().split('\n');
    assert.deepEqual(JSON.parse(lines[0]!), {
      _id: 'a',
      _index: 'logs-exchange.activesync-default',
      _source: { '@timestamp': '2013-09-19T14:22:11.000Z', message: 'a' },
    });
    assert.equal(
      JSON.parse(readFileSync(path.join(dir, 'alerts.ndjson'), 'utf8'))._index,
      'casguard-alerts-default',
    );
    assert.deepEqual(alerts, ['c']);
  });

  it("names the configured namespace in _index and in the document's data_stream", async () => {
    const dir = tempDir('cg-fileout-');
    const out = new FileOutput(
      { path: dir, maxFileBytes: 1 << 20 },
      { namespace: 'prod', flushIntervalMs: 5 },
    );
    const source = {
      '@timestamp': '2013-09-19T14:22:11.000Z',
      data_stream: { type: 'logs', dataset: 'exchange.activesync', namespace: 'default' },
    };
    out.push({ id: 'a', stream: 'activesync', op: 'create', doc: source }, () => undefined);
    await out.close();
    const hit = JSON.parse(readFileSync(path.join(dir, 'activesync.ndjson'), 'utf8')) as {
      _index: string;
      _source: { data_stream: { namespace: string } };
    };
    assert.equal(hit._index, 'logs-exchange.activesync-prod');
    assert.equal(hit._source.data_stream.namespace, 'prod');
    assert.equal(source.data_stream.namespace, 'default', 'the document itself is not changed');
  });

  it('writes out as soon as its high-water mark is reached, so memory stays bounded', async () => {
    const dir = tempDir('cg-fileout-');
    const out = new FileOutput(
      { path: dir, maxFileBytes: 1 << 20 },
      { highWaterBytes: 200, flushIntervalMs: 10_000 },
    );
    let settled = 0;
    for (let n = 0; n < 20; n++)
      assert.ok(
        out.push(doc(`d${n}`, 'activesync'), () => settled++),
        "out.push(doc(`d${n}`, 'activesync'), () => settled++)",
      );
    assert.ok(settled >= 15, `documents were written before any timer or flush (settled ${settled})`);
    await out.drain();
    await out.close();
    assert.equal(settled, 20);
    assert.equal(readFileSync(path.join(dir, 'activesync.ndjson'), 'utf8').trim().split('\n').length, 20);
  });
});
