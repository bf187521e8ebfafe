// Reads casguard's documents back from Elasticsearch for `casguard report --from-es`: the two data streams and
// the alerts index of one namespace, in event-time order, paged with a point in time and `search_after` (sorting
// on `_id` is refused by Elasticsearch 8+; `_shard_doc` is the tiebreaker a PIT provides). The same documents the
// file output holds, so the report is built by the same code from either source. Only the
// fields the report reads are fetched (`_source` filtering). A missing index is an empty stream (a host that
// never had a 4999 has no application data stream); any other error ends the report with the reason.

import type { Client } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import type { EcsDocument } from '../../pipeline/document.types.js';
import type { ReportStream } from '../report/report-model.js';
import { targetName } from './targets.js';

/** The fields the report model reads (report-model.ts), per stream. */
const FIELDS: Record<ReportStream, string[]> = {
  activesync: [
    '@timestamp',
    'host.name',
    'device.id',
    'device.model.*',
    'user.name',
    'user_agent.original',
    'user_agent.os.*',
    'event.action',
    'error.type',
    'error.stack_trace',
    'microsoft.exchange.activesync.command',
    'microsoft.exchange.activesync.status',
    'microsoft.exchange.activesync.error',
    'microsoft.exchange.activesync.log_source',
    'microsoft.exchange.activesync.device_os',
    'microsoft.exchange.activesync.device_os_build',
    'microsoft.exchange.server.*',
  ],
  application: ['@timestamp', 'host.name', 'event.code', 'event.provider', 'microsoft.exchange.server.*'],
  alerts: [
    '@timestamp',
    'event.severity',
    'rule.*',
    'casguard.alert.*',
    'message',
    'microsoft.exchange.server.*',
  ],
};

const PAGE = 5000;

export interface EsReadDocument {
  readonly stream: ReportStream;
  readonly id: string;
  readonly doc: EcsDocument;
}

interface Hit {
  _id: string;
  _source?: EcsDocument;
  sort?: (string | number)[];
}

export async function* readEsDocuments(
  client: Client,
  namespace: string,
  window: { from?: number; to?: number } = {},
  pageSize = PAGE,
): AsyncGenerator<EsReadDocument> {
  for (const stream of ['activesync', 'application', 'alerts'] as const) {
    const range: Record<string, string> = {};
    if (window.from !== undefined) range.gte = new Date(window.from).toISOString();
    if (window.to !== undefined) range.lt = new Date(window.to).toISOString();
    // Alerts are filtered by the report itself (an alert spans first/last seen); events by @timestamp here.
    const query =
      stream !== 'alerts' && Object.keys(range).length > 0
        ? { bool: { filter: [{ range: { '@timestamp': range } }] } }
        : { match_all: {} };
    let pit: string;
    try {
      pit = (await client.openPointInTime({ index: targetName(stream, namespace), keep_alive: '2m' })).id;
    } catch (e) {
      if (e instanceof errors.ResponseError && e.statusCode === 404) continue;
      throw e;
    }
    try {
      let after: (string | number)[] | undefined;
      for (;;) {
        const res = await client.search<EcsDocument>({
          pit: { id: pit, keep_alive: '2m' },
          size: pageSize,
          query,
          sort: [{ '@timestamp': { order: 'asc' } }, { _shard_doc: { order: 'asc' } }],
          _source: { includes: FIELDS[stream] },
          track_total_hits: false,
          ...(after ? { search_after: after } : {}),
        });
        if (typeof res.pit_id === 'string') pit = res.pit_id;
        const hits = res.hits.hits as Hit[];
        for (const h of hits) if (h._source) yield { stream, id: h._id, doc: h._source };
        if (hits.length < pageSize) break;
        after = hits.at(-1)!.sort;
        if (after === undefined) break;
      }
    } finally {
      await client.closePointInTime({ id: pit }).catch(() => undefined);
    }
  }
}
