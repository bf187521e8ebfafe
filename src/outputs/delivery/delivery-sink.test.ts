// The delivery sink with a scripted transport: batching limits, Retry-After, one probe during an outage,
// 409 semantics, settlement exactly once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeadLetter } from '../../pipeline/dead-letter.types.js';
import type { ShippableDocument } from '../../pipeline/document.types.js';
import type { DeadLetterSink } from '../../pipeline/stages.types.js';
import { nullLogger } from '../../telemetry/logger.types.js';
import type { BulkItemResult, BulkSendResult, BulkTransport } from './bulk-transport.types.js';
import { DeliverySink, SPILL_AFTER_FAILURES } from './delivery-sink.js';
import { Spool } from './spool.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

interface Call {
  at: number;
  ids: string[];
  ops: string[];
}

class ScriptedTransport implements BulkTransport {
  calls: Call[] = [];
  open = 0;
  maxOpen = 0;
  constructor(private readonly answer: (call: Call, n: number) => BulkSendResult | Promise<BulkSendResult>) {}
  async send(body: Buffer): Promise<BulkSendResult> {
    const lines = body.toString('utf8').trimEnd().split('\n');
    const actions = lines
      .filter((_, i) => i % 2 === 0)
      .map((l) => JSON.parse(l) as Record<string, { _id: string }>);
    const call: Call = {
      at: Date.now(),
      ids: actions.map((a) => Object.values(a)[0]!._id),
      ops: actions.map((a) => Object.keys(a)[0]!),
    };
    this.calls.push(call);
    this.open += 1;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    try {
      await new Promise((r) => setTimeout(r, 5));
      return await this.answer(call, this.calls.length);
    } finally {
      this.open -= 1;
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class MemoryDeadLetters implements DeadLetterSink {
  letters: DeadLetter[] = [];
  write(l: DeadLetter): void {
    this.letters.push(l);
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const ok = (call: Call): BulkSendResult => ({ kind: 'items', items: call.ids.map(() => ({ status: 201 })) });

function doc(i: number, op: 'create' | 'index' = 'create'): ShippableDocument {
  return {
    id: `d${i}`,
    stream: op === 'index' ? 'alerts' : 'activesync',
    op,
    doc: { '@timestamp': '2013-09-19T14:02:12.000Z', message: `m${i}` },
  };
}

function sink(
  transport: BulkTransport,
  dl = new MemoryDeadLetters(),
  over: Partial<ConstructorParameters<typeof DeliverySink>[0]> = {},
) {
  return new DeliverySink({
    transport,
    targetFor: (s) => `t-${s}`,
    deadLetters: dl,
    logger: nullLogger,
    maxBatchDocs: 10,
    maxBatchBytes: 1 << 20,
    flushIntervalMs: 10,
    maxInFlight: 3,
    maxBufferBytes: 1 << 20,
    retry: { initialDelayMs: 10, maxDelayMs: 20 },
    random: () => 1,
    ...over,
  });
}

describe('delivery sink', () => {
  it('cuts batches at maxBatchDocs and keeps at most maxInFlight requests open', async () => {
    const t = new ScriptedTransport((c) => ok(c));
    const s = sink(t);
    const settled: string[] = [];
    for (let i = 0; i < 95; i++) s.push(doc(i), () => settled.push(`d${i}`));
    await s.flush();
    assert.equal(settled.length, 95);
    assert.deepEqual(
      t.calls.map((c) => c.ids.length),
      [10, 10, 10, 10, 10, 10, 10, 10, 10, 5],
    );
    assert.equal(t.maxOpen, 3);
    await s.close();
  });

  it('waits at least Retry-After before re-sending a batch answered 503, and probes with one request', async () => {
    let fail = true;
    const t = new ScriptedTransport((c) =>
      fail ? { kind: 'failed', status: 503, reason: 'HTTP 503', retryAfterMs: 90 } : ok(c),
    );
    const s = sink(t);
    for (let i = 0; i < 30; i++) s.push(doc(i), () => undefined);
    await new Promise((r) => setTimeout(r, 40));
    const firstFailures = t.calls.length;
    fail = false;
    await s.flush();
    // the first wave (up to 3 in flight) failed; then a single probe after Retry-After
    assert.ok(firstFailures <= 3, `calls before the gate: ${firstFailures}`);
    const retry = t.calls[firstFailures]!;
    assert.ok(retry.at - t.calls[0]!.at >= 90, `re-sent after ${retry.at - t.calls[0]!.at} ms`);
    assert.equal(s.counts.delivered, 30);
    await s.close();
  });

  it('treats 409 on create as delivered and retries 409 on index; 429 items are retried, 400 dead-lettered', async () => {
    const seen = new Map<string, number>();
    const t = new ScriptedTransport((c) => ({
      kind: 'items',
      items: c.ids.map((id, i) => {
        const n = (seen.get(id) ?? 0) + 1;
        seen.set(id, n);
        if (id === 'd1') return { status: 409 }; // create: already there
        if (id === 'd2' && n === 1) return { status: 409 }; // index: conflict, retried
        if (id === 'd3' && n < 3) return { status: 429 };
        if (id === 'd4') return { status: 400, errorType: 'document_parsing_exception', reason: 'bad' };
        return { status: c.ops[i] === 'index' ? 200 : 201 };
      }),
    }));
    const dl = new MemoryDeadLetters();
    const s = sink(t, dl);
    const settled = new Map<string, number>();
    for (const d of [doc(0), doc(1), doc(2, 'index'), doc(3), doc(4)]) {
      s.push(d, () => settled.set(d.id, (settled.get(d.id) ?? 0) + 1));
    }
    await s.flush();
    assert.deepEqual([...settled.values()], [1, 1, 1, 1, 1]);
    assert.equal(seen.get('d1'), 1);
    assert.equal(seen.get('d2'), 2);
    assert.equal(seen.get('d3'), 3);
    assert.equal(seen.get('d4'), 1);
    assert.deepEqual(
      dl.letters.map((l) => [l.document?.id, l.code, l.status, l.target, l.document?.stream]),
      [['d4', 'es.document_parsing_exception', 400, 't-activesync', 'activesync']],
    );
    assert.equal(s.counts.duplicates, 1);
    await s.close();
  });

  it('answers push() with false at the memory budget and resolves drain() once below three quarters of it', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const t = new ScriptedTransport(async (c) => {
      await gate;
      return ok(c);
    });
    const s = sink(t, new MemoryDeadLetters(), { maxBufferBytes: 4000 });
    let pushed = 0;
    while (s.push(doc(pushed), () => undefined)) pushed += 1;
    assert.ok(s.state.memBytes >= 4000 && pushed < 100, 's.state.memBytes >= 4000 && pushed < 100');
    let drained = false;
    const d = s.drain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(drained, false);
    release();
    await d;
    assert.ok(s.state.memBytes < 3000, 's.state.memBytes < 3000');
    await s.close();
  });
  it('writes exact UTF-8 bulk lines: batches within maxBatchBytes, retried and split batches byte for byte', async () => {
    // Multi-byte text of varying length (2-, 3- and 4-byte UTF-8), so documents cross buffer growth points.
    const texts = ['ü', '€', '😀', 'a'];
    const docs: ShippableDocument[] = [];
    for (let i = 0; i < 120; i++) {
      const t = texts[i % 4]!.repeat(1 + ((i * 37) % 300));
      docs.push({
        id: `u${i}`,
        stream: 'activesync',
        op: 'create',
        doc: { '@timestamp': '2013-09-19T14:02:12.000Z', message: t, n: i },
      });
    }
    const bodies: Buffer[] = [];
    const seen = new Map<string, number>();
    let requests = 0;
    const transport: BulkTransport = {
      send(body: Buffer, n: number): Promise<BulkSendResult> {
        requests += 1;
        bodies.push(Buffer.from(body));
        const lines = body.toString('utf8').split('\n');
        assert.equal(lines.pop(), '');
        assert.equal(lines.length, 2 * n);
        // The first request is too large for the "cluster": the sink must split it.
        if (requests === 1) return Promise.resolve({ kind: 'failed', status: 413, reason: 'HTTP 413' });
        const items: BulkItemResult[] = [];
        for (let i = 0; i < lines.length; i += 2) {
          const id = (JSON.parse(lines[i]!) as { create: { _id: string } }).create._id;
          const src = JSON.parse(lines[i + 1]!) as { n: number };
          assert.deepEqual(src, docs[src.n]!.doc);
          assert.equal(id, docs[src.n]!.id);
          const k = (seen.get(id) ?? 0) + 1;
          seen.set(id, k);
          items.push({ status: src.n % 3 === 0 && k === 1 ? 429 : 201 });
        }
        return Promise.resolve({ kind: 'items', items });
      },
      close: () => Promise.resolve(),
    };
    const s = sink(transport, new MemoryDeadLetters(), { maxBatchDocs: 1000, maxBatchBytes: 3000 });
    const settled = new Map<string, number>();
    for (const d of docs) s.push(d, () => settled.set(d.id, (settled.get(d.id) ?? 0) + 1));
    await s.flush();
    assert.equal(settled.size, 120);
    assert.ok(
      [...settled.values()].every((v) => v === 1),
      '[...settled.values()].every((v) => v === 1)',
    );
    assert.equal(s.counts.delivered, 120);
    assert.equal(s.state.memBytes, 0);
    for (const b of bodies) {
      const docsIn = b.toString('utf8').split('\n').length / 2;
      assert.ok(b.length <= 3000 || docsIn <= 1, `body of ${b.length} bytes with ${docsIn} documents`);
    }
    // Every document divisible by 3 was answered 429 once and re-sent once; the others were delivered once.
    docs.forEach((d, n) => assert.equal(seen.get(d.id), n % 3 === 0 ? 2 : 1, d.id));
    await s.close();
  });
});

describe('delivery sink: when memory goes to the disk spool', () => {
  /** 60 documents (well past half of a 4,000-byte budget) while the first `failFirst` requests answer 503. */
  async function run(failFirst: number): Promise<{ s: DeliverySink; settled: Map<string, number> }> {
    const dir = tempDir('cg-spill-');
    const spool = new Spool({ dir, maxBytes: 10_000_000, whenFull: 'pause' });
    const t = new ScriptedTransport((c, n) =>
      n <= failFirst
        ? { kind: 'failed', status: 503, reason: 'HTTP 503 unavailable_shards_exception' }
        : ok(c),
    );
    const s = sink(t, new MemoryDeadLetters(), { spool, maxBufferBytes: 4000, maxInFlight: 1 });
    const settled = new Map<string, number>();
    for (let i = 0; i < 60; i++) s.push(doc(i), () => settled.set(`d${i}`, (settled.get(`d${i}`) ?? 0) + 1));
    // idle(), not flush(): a flush during an outage spools by design (a stop must not wait for the cluster).
    await s.idle();
    return { s, settled };
  }

  it('keeps a blip (one or two failed requests among good ones) in memory', async () => {
    for (const failFirst of [1, SPILL_AFTER_FAILURES - 1]) {
      const { s, settled } = await run(failFirst);
      assert.equal(s.counts.spooled, 0, `${failFirst} failure(s)`);
      assert.equal(s.counts.delivered, 60);
      assert.equal(settled.size, 60);
      assert.ok(
        [...settled.values()].every((v) => v === 1),
        '[...settled.values()].every((v) => v === 1)',
      );
      await s.close();
    }
  });

  it('spools once SPILL_AFTER_FAILURES requests in a row failed, then delivers everything from disk', async () => {
    const { s, settled } = await run(SPILL_AFTER_FAILURES);
    assert.ok(s.counts.spooled > 0, 's.counts.spooled > 0');
    assert.ok(s.counts.fromSpoolDelivered > 0, 's.counts.fromSpoolDelivered > 0');
    assert.equal(s.counts.delivered, 60);
    assert.equal(s.state.spoolBytes, 0);
    assert.equal(settled.size, 60);
    assert.ok(
      [...settled.values()].every((v) => v === 1),
      '[...settled.values()].every((v) => v === 1)',
    );
    await s.close();
  });
});

describe('delivery sink: encoding ahead of sending', () => {
  it("hands the transport's early encoding of a waiting batch back to send(), for exactly that body", async () => {
    const encode = (b: Buffer): Promise<Buffer> => Promise.resolve(Buffer.from(b.toString('base64')));
    let early = 0;
    let sends = 0;
    const transport: BulkTransport = {
      encode,
      async send(body, n, encoded) {
        sends += 1;
        if (encoded) {
          early += 1;
          assert.deepEqual(await encoded, await encode(body));
        }
        await new Promise((r) => setTimeout(r, 5));
        return { kind: 'items', items: Array.from({ length: n }, () => ({ status: 201 })) };
      },
      close: () => Promise.resolve(),
    };
    const s = sink(transport, new MemoryDeadLetters(), { maxInFlight: 1 });
    let settled = 0;
    for (let i = 0; i < 40; i++) s.push(doc(i), () => (settled += 1));
    await s.flush();
    assert.equal(settled, 40);
    assert.equal(sends, 4);
    // The first batch goes out at once; the three sealed while it was in flight were encoded early.
    assert.equal(early, 3);
    await s.close();
  });
});
