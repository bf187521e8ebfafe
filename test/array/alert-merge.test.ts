// The array merge below the agents: the engine's pending contributions (share fraction), and alert-merge.ts
// against the test server's optimistic concurrency: concurrent agents lose no share, a re-send changes nothing, a
// threshold reached only in sum raises the alert and one below it does not.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { builtinRules } from '../../src/detect/builtin-rules.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import type { ShippableDocument } from '../../src/pipeline/document.types.js';
import { mergeShare, type MergeTarget } from '../../src/outputs/array/alert-merge.js';
import { shareOf, type ShareUpdate } from '../../src/outputs/array/alert-share.js';
import { EsDocStore } from '../../src/outputs/array/doc-store.js';
import { ElasticsearchOutputConfig } from '../../src/outputs/elasticsearch/elasticsearch.config.js';
import { createEsClient } from '../../src/outputs/elasticsearch/es-client.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { startEsTestServer, type EsTestServer } from '../es-server/es-test-server.js';
import { provisionFailure, T0 } from '../detect/docs.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
const STORM = 'kb2851708-provision-storm';

/** The storm rule's versions for `n` failures of one device, one every 10 s, as one agent emits them. */
function agentVersions(agent: string, n: number, offsetMs = 0): ShippableDocument[] {
  const engine = new DetectionEngine(builtinRules(), { shareFraction: 0.2 });
  const out: ShippableDocument[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      ...engine.evaluate(
        provisionFailure(T0 + offsetMs + i * 10_000, 'ApplSUMONLY00001', agent),
        `${agent}-${i}`,
      ),
    );
  out.push(...engine.flush());
  const storm = out.filter((d) => (d.doc as Loose)['rule'].id === STORM);
  for (const d of storm) (d.doc as Loose)['agent'] = { id: `id-${agent}`, name: agent };
  return storm;
}

/** A store on the agent's own client (8.x dialect headers, as the agent builds it). */
function storeFor(url: string): EsDocStore {
  const { client, scrub } = createEsClient(ElasticsearchOutputConfig.parse({ hosts: [url] }), nullLogger);
  return new EsDocStore(client, scrub);
}

const updateOf = (d: ShippableDocument): ShareUpdate => ({
  mergedId: d.id,
  share: shareOf(d, d.share!),
  base: d.doc,
});

describe('engine contributions in array mode', () => {
  it('publishes a pending share from 20 of 100 and raises it at 100 on one agent', () => {
    const v = agentVersions('cas01', 120);
    assert.ok(v.length >= 2, 'v.length >= 2');
    assert.equal(v[0]!.share!.raised, false);
    assert.equal((v[0]!.doc as Loose)['casguard'].alert.count, 20);
    const raised = v.find((d) => d.share!.raised)!;
    assert.equal((raised.doc as Loose)['casguard'].alert.count, 100);
    assert.equal(v.at(-1)!.share!.raised, true);
    assert.equal((v.at(-1)!.doc as Loose)['casguard'].alert.count, 120);
  });

  it('publishes nothing below the fraction and nothing at all without array mode', () => {
    assert.equal(agentVersions('cas01', 19).length, 0);
    const engine = new DetectionEngine(builtinRules());
    const out: ShippableDocument[] = [];
    for (let i = 0; i < 60; i++) out.push(...engine.evaluate(provisionFailure(T0 + i * 10_000), `d-${i}`));
    out.push(...engine.flush());
    assert.equal(out.filter((d) => (d.doc as Loose)['rule'].id === STORM).length, 0);
    assert.ok(
      out.every((d) => d.share === undefined),
      'out.every((d) => d.share === undefined)',
    );
  });
});

describe('alert merge in Elasticsearch', () => {
  let es: EsTestServer;
  let store: EsDocStore;
  const target = (array: string): MergeTarget => ({
    sharesIndex: 'casguard-alert-shares-default',
    alertsIndex: 'casguard-alerts-default',
    array,
    render: () => undefined,
    now: () => T0,
  });
  before(async () => {
    es = await startEsTestServer();
    store = storeFor(es.url);
  });
  after(async () => {
    await store.close();
    await es.stop();
  });

  it('raises a storm seen 40 times on each of 4 agents only once 3 shares are in, with the sum', async () => {
    const agents = ['cas01', 'cas02', 'cas03', 'cas04'].map((h, i) => agentVersions(h, 40, i * 1000).at(-1)!);
    const t = target('sum');
    const id = agents[0]!.id;
    assert.equal((await mergeShare(store, t, updateOf(agents[0]!))).raised, false);
    assert.equal((await mergeShare(store, t, updateOf(agents[1]!))).raised, false);
    assert.equal(es.docs('casguard-alerts-default').get(id), undefined, '80 in the window: no alert');
    assert.equal((await mergeShare(store, t, updateOf(agents[2]!))).raised, true);
    await mergeShare(store, t, updateOf(agents[3]!));
    const a = (es.docs('casguard-alerts-default').get(id) as Loose)['casguard'].alert;
    assert.equal(a.count, 160);
    assert.equal(a.agents, 4);
    assert.deepEqual(a.hosts, ['cas01', 'cas02', 'cas03', 'cas04']);
    assert.deepEqual(
      a.by_host.map((b: Loose) => [b.agent_name, b.count]),
      [
        ['cas01', 40],
        ['cas02', 40],
        ['cas03', 40],
        ['cas04', 40],
      ],
    );
  });

  it('loses no share when agents merge at the same time, and a re-send changes nothing', async () => {
    await es.stop();
    es = await startEsTestServer();
    await store.close();
    store = storeFor(es.url);
    const hosts = Array.from({ length: 8 }, (_, i) => `cas${String(i + 1).padStart(2, '0')}`);
    const versions = hosts.map((h, i) => agentVersions(h, 30 + i, i * 500));
    const t = target('concurrent');
    // every agent sends every version it emitted, all agents at once
    const results = await Promise.all(
      versions.map(async (vs) => {
        let conflicts = 0;
        for (const v of vs) conflicts += (await mergeShare(store, t, updateOf(v))).conflicts;
        return conflicts;
      }),
    );
    const id = versions[0]![0]!.id;
    const shares = es.docs('casguard-alert-shares-default').get(id) as Loose;
    assert.equal(shares['shares'].length, 8);
    const want = hosts.reduce((n, _h, i) => n + 30 + i, 0);
    const alert = (es.docs('casguard-alerts-default').get(id) as Loose)['casguard'].alert;
    assert.equal(alert.count, want);
    assert.ok(
      results.reduce((n, c) => n + c, 0) > 0,
      'the agents met version conflicts (the test ran concurrently)',
    );
    const before = es.documents('casguard-alert-shares-default')[0]!.seqNo;
    await mergeShare(store, t, updateOf(versions[3]!.at(-1)!));
    assert.equal(es.documents('casguard-alert-shares-default')[0]!.seqNo, before, 're-send: no write');
    assert.equal((es.docs('casguard-alerts-default').get(id) as Loose)['casguard'].alert.count, want);
  });
});
