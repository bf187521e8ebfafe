// Every field the Windows event normalizer emits that is neither ECS nor Winlogbeat `winlog.*`, with the
// Elasticsearch type the index template must give it. The setup engineer merges this into the explicit
// mapping (same shape as EAS_OWN_FIELDS); a golden test proves every emitted
// field is ECS, winlog.* or listed here.

import type { OwnFieldType } from '../../pipeline/own-fields.types.js';

export const WINDOWS_OWN_FIELDS: Readonly<Record<string, OwnFieldType>> = {
  // Agent bookkeeping. `log.offset` is Filebeat's name, not ECS; the field conventions ask for it.
  'log.offset': 'long',
  'casguard.input.id': 'keyword',
  'casguard.format': 'keyword',
  // Watson report of event 4999 (MSExchange Common); positions in ../shared/reference/eas-formats.md §4.2.
  'microsoft.exchange.watson.source': 'keyword',
  'microsoft.exchange.watson.process_id': 'long',
  'microsoft.exchange.watson.event_type': 'keyword',
  'microsoft.exchange.watson.build_type': 'keyword',
  'microsoft.exchange.watson.app_version': 'keyword',
  'microsoft.exchange.watson.app': 'keyword',
  'microsoft.exchange.watson.component': 'keyword',
  'microsoft.exchange.watson.method': 'keyword',
  'microsoft.exchange.watson.exception': 'keyword',
  'microsoft.exchange.watson.callstack_hash': 'keyword',
  'microsoft.exchange.watson.assembly_version': 'keyword',
  'microsoft.exchange.watson.error_reporting_enabled': 'boolean',
  'microsoft.exchange.watson.process_name': 'keyword',
  'microsoft.exchange.watson.hresult': 'keyword',
  'microsoft.exchange.watson.exception_source': 'keyword',
  'microsoft.exchange.server.build': 'keyword',
};
