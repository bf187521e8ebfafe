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
  // Array mode (issue 14, outputs/array/): the merged alert of a load-balanced CAS array.
  /** The array whose agents' contributions the alert merges (default: the namespace). */
  'casguard.alert.array': 'keyword',
  /** Number of agents that contributed. */
  'casguard.alert.agents': 'long',
  /** Version (_seq_no) of the shares document the merged alert was derived from; a writer never goes back. */
  'casguard.alert.merge_seq': 'long',
  /** Per-agent (per CAS host) breakdown; a plain object array, so Lens can aggregate it. */
  'casguard.alert.by_host.agent_id': 'keyword',
  'casguard.alert.by_host.agent_name': 'keyword',
  'casguard.alert.by_host.hosts': 'keyword',
  'casguard.alert.by_host.count': 'long',
  'casguard.alert.by_host.first_seen': 'date',
  'casguard.alert.by_host.last_seen': 'date',
  /** Whether that agent alone reached the rule's threshold. */
  'casguard.alert.by_host.raised': 'boolean',
};
