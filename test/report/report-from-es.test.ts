// `casguard report --from-es` reads the same documents back from Elasticsearch and builds the same report as
// from the file output. The Elasticsearch test server of this repository has no `_search` yet, so this test
// answers the three requests the reader sends (open a point in time, search it with search_after, close it) with
// a minimal loopback responder. It models: the product header the client checks, PIT ids per index and 404
// `index_not_found_exception` for a missing index, a `range` filter on @timestamp, sorting by @timestamp then
// `_shard_doc` (index order), `search_after`, `size`, and `_source.includes` with `prefix.*` patterns (so a field
// the report reads but the reader does not fetch makes the two reports differ). It does not model scoring,
// other queries, aggregations, PIT expiry or sliced scrolls.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { JSON_COMPAT } from '../../src/outputs/elasticsearch/es-client.js';
import { readEsDocuments } from '../../src/outputs/elasticsearch/report-source.js';
import { targetName } from '../../src/outputs/elasticsearch/targets.js';
import { ReportBuilder } from '../../src/outputs/report/report-model.js';
import type { EcsDocument } from '../../src/pipeline/document.types.js';
import { runPipeline } from '../detect/pipeline-runner.js';
import { generateScenario } from '../detect/scenario.js';

type Doc = { id: string; source: EcsDocument };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies of known shape
type Json = any;

function pick(src: Record<string, unknown>, includes: string[], prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    const full = prefix === '' ? k : `${prefix}.${k}`;
    const whole = includes.some((p) => p === full || (p.endsWith('.*') && full.startsWith(p.slice(0, -1))));
    if (whole) out[k] = v;
    else if (
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      includes.some((p) => p.startsWith(`${full}.`))
    ) {
      const sub = pick(v as Record<string, unknown>, includes, full);
      if (Object.keys(sub).length > 0) out[k] = sub;
    }
  }
  return out;
}

async function miniEs(
  indices: Map<string, Doc[]>,
): Promise<{ url: string; server: Server; searches: number }> {
  const state = { searches: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? '/', 'http://x');
      const body = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, Json>)
        : {};
      const pitOpen = /^\/([^/]+)\/_pit$/.exec(url.pathname);
      if (req.method === 'POST' && pitOpen) {
        const index = decodeURIComponent(pitOpen[1]!);
        if (!indices.has(index))
          return send(404, {
            error: { type: 'index_not_found_exception', reason: `no such index [${index}]` },
            status: 404,
          });
        return send(200, { id: Buffer.from(index).toString('base64') });
      }
      if (req.method === 'DELETE' && url.pathname === '/_pit')
        return send(200, { succeeded: true, num_freed: 1 });
      if (req.method === 'POST' && url.pathname === '/_search') {
        state.searches++;
        const index = Buffer.from(body.pit.id as string, 'base64').toString('utf8');
        const range = body.query?.bool?.filter?.[0]?.range?.['@timestamp'] as
          { gte?: string; lt?: string } | undefined;
        const rows = (indices.get(index) ?? [])
          .map((d, shardDoc) => ({ d, ts: Date.parse(d.source['@timestamp']), shardDoc }))
          .filter(
            (r) =>
              (range?.gte === undefined || r.ts >= Date.parse(range.gte)) &&
              (range?.lt === undefined || r.ts < Date.parse(range.lt)),
          )
          .sort((a, b) => a.ts - b.ts || a.shardDoc - b.shardDoc);
        const after = body.search_after as [number, number] | undefined;
        const start = after
          ? rows.findIndex((r) => r.ts > after[0] || (r.ts === after[0] && r.shardDoc > after[1]))
          : 0;
        const page = start < 0 ? [] : rows.slice(start, start + (body.size as number));
        return send(200, {
          pit_id: body.pit.id,
          hits: {
            hits: page.map((r) => ({
              _index: index,
              _id: r.d.id,
              _source: pick(r.d.source as Record<string, unknown>, body._source.includes as string[]),
              sort: [r.ts, r.shardDoc],
            })),
          },
        });
      }
      send(400, {
        error: { type: 'illegal_argument_exception', reason: `unexpected ${req.method} ${req.url}` },
        status: 400,
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    get searches() {
      return state.searches;
    },
  };
}

describe('casguard report --from-es', () => {
  it('builds the same report from Elasticsearch as from the documents themselves, page by page', async () => {
    const scenario = generateScenario(300);
    const run = runPipeline(scenario.files, builtinRules(), { order: 'backfill' });
    const direct = new ReportBuilder();
    const indices = new Map<string, Doc[]>();
    const lastAlert = new Map<string, EcsDocument>();
    for (const d of run.shipped) {
      direct.add(d.stream, d.id, d.doc);
      if (d.stream === 'alerts') lastAlert.set(d.id, d.doc);
      else {
        const name = targetName(d.stream, 'default');
        if (!indices.has(name)) indices.set(name, []);
        indices.get(name)!.push({ id: d.id, source: d.doc });
      }
    }
    // The alerts index holds each alert's last version (later versions replace earlier ones by id).
    indices.set(
      targetName('alerts', 'default'),
      [...lastAlert].map(([id, source]) => ({ id, source })),
    );
    const es = await miniEs(indices);
    const client = new Client({
      node: es.url,
      maxRetries: 0,
      headers: { accept: JSON_COMPAT, 'content-type': JSON_COMPAT },
    });
    try {
      const fromEs = new ReportBuilder();
      let n = 0;
      for await (const d of readEsDocuments(client, 'default', {}, 500)) {
        fromEs.add(d.stream, d.id, d.doc);
        n++;
      }
      assert.equal(n, run.shipped.filter((d) => d.stream !== 'alerts').length + lastAlert.size);
      const meta = { source: 's', generatedAt: 'g' };
      const a = fromEs.build(meta);
      assert.ok(a.storms.length === 3 && a.alerts.length > 0, 'a.storms.length === 3 && a.alerts.length > 0');
      assert.deepEqual(a, direct.build(meta));
      assert.ok(
        es.searches >= Math.ceil(indices.get('logs-exchange.activesync-default')!.length / 500),
        'paged',
      );
    } finally {
      await client.close();
      es.server.close();
    }
  });

  it('treats a missing index as empty', async () => {
    const es = await miniEs(new Map());
    const client = new Client({
      node: es.url,
      maxRetries: 0,
      headers: { accept: JSON_COMPAT, 'content-type': JSON_COMPAT },
    });
    try {
      const docs = [];
      for await (const d of readEsDocuments(client, 'nowhere')) docs.push(d);
      assert.deepEqual(docs, []);
    } finally {
      await client.close();
      es.server.close();
    }
  });
});
