// Every field the EAS formats (IIS, HttpProxy, mailbox log) and the enrichers emit that is not in ECS, with the
// Elasticsearch type the index template must map it to. The golden-file test (test/formats/eas/ecs-fields.test.ts)
// proves every emitted field is either ECS with ECS's type or listed here with a value of this type.

import type { OwnFieldType } from '../../pipeline/own-fields.types.js';

export const EAS_OWN_FIELDS: Readonly<Record<string, OwnFieldType>> = {
  // Agent bookkeeping. `log.offset` is Filebeat's name, not ECS; the field conventions ask for it.
  'log.offset': 'long',
  'casguard.input.id': 'keyword',
  'casguard.format': 'keyword',

  // EAS request facts, whichever log they came from.
  'microsoft.exchange.activesync.log_source': 'keyword',
  'microsoft.exchange.activesync.command': 'keyword',
  'microsoft.exchange.activesync.status': 'long',
  'microsoft.exchange.activesync.status_name': 'keyword',
  'microsoft.exchange.activesync.device_type': 'keyword',
  'microsoft.exchange.activesync.protocol_version': 'keyword',
  'microsoft.exchange.activesync.error': 'keyword',
  'microsoft.exchange.activesync.heartbeat_seconds': 'long',
  'microsoft.exchange.activesync.device_os': 'keyword',
  'microsoft.exchange.activesync.device_os_build': 'keyword',
  'microsoft.exchange.activesync.device_os_language': 'keyword',
  'microsoft.exchange.activesync.device_user_agent': 'keyword',
  'microsoft.exchange.activesync.device_friendly_name': 'keyword',
  'microsoft.exchange.activesync.access_state': 'keyword',
  'microsoft.exchange.activesync.access_state_reason': 'keyword',
  'microsoft.exchange.activesync.device_access_rule': 'keyword',
  'microsoft.exchange.activesync.mailbox_server': 'keyword',
  'microsoft.exchange.activesync.domain_controller': 'keyword',
  'microsoft.exchange.activesync.proxied_from': 'keyword',
  'microsoft.exchange.activesync.policy_key': 'keyword',
  'microsoft.exchange.activesync.throttle': 'keyword',
  'microsoft.exchange.activesync.elapsed_ms': 'long',
  'microsoft.exchange.activesync.query_encoding': 'keyword',
  'microsoft.exchange.activesync.server_version': 'keyword',
  'microsoft.exchange.activesync.log_tokens': 'flattened',
  // The query's parameters and `&Log=` tokens that no other field holds (eas-query-rest.ts): wildcard, as ECS maps
  // long URL strings (url.original), so `*RpcC23*` finds a token anywhere in it.
  'microsoft.exchange.activesync.query_rest': 'wildcard',

  // Exchange server build and its KB 2851708 status (enrichment).
  'microsoft.exchange.server.build': 'keyword',
  'microsoft.exchange.server.release': 'keyword',
  'microsoft.exchange.server.kb2851708.status': 'keyword',
  'microsoft.exchange.server.kb2851708.fix': 'keyword',

  // IIS columns ECS has no field for.
  'microsoft.exchange.iis.site_name': 'keyword',
  'microsoft.exchange.iis.sub_status': 'long',
  'microsoft.exchange.iis.win32_status': 'long',
  'microsoft.exchange.iis.fields_assumed': 'boolean',

  // HttpProxy columns ECS has no field for.
  'microsoft.exchange.httpproxy.schema': 'keyword',
  'microsoft.exchange.httpproxy.protocol': 'keyword',
  'microsoft.exchange.httpproxy.client_request_id': 'keyword',
  'microsoft.exchange.httpproxy.authentication_type': 'keyword',
  'microsoft.exchange.httpproxy.is_authenticated': 'boolean',
  'microsoft.exchange.httpproxy.anchor_mailbox': 'keyword',
  'microsoft.exchange.httpproxy.organization': 'keyword',
  'microsoft.exchange.httpproxy.backend_status': 'long',
  'microsoft.exchange.httpproxy.error_code': 'keyword',
  'microsoft.exchange.httpproxy.proxy_action': 'keyword',
  'microsoft.exchange.httpproxy.target_server': 'keyword',
  'microsoft.exchange.httpproxy.target_server_version': 'keyword',
  'microsoft.exchange.httpproxy.target_server_build': 'keyword',
  'microsoft.exchange.httpproxy.routing_type': 'keyword',
  'microsoft.exchange.httpproxy.routing_hint': 'keyword',
  'microsoft.exchange.httpproxy.routing_status': 'keyword',
  'microsoft.exchange.httpproxy.database_guid': 'keyword',
  'microsoft.exchange.httpproxy.total_request_time_ms': 'float',
  'microsoft.exchange.httpproxy.generic_info': 'match_only_text',
  'microsoft.exchange.httpproxy.generic_errors': 'match_only_text',
  'microsoft.exchange.httpproxy.backend_generic_info': 'match_only_text',

  // Mailbox log (Get-MobileDeviceStatistics -GetMailboxLog) sections ECS has no field for.
  'microsoft.exchange.mailbox_log.entry': 'long',
  'microsoft.exchange.mailbox_log.identifier': 'keyword',
  'microsoft.exchange.mailbox_log.assembly_version': 'keyword',
  'microsoft.exchange.mailbox_log.sections': 'keyword',
  'microsoft.exchange.mailbox_log.was_pending': 'boolean',
  'microsoft.exchange.mailbox_log.additional_data': 'match_only_text',
  'microsoft.exchange.mailbox_log.irm_failure_code': 'keyword',
  'microsoft.exchange.mailbox_log.request_headers': 'flattened',
  'microsoft.exchange.mailbox_log.response_headers': 'flattened',
  'microsoft.exchange.mailbox_log.warnings': 'keyword',
  'microsoft.exchange.mailbox_log.exception.section': 'keyword',
  'microsoft.exchange.mailbox_log.exception.inner_types': 'keyword',
  'microsoft.exchange.mailbox_log.exception.inner_messages': 'match_only_text',
  'microsoft.exchange.mailbox_log.exception.frames': 'keyword',
  'microsoft.exchange.mailbox_log.exception.airsync_status': 'long',
  'microsoft.exchange.mailbox_log.exception.http_status': 'long',
};
