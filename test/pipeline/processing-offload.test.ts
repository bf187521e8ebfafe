// ProcessingOffload against a real worker thread: outcomes equal the in-thread pipeline's (documents, alerts,
// parser state changes), a handler restored mid-file parses like the one that read the header, and when the
// worker dies mid-run the batches it had not answered are processed on the main thread, in order, from the
// last parser state it reported: nothing lost, nothing twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProcessingOffload } from '../../src/cli/offload.js';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import { defaultEnrichers } from '../../src/enrich/index.js';
import { createFramer } from '../../src/framing/index.js';
import { createFileHandlerFactory } from '../../src/normalize/formats/handler-factory.js';
import { ALL_FORMATS } from '../../src/normalize/formats/index.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import { EncodedDocument } from '../../src/pipeline/encoded-document.js';
import { StateWatch } from '../../src/pipeline/parser-state.js';
import type { RecordSource, SourceRecord } from '../../src/pipeline/record.types.js';
import type { FileHandler, FileHandlerFactory, RecordOutcome } from '../../src/pipeline/stages.types.js';
import { recordingLogger, type Logger } from '../../src/telemetry/logger.types.js';
import { generateScenario } from '../detect/scenario.js';

const source: RecordSource = { inputId: 'cas', path: 'u_ex130919_cas01.log', fingerprint: 'fp1' };
const file = generateScenario(100).files.find((f) => f.name === source.path)!;

function records(): SourceRecord[] {
  const framer = createFramer('lines', { startOffset: 0, encoding: 'utf8', maxRecordBytes: 1 << 20 });
  return [...framer.push(Buffer.from(file.text)), ...framer.end()].map((r) => ({ source, ...r }));
}

function factory(engine: DetectionEngine): FileHandlerFactory {
  return createFileHandlerFactory({
    formats: ALL_FORMATS,
    format: 'auto',
    timezone: 'UTC',
    observerHostname: 'cas01',
    deps: { enrichers: defaultEnrichers, detector: engine },
  });
}

/** A document as the outputs see it while it is pushed. */
const view = (d: ShippableDocument): string =>
  `${d.id} ${d.stream} ${d.op} ${d instanceof EncodedDocument ? d.json : JSON.stringify(d.doc)}`;

interface Seen {
  docs: string[];
  states: (string | undefined)[];
  encoded: number;
  plain: number;
}

/** The in-thread reference: process() per record, state changes as the input records them. */
function reference(recs: SourceRecord[], from = 0, state?: unknown): Seen {
  const h = factory(new DetectionEngine(builtinRules()))(source, file.text.slice(0, 4096))!;
  if (state !== undefined) h.restore(state);
  const watch = new StateWatch(h.snapshot());
  const seen: Seen = { docs: [], states: [], encoded: 0, plain: 0 };
  for (const r of recs.slice(from)) {
    for (const d of h.process(r).documents) seen.docs.push(view(d));
    seen.states.push(watch.changed(h.snapshot())?.json);
  }
  return seen;
}

function collect(seen: Seen, outcomes: RecordOutcome[]): void {
  // Read in the promise's first continuation, as the input does (the buffer is handed back after that).
  for (const o of outcomes) {
    for (const d of o.documents) {
      seen.docs.push(view(d));
      if (d instanceof EncodedDocument) seen.encoded++;
      else if (d.stream !== 'alerts') seen.plain++;
    }
    seen.states.push(o.state?.json);
  }
}

function offload(engine: DetectionEngine, logger: Logger = recordingLogger()): ProcessingOffload {
  return new ProcessingOffload({
    namespace: 'default',
    observerHostname: 'cas01',
    detector: engine,
    rules: builtinRules(),
    logger,
  });
}

function batches(recs: SourceRecord[], size: number): SourceRecord[][] {
  const out: SourceRecord[][] = [];
  for (let i = 0; i < recs.length; i += size) out.push(recs.slice(i, i + size));
  return out;
}

describe('ProcessingOffload', { timeout: 60_000 }, () => {
  const recs = records();
  const want = reference(recs);

  it('gives the in-thread outcomes: documents, alerts from the projections, parser state', async () => {
    assert.ok(
      want.docs.some((d) => d.includes(' alerts index ')),
      'the scenario raises alerts',
    );
    const engine = new DetectionEngine(builtinRules());
    const o = offload(engine);
    try {
      const h = o.wrap(factory(engine), { timezone: 'UTC', easLogTokens: false })(
        source,
        file.text.slice(0, 4096),
      )!;
      const seen: Seen = { docs: [], states: [], encoded: 0, plain: 0 };
      await Promise.all(batches(recs, 500).map((b) => h.processBatch!(b).then((out) => collect(seen, out))));
      assert.equal(seen.plain, 0, 'every event document came serialised from the worker');
      assert.deepEqual(seen.states, want.states);
      assert.deepEqual(seen.docs, want.docs);
    } finally {
      await o.close();
    }
  });

  it('a handler restored from a checkpoint state mid-file parses like the one that read the header', async () => {
    const from = Math.floor(recs.length / 2);
    const first = factory(new DetectionEngine([]))(source, file.text.slice(0, 4096))!;
    for (const r of recs.slice(0, from)) first.process(r);
    const state: unknown = JSON.parse(JSON.stringify(first.snapshot()));
    assert.ok(state !== undefined, 'the IIS parser keeps the #Fields in force');
    const expected = reference(recs, from, state);
    const engine = new DetectionEngine(builtinRules());
    const o = offload(engine);
    try {
      const h: FileHandler = o.wrap(factory(engine), { timezone: 'UTC', easLogTokens: false })(
        source,
        file.text.slice(0, 4096),
      )!;
      h.restore(state);
      const seen: Seen = { docs: [], states: [], encoded: 0, plain: 0 };
      await Promise.all(
        batches(recs.slice(from), 300).map((b) => h.processBatch!(b).then((out) => collect(seen, out))),
      );
      assert.deepEqual(seen.docs, expected.docs);
    } finally {
      await o.close();
    }
  });

  it('when the worker dies, its unanswered batches are processed here, in order, exactly once', async () => {
    const engine = new DetectionEngine(builtinRules());
    const logger = recordingLogger();
    const o = offload(engine, logger);
    try {
      const h = o.wrap(factory(engine), { timezone: 'UTC', easLogTokens: false })(
        source,
        file.text.slice(0, 4096),
      )!;
      const seen: Seen = { docs: [], states: [], encoded: 0, plain: 0 };
      let crashed: Promise<void> | undefined;
      await Promise.all(
        batches(recs, 100).map((b, i) =>
          h.processBatch!(b).then((out) => {
            collect(seen, out);
            if (i === 1) crashed = o.crashForTest();
          }),
        ),
      );
      await crashed;
      assert.ok(seen.encoded > 0, 'the worker answered the first batches');
      assert.ok(seen.plain > 0, 'the main thread processed the rest');
      assert.equal(o.threadId, -1);
      assert.deepEqual(seen.states, want.states);
      assert.deepEqual(seen.docs, want.docs);
      assert.ok(
        logger.lines.some((l) => l.level === 'error' && l.message.includes('processing worker stopped')),
        'the death is logged',
      );
      // Later batches go straight to the main thread.
      const again = await h.processBatch!(recs.slice(0, 5));
      assert.equal(again.length, 5);
    } finally {
      await o.close();
    }
  });
});
