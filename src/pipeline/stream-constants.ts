// Fields whose value is the same in every document of a data stream (issue 16: smaller documents). casguard's
// index templates map them as `constant_keyword` with that value (src/setup/cluster-assets.ts), so Elasticsearch
// answers every query, aggregation and `fields` request on them from the mapping, for every document of the
// backing index, and the Elasticsearch output leaves them out of the bulk body
// (src/outputs/elasticsearch/prepare-document.ts). Elastic's integrations map `data_stream.*`, `event.module`
// and `event.dataset` the same way. The documents themselves (golden files, the local NDJSON output, detection)
// keep them: only the wire and the stored `_source` go without.
//
// Only values that can never change belong here: a constant_keyword's value cannot be changed on an existing
// index, and a document with another value is refused (400). So not `ecs.version` (it follows casguard's ECS
// version) nor `agent.version`, and not `data_stream.namespace` (one template serves every namespace).

import { AGENT_TYPE } from './agent-metadata.types.js';
import type { DocumentStream } from './document.types.js';

export type DataStreamKind = Exclude<DocumentStream, 'alerts'>;

/** Dotted field → its value in every document of the stream (arrays are sent as one-element arrays). */
export const STREAM_CONSTANTS: Readonly<Record<DataStreamKind, Readonly<Record<string, string>>>> = {
  activesync: {
    'data_stream.type': 'logs',
    'data_stream.dataset': 'exchange.activesync',
    'event.kind': 'event',
    'event.module': 'exchange',
    'event.dataset': 'exchange.activesync',
    'event.category': 'web',
    'event.type': 'access',
    'agent.type': AGENT_TYPE,
  },
  application: {
    'data_stream.type': 'logs',
    'data_stream.dataset': 'exchange.application',
    'event.kind': 'event',
    'event.module': 'exchange',
    'event.dataset': 'exchange.application',
    'agent.type': AGENT_TYPE,
  },
};
