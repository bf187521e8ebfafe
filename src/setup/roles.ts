// The two Elasticsearch roles casguard needs (issue 13, finding 4), as role descriptors (the body of
// `PUT /_security/role/<name>` and of an API key's `role_descriptors`). They are the single source for the
// README's role JSON (a test keeps them equal) and for what `casguard test output` checks with
// `_has_privileges`, so a key made from them passes exactly the checks of its command.
//
// Writer (`casguard run`, `replay`): the agent only sends `_bulk` requests.
// - data streams: `create_doc` (bulk `create` with casguard's ids, never an overwrite) and `auto_configure`
//   (a stream written to before it exists is auto-created from casguard's template, `allow_auto_create`; a new
//   `winlog.event_data.*` field is a dynamic mapping update, which on a data stream only `auto_configure`
//   or `write` grant).
// - alerts index: `index` (alerts are replaced by id) and `auto_configure` (auto-creation, and mapping updates
//   for an alert field casguard does not map yet: `index` grants those on a regular index only as a
//   deprecated leniency, and without them the item is refused with 403 and retried for ever).
// - array mode (issue 14, on by default): `read` on the alerts index (an alert is read with its `_seq_no` before
//   it is replaced with `if_seq_no`), `read`, `index` and `auto_configure` on the shares index (each agent's share
//   is read and written by id with optimistic concurrency) and `index` + `auto_configure` on the agents' status
//   index (one status document per agent, replaced by id). With `array.enabled: false` they go unused.
// - no cluster privilege: `run` never calls `GET /` (that needs `monitor`).
// Setup (`casguard setup`):
// - cluster: `manage_ilm` (the policy), `manage_index_templates` (component and index templates), `monitor`
//   (`GET /` for the version the bodies depend on; without it setup assumes 8.5 or later and says so).
// - data streams: `manage`: create them (`create_index`), read them (`view_index_metadata`: GET _data_stream and
//   the write index's settings) and roll over one created from another template (`indices:admin/rollover`,
//   granted by `manage` only).
// - alerts index: `create_index` and `view_index_metadata` (exists, mapping).

import { agentsIndexName } from './agent-status-fields.js';
import { alertsIndexName, dataStreamName, sharesIndexPattern } from './cluster-assets.js';

export interface IndicesPrivilegesDescriptor {
  readonly names: readonly string[];
  readonly privileges: readonly string[];
}

export interface RoleDescriptorBody {
  readonly cluster: readonly string[];
  readonly indices: readonly IndicesPrivilegesDescriptor[];
}

export const WRITER_ROLE_NAME = 'casguard_writer';
export const SETUP_ROLE_NAME = 'casguard_setup';

const STREAM_PATTERNS = [dataStreamName('activesync', '*'), dataStreamName('application', '*')];
const ALERTS_PATTERN = alertsIndexName('*');
const SHARES_PATTERN = sharesIndexPattern('*');
const AGENTS_PATTERN = agentsIndexName('*');

export const WRITER_ROLE: RoleDescriptorBody = {
  cluster: [],
  indices: [
    { names: STREAM_PATTERNS, privileges: ['create_doc', 'auto_configure'] },
    { names: [ALERTS_PATTERN], privileges: ['read', 'index', 'auto_configure'] },
    { names: [SHARES_PATTERN], privileges: ['read', 'index', 'auto_configure'] },
    { names: [AGENTS_PATTERN], privileges: ['index', 'auto_configure'] },
  ],
};

export const SETUP_ROLE: RoleDescriptorBody = {
  cluster: ['monitor', 'manage_ilm', 'manage_index_templates'],
  indices: [
    { names: STREAM_PATTERNS, privileges: ['manage'] },
    { names: [ALERTS_PATTERN], privileges: ['create_index', 'view_index_metadata'] },
  ],
};

/** One privilege a command needs, on a concrete name (or the cluster), and why. */
export interface NeededPrivilege {
  /** `cluster`, or the concrete index/stream name. */
  readonly on: string;
  readonly privilege: string;
  readonly why: string;
  /** Needed only in some cases: when missing, the command works but says what it cannot do. */
  readonly optional?: boolean;
}

