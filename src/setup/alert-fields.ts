// Fields of alert documents that are not ECS (field conventions: `casguard.alert.*`). Built in so the alerts
// index is explicit even before the detection engineer's own table is injected; an injected table that
// declares the same field with another type is an error at setup.

export const ALERT_FIELDS: Readonly<Record<string, string>> = {
  'casguard.alert.count': 'long',
  'casguard.alert.first_seen': 'date',
  'casguard.alert.last_seen': 'date',
  'casguard.alert.key': 'keyword',
  'casguard.alert.devices': 'keyword',
  'casguard.alert.users': 'keyword',
  'casguard.alert.user_agents': 'keyword',
  'casguard.alert.ios_builds': 'keyword',
  'casguard.alert.evidence_ids': 'keyword',
  'casguard.alert.suppression_period': 'keyword',
};
