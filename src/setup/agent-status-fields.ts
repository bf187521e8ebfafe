// The agents' status index (`casguard-agents-<namespace>`): one document per agent and status interval (every
// minute, and at start and stop), written by the fleet view of issue 14. This table is the contract between that
// writer, `casguard setup` (which installs an index template mapping exactly these fields) and the Kibana data
// view and the "agents' coverage and lag" panels generated from it (src/setup/kibana/).
//
// Shape of a document (arrays of objects stay plain `object`, not `nested`, so Kibana's Lens can aggregate them):
//   @timestamp, agent.{id,name,version,type}, host.{name,hostname}, casguard.array,
//   casguard.agent.{state,started_at,status_interval_ms},
//   casguard.agent.inputs[] {id, format, files}            one entry per configured input
//   casguard.agent.files[] {input_id, path, lag_bytes, lag_seconds, last_event_time}   one entry per open file
//   casguard.agent.lag.{bytes (sum over files), seconds (max over files)}, casguard.agent.last_event_time,
//   casguard.agent.spool.bytes, casguard.agent.dead_letter.{bytes,count}, casguard.agent.alerts_raised,
//   casguard.agent.output.{name,health,last_success,last_error}
// ECS fields keep ECS's own definition (taken from the generated ECS table, so they cannot drift).

import { ECS_FIELDS } from './ecs-fields.generated.js';
import type { FieldDef } from './field-def.types.js';

/** Index name of one namespace's agent status documents. */
export function agentsIndexName(namespace: string): string {
  return `casguard-agents-${namespace}`;
}

export const AGENTS_INDEX_PATTERN = 'casguard-agents-*';

/** Values of `casguard.agent.state`. */
export const AGENT_STATES = ['starting', 'running', 'degraded', 'stopping', 'stopped'] as const;
/** Values of `casguard.agent.output.health`. */
export const OUTPUT_HEALTH = ['ok', 'degraded', 'down', 'none'] as const;

function ecs(name: string): FieldDef {
  const def = ECS_FIELDS[name];
  if (def === undefined) throw new Error(`agent status field ${name} is not an ECS field`);
  return def;
}

const keyword: FieldDef = { type: 'keyword', ignore_above: 1024 };
const long: FieldDef = { type: 'long' };
const date: FieldDef = { type: 'date' };

export const AGENT_STATUS_FIELDS: Readonly<Record<string, FieldDef>> = {
  '@timestamp': ecs('@timestamp'),
  'agent.id': ecs('agent.id'),
  'agent.name': ecs('agent.name'),
  'agent.version': ecs('agent.version'),
  'agent.type': ecs('agent.type'),
  'host.name': ecs('host.name'),
  'host.hostname': ecs('host.hostname'),
  /** The CAS array (load-balanced group) the agent belongs to; default: the namespace. */
  'casguard.array': keyword,
  /** One of AGENT_STATES. */
  'casguard.agent.state': keyword,
  'casguard.agent.started_at': date,
  /** How often this agent writes a status document; a reader flags it stale after three intervals. */
  'casguard.agent.status_interval_ms': long,
  'casguard.agent.inputs.id': keyword,
  'casguard.agent.inputs.format': keyword,
  /** Number of files the input currently tracks. */
  'casguard.agent.inputs.files': long,
  'casguard.agent.files.input_id': keyword,
  'casguard.agent.files.path': keyword,
  /** File size minus the acknowledged offset. */
  'casguard.agent.files.lag_bytes': long,
  /** Seconds between the file's last modification and the event time of its last acknowledged record. */
  'casguard.agent.files.lag_seconds': long,
  'casguard.agent.files.last_event_time': date,
  /** Sum of lag_bytes over all files. */
  'casguard.agent.lag.bytes': long,
  /** Largest lag_seconds of any file. */
  'casguard.agent.lag.seconds': long,
  /** Event time of the newest record delivered by any input. */
  'casguard.agent.last_event_time': date,
  'casguard.agent.spool.bytes': long,
  'casguard.agent.dead_letter.bytes': long,
  'casguard.agent.dead_letter.count': long,
  /** Alerts raised (created or updated) since the agent started. */
  'casguard.agent.alerts_raised': long,
  /** `elasticsearch`, `file`, ... the output the health refers to. */
  'casguard.agent.output.name': keyword,
  /** One of OUTPUT_HEALTH. */
  'casguard.agent.output.health': keyword,
  'casguard.agent.output.last_success': date,
  'casguard.agent.output.last_error': keyword,
};