/** What `casguard run` needs for a namespace, each privilege with its reason. */
export function writerNeeds(namespace: string): NeededPrivilege[] {
  const streams = [dataStreamName('activesync', namespace), dataStreamName('application', namespace)];
  const alerts = alertsIndexName(namespace);
  const shares = sharesIndexPattern(namespace);
  const agents = agentsIndexName(namespace);
  return [
    ...streams.flatMap((s) => [
      { on: s, privilege: 'create_doc', why: 'bulk create of documents' },
      { on: s, privilege: 'auto_configure', why: 'auto-create the stream, map new fields' },
    ]),
    { on: alerts, privilege: 'index', why: 'write and replace alerts by id' },
    { on: alerts, privilege: 'auto_configure', why: 'auto-create the index, map new alert fields' },
    { on: alerts, privilege: 'read', why: 'array mode: read an alert with its _seq_no before replacing it' },
    { on: shares, privilege: 'read', why: "array mode: read the agents' shares of an alert" },
    { on: shares, privilege: 'index', why: "array mode: write this agent's share (if_seq_no)" },
    { on: shares, privilege: 'auto_configure', why: 'array mode: auto-create the shares index' },
    { on: agents, privilege: 'index', why: "array mode: write this agent's status document" },
    { on: agents, privilege: 'auto_configure', why: 'array mode: auto-create the status index' },
  ];
}

/**
 * What `casguard replay` needs beyond the writer's, and only to skip documents the streams already hold in an
 * older backing index (src/outputs/elasticsearch/known-ids-filter.ts): without it, replay works and warns.
 * Not in the writer role: `read` lets the agent's key read every log it shipped.
 */
export function replayNeeds(namespace: string): NeededPrivilege[] {
  return [dataStreamName('activesync', namespace), dataStreamName('application', namespace)].map((s) => ({
    on: s,
    privilege: 'read',
    why: 'replay skips documents already stored before a rollover',
    optional: true,
  }));
}

/** What `casguard setup` needs for a namespace. */
export function setupNeeds(namespace: string): NeededPrivilege[] {
  const streams = [dataStreamName('activesync', namespace), dataStreamName('application', namespace)];
  const alerts = alertsIndexName(namespace);
  return [
    { on: 'cluster', privilege: 'manage_ilm', why: 'install the ILM policy' },
    { on: 'cluster', privilege: 'manage_index_templates', why: 'install the templates' },
    {
      on: 'cluster',
      privilege: 'monitor',
      why: 'read the cluster version (without it setup assumes 8.5 or later)',
      optional: true,
    },
    ...streams.flatMap((s) => [
      { on: s, privilege: 'create_index', why: 'create the data stream' },
      { on: s, privilege: 'view_index_metadata', why: 'inspect the existing stream' },
      {
        on: s,
        privilege: 'manage',
        why: 'roll over a stream created from another template (only then)',
        optional: true,
      },
    ]),
    { on: alerts, privilege: 'create_index', why: 'create the alerts index' },
    { on: alerts, privilege: 'view_index_metadata', why: 'inspect the existing alerts index' },
  ];
}

/** The `_has_privileges` body that asks for every privilege of `needs`. */
export function hasPrivilegesBody(needs: readonly NeededPrivilege[]): {
  cluster: string[];
  index: { names: string[]; privileges: string[] }[];
} {
  const cluster = [...new Set(needs.filter((n) => n.on === 'cluster').map((n) => n.privilege))];
  const byName = new Map<string, Set<string>>();
  for (const n of needs) {
    if (n.on === 'cluster') continue;
    const set = byName.get(n.on) ?? new Set<string>();
    set.add(n.privilege);
    byName.set(n.on, set);
  }
  return {
    cluster,
    index: [...byName].map(([name, privs]) => ({ names: [name], privileges: [...privs] })),
  };
}
