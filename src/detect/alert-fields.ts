// Every field of an alert document that is not ECS, with its Elasticsearch type, for the alerts index template
// (src/setup merges it with its built-in ALERT_FIELDS; the same name must have the same type in both).
// The key fields an alert copies from its evidence (host.name, device.id, user.name, user_agent.original,
// microsoft.exchange.server.*) are ECS or the formats' own fields. test/detect/alert-fields.test.ts checks that
// every field of the scenario's alerts is ECS or listed here or there.

export const DETECT_ALERT_FIELDS: Readonly<Record<string, 'keyword' | 'long' | 'date' | 'boolean'>> = {
  'casguard.alert.count': 'long',
  'casguard.alert.first_seen': 'date',
  'casguard.alert.last_seen': 'date',
  'casguard.alert.key': 'keyword',
  'casguard.alert.devices': 'keyword',
  'casguard.alert.users': 'keyword',
  'casguard.alert.user_agents': 'keyword',
  'casguard.alert.ios_builds': 'keyword',
  'casguard.alert.hosts': 'keyword',
  'casguard.alert.builds': 'keyword',
  'casguard.alert.device_models': 'keyword',
  'casguard.alert.evidence_ids': 'keyword',
  /** ISO 8601 interval `start/end` of the suppression period (UTC-aligned). */
  'casguard.alert.suppression_period': 'keyword',
  'casguard.alert.below_fix': 'boolean',
  'casguard.alert.fix': 'keyword',
};
