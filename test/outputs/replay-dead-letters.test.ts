// Dead-lettered documents are re-sent after the cause is fixed; a replay never loops on its own letters, nor
// doubles the ones refused again.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { replayDeadLetters } from '../../src/outputs/dead-letter/replay-dead-letters.js';
import { targetName } from '../../src/outputs/elasticsearch/targets.js';
import { makeDoc, openSink, pushAll, range, readLetters } from './helpers.js';

describe('replaying dead letters', () => {
  it('re-sends rejected documents once the cause is gone', async () => {
    const es = await startEsTestServer({ faults: { item400Rate: 0.2 } });
    const first = openSink(es.url);
    try {
      await pushAll(first.sink, range(0, 500), new Map());
      await first.sink.flush();
      await first.sink.idle();
      const letters = await readLetters(first.deadLetterDir);
      assert.ok(letters.length > 50, 'letters.length > 50');
      assert.equal(es.totalDocs() + letters.length, 500);

      // still failing: the refused documents are dead-lettered again, once, into a new file; the file read
      // is removed, so the dead letters do not grow with every re-send
      const again = await replayDeadLetters(first.deadLetterDir, first.sink, { keep: first.deadLetters });
      assert.equal(again.resent, letters.length);
      await first.sink.idle();
      const left = await readLetters(first.deadLetterDir);
      assert.equal(left.length, letters.length, 'refused again once, not doubled');
      assert.equal(es.totalDocs() + left.length, 500);

      es.setFaults({});
      const second = openSink(es.url);
      const r = await replayDeadLetters(first.deadLetterDir, second.sink, { keep: second.deadLetters });
      await second.sink.idle();
      await second.sink.close();
      assert.equal(r.resent, left.length);
      assert.equal(es.totalDocs(), 500);
      assert.deepEqual(await readLetters(first.deadLetterDir), []);
      assert.equal(es.docs(targetName('activesync', 'default')).has(makeDoc(0).id), true);
    } finally {
      await first.sink.close();
      await es.stop();
    }
  });

  it('writes into the configured namespace', async () => {
    const es = await startEsTestServer();
    const { sink } = openSink(es.url, { namespace: 'prod' });
    try {
      const d = makeDoc(0);
      d.doc.data_stream = { type: 'logs', dataset: 'exchange.activesync', namespace: 'default' };
      sink.push(d, () => undefined);
      await sink.flush();
      const stored = es.docs('logs-exchange.activesync-prod').get('d0') as {
        data_stream: { namespace: string };
      };
      assert.equal(stored.data_stream.namespace, 'prod');
    } finally {
      await sink.close();
      await es.stop();
    }
  });
});
