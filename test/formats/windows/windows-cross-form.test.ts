// One event, one document: the real ts-evtx fixtures exist both as binary .evtx and as Event Viewer's own XML
// export of the same log. Run each through its format (evtx / eventviewer-xml) and FileProcessor, and every
// one of the 3,328 events must give the same fields (winlog.*, event.*, host.*, log.level, @timestamp),
// except what only the XML export can know (the rendered task name and message, and event.original).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { ALL_FORMATS } from '../../../src/normalize/formats/index.js';
import type { EcsDocument } from '../../../src/pipeline/document.types.js';
import { at, contextFor, frame, processRecords } from './windows-harness.js';

const FIXTURES = path.join(import.meta.dirname, '../../../../shared/corpus/evtx/ts-evtx-fixtures');

function comparable(doc: EcsDocument): unknown {
  const winlog = { ...(doc['winlog'] as Record<string, unknown>) };
  delete winlog['task']; // rendered name: only in the XML export's RenderingInfo
  delete winlog['time_created']; // same instant, precision differs by reader
  return {
    '@timestamp': doc['@timestamp'],
    code: at(doc, 'event.code'),
    provider: at(doc, 'event.provider'),
    outcome: at(doc, 'event.outcome'),
    level: at(doc, 'log.level'),
    host: doc['host'],
    microsoft: doc['microsoft'],
    winlog,
  };
}

it('the binary .evtx and the Event Viewer XML export of the same logs give the same documents', (t) => {
  if (!existsSync(FIXTURES)) {
    t.skip('../shared/corpus/evtx/ts-evtx-fixtures absent');
    return;
  }
  const evtx = ALL_FORMATS.find((f) => f.name === 'evtx');
  const xml = ALL_FORMATS.find((f) => f.name === 'eventviewer-xml');
  assert.ok(evtx && xml, 'evtx && xml');
  let compared = 0;
  for (const log of ['Application', 'System', 'Security']) {
    const fromXml = new Map<string, EcsDocument>();
    const xmlRun = processRecords(
      xml,
      contextFor(`${log}.xml`, 'UTC'),
      frame(readFileSync(path.join(FIXTURES, `${log}.xml`)), xml, 65536),
    );
    assert.deepEqual(xmlRun.deadLetters, [], `${log}.xml has no dead letters`);
    for (const d of xmlRun.documents) fromXml.set(String(at(d.doc, 'winlog.record_id')), d.doc);

    const bytes = readFileSync(path.join(FIXTURES, `${log}.evtx`));
    const evtxRun = processRecords(evtx, contextFor(`${log}.evtx`, 'UTC'), frame(bytes, evtx, 65536));
    assert.deepEqual(evtxRun.deadLetters, [], `${log}.evtx has no dead letters`);
    assert.equal(evtxRun.documents.length, fromXml.size, `${log}: same number of events`);
    for (const d of evtxRun.documents) {
      const id = String(at(d.doc, 'winlog.record_id'));
      const other = fromXml.get(id);
      assert.ok(other, `${log} record ${id} is in the XML export`);
      assert.deepEqual(comparable(d.doc), comparable(other), `${log} record ${id}`);
      compared++;
    }
  }
  assert.equal(compared, 3328);
});
