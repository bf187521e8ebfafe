// Elasticsearch's named privileges as the action patterns they grant, copied from
// x-pack/plugin/core/src/main/java/org/elasticsearch/xpack/core/security/authz/privilege/IndexPrivilege.java and
// ClusterPrivilegeResolver.java (9.x; the failure-store and cross-cluster ones are listed for completeness).
// An action is granted when one of a privilege's patterns matches it (Automatons: `*` matches any sequence).
// The order of INDEX_PRIVILEGE_ORDER / CLUSTER_PRIVILEGE_ORDER is Privilege#sortByAccessLevel (the privileges a
// privilege is a subset of, most first, then by name): it is the order of "this action is granted by the index
// privileges [create_doc,create,index,write,all]" in a 403.

import { globCovers, globMatch } from './glob.js';

export interface NamedPrivilege {
  include: readonly string[];
  exclude?: readonly string[];
}

const AUTO_PUT_MAPPING = 'indices:admin/mapping/auto_put';
const AUTO_CREATE = 'indices:admin/auto_create';

export const INDEX_PRIVILEGES: Readonly<Record<string, NamedPrivilege>> = {
  none: { include: [] },
  all: { include: ['indices:*', 'internal:transport/proxy/indices:*'] },
  // ResolveIndexAction and TransportResolveClusterAction are part of `read` (IndexPrivilege.READ_AUTOMATON).
  read: { include: ['indices:data/read/*', 'indices:admin/resolve/index', 'indices:admin/resolve/cluster'] },
  read_cross_cluster: {
    include: [
      'internal:transport/proxy/indices:data/read/*',
      'indices:admin/shards/search_shards',
      'indices:admin/search/search_shards',
      'indices:admin/resolve/cluster',
      'indices:data/read/esql',
      'indices:data/read/esql/compute',
    ],
  },
  create: {
    include: ['indices:data/write/index*', 'indices:data/write/bulk*', 'indices:data/write/simulate/bulk*'],
  },
  create_doc: {
    include: [
      'indices:data/write/index',
      'indices:data/write/index[*',
      'indices:data/write/index:op_type/create',
      'indices:data/write/bulk*',
      'indices:data/write/simulate/bulk*',
    ],
  },
  index: {
    include: [
      'indices:data/write/index*',
      'indices:data/write/bulk*',
      'indices:data/write/update*',
      'indices:data/write/simulate/bulk*',
    ],
  },
  delete: { include: ['indices:data/write/delete*', 'indices:data/write/bulk*'] },
  write: { include: ['indices:data/write/*', AUTO_PUT_MAPPING] },
  monitor: { include: ['indices:monitor/*'] },
  manage: {
    include: [
      'indices:monitor/*',
      'indices:admin/*',
      'indices:data/read/field_caps*',
      'indices:admin/xpack/rollup/get/index/caps*',
    ],
  },
  create_index: { include: ['indices:admin/create', AUTO_CREATE, 'indices:admin/data_stream/create'] },
  delete_index: { include: ['indices:admin/delete', 'indices:admin/data_stream/delete'] },
  view_index_metadata: {
    include: [
      'indices:admin/aliases/get',
      'indices:admin/get',
      'indices:admin/mappings/fields/get*',
      'indices:admin/mappings/get',
      'indices:admin/shards/search_shards',
      'indices:admin/search/search_shards',
      'indices:admin/validate/query*',
      'indices:monitor/settings/get',
      'indices:admin/ilm/explain',
      'indices:admin/data_stream/lifecycle/get',
      'indices:admin/data_stream/lifecycle/explain',
      'indices:admin/data_stream/get',
      'indices:admin/resolve/index',
      'indices:admin/resolve/cluster',
      'indices:data/read/field_caps*',
      'indices:admin/xpack/rollup/get/index/caps*',
      'indices:monitor/transform/checkpoint*',
    ],
  },
  manage_follow_index: {
    include: [
      'indices:admin/xpack/ccr/put_follow',
      'indices:admin/xpack/ccr/unfollow',
      'indices:admin/close*',
      'indices:admin/data_stream/promote',
      'indices:admin/rollover',
    ],
  },
  manage_leader_index: { include: ['indices:admin/xpack/ccr/forget_follower*'] },
  manage_ilm: { include: ['indices:admin/ilm/*'] },
  manage_data_stream_lifecycle: { include: ['indices:admin/data_stream/lifecycle/*'] },
  maintenance: {
    include: [
      'indices:admin/refresh*',
      'indices:admin/flush*',
      'indices:admin/synced_flush',
      'indices:admin/forcemerge*',
    ],
  },
  auto_configure: { include: [AUTO_PUT_MAPPING, AUTO_CREATE] },
  cross_cluster_replication: {
    include: [
      'indices:data/read/xpack/ccr/shard_changes*',
      'indices:monitor/stats*',
      'indices:admin/seq_no/add_retention_lease*',
      'indices:admin/seq_no/remove_retention_lease*',
      'indices:admin/seq_no/renew_retention_lease*',
    ],
  },
  cross_cluster_replication_internal: {
    include: [
      'indices:internal/admin/ccr/restore/session/clear*',
      'indices:internal/admin/ccr/restore/file_chunk/get*',
      'indices:internal/admin/ccr/restore/session/put*',
    ],
  },
  read_failure_store: { include: ['indices:data/read/*'] },
  manage_failure_store: { include: ['indices:monitor/*', 'indices:admin/*'] },
};

const SECURITY = 'cluster:admin/xpack/security/*';
export const CLUSTER_PRIVILEGES: Readonly<Record<string, NamedPrivilege>> = {
  none: { include: [] },
  all: { include: ['cluster:*', 'indices:admin/template/*', 'indices:admin/index_template/*'] },
  monitor: {
    include: [
      'cluster:monitor/*',
      'indices:admin/template/get',
      'cluster:admin/component_template/get',
      'indices:admin/index_template/get',
    ],
  },
  manage: {
    include: ['cluster:*', 'indices:admin/template/*', 'indices:admin/index_template/*'],
    exclude: [SECURITY],
  },
  manage_index_templates: {
    include: [
      'indices:admin/template/*',
      'indices:admin/index_template/*',
      'cluster:admin/component_template/*',
    ],
  },
  manage_ilm: { include: ['cluster:admin/ilm/*'] },
  read_ilm: { include: ['cluster:admin/ilm/get', 'cluster:admin/ilm/operation_mode/get'] },
  manage_pipeline: { include: ['cluster:admin/ingest/pipeline/*'] },
  manage_ingest_pipelines: { include: ['cluster:admin/ingest/pipeline/*'] },
  read_pipeline: { include: ['cluster:admin/ingest/pipeline/get', 'cluster:admin/ingest/pipeline/simulate'] },
  manage_security: { include: [SECURITY, 'cluster:admin/xpack/security/delegate_pki'] },
  read_security: {
    include: [
      'cluster:admin/xpack/security/api_key/get',
      'cluster:admin/xpack/security/api_key/query',
      'cluster:admin/xpack/security/role/get',
      'cluster:admin/xpack/security/role_mapping/get',
      'cluster:admin/xpack/security/user/get',
      'cluster:admin/xpack/security/user/list_privileges',
      'cluster:admin/xpack/security/user/has_privileges',
    ],
  },
  manage_api_key: { include: ['cluster:admin/xpack/security/api_key/*'] },
  manage_own_api_key: { include: ['cluster:admin/xpack/security/api_key/*'] },
  grant_api_key: { include: ['cluster:admin/xpack/security/api_key/grant*'] },
  manage_token: { include: ['cluster:admin/xpack/security/token/*'] },
  manage_service_account: { include: ['cluster:admin/xpack/security/service_account/*'] },
  manage_user_profile: { include: ['cluster:admin/xpack/security/profile/*'] },
  manage_saml: { include: ['cluster:admin/xpack/security/saml/*'] },
  manage_oidc: { include: ['cluster:admin/xpack/security/oidc/*'] },
  manage_ml: { include: ['cluster:admin/xpack/ml/*', 'cluster:monitor/xpack/ml/*'] },
  monitor_ml: { include: ['cluster:monitor/xpack/ml/*'] },
  manage_transform: {
    include: [
      'cluster:admin/data_frame/*',
      'cluster:monitor/data_frame/*',
      'cluster:monitor/transform/*',
      'cluster:admin/transform/*',
    ],
  },
  monitor_transform: { include: ['cluster:monitor/data_frame/*', 'cluster:monitor/transform/*'] },
  manage_watcher: { include: ['cluster:admin/xpack/watcher/*', 'cluster:monitor/xpack/watcher/*'] },
  monitor_watcher: { include: ['cluster:monitor/xpack/watcher/*'] },
  manage_rollup: { include: ['cluster:admin/xpack/rollup/*', 'cluster:monitor/xpack/rollup/*'] },
  monitor_rollup: { include: ['cluster:monitor/xpack/rollup/*'] },
  manage_ccr: {
    include: [
      'cluster:admin/xpack/ccr/*',
      'cluster:monitor/state',
      'cluster:admin/xpack/security/user/has_privileges',
    ],
  },
  read_ccr: { include: ['cluster:monitor/state', 'cluster:admin/xpack/security/user/has_privileges'] },
  create_snapshot: {
    include: [
      'cluster:admin/snapshot/create',
      'cluster:admin/snapshot/status*',
      'cluster:admin/snapshot/get',
      'cluster:admin/repository/get',
    ],
  },
  monitor_snapshot: {
    include: ['cluster:admin/snapshot/status*', 'cluster:admin/snapshot/get', 'cluster:admin/repository/get'],
  },
  manage_slm: {
    include: [
      'cluster:admin/slm/*',
      'cluster:admin/ilm/start',
      'cluster:admin/ilm/stop',
      'cluster:admin/ilm/operation_mode/get',
    ],
  },
  read_slm: { include: ['cluster:admin/slm/get', 'cluster:admin/ilm/operation_mode/get'] },
  manage_enrich: { include: ['cluster:admin/xpack/enrich/*'] },
  manage_autoscaling: { include: ['cluster:admin/autoscaling/*'] },
  transport_client: { include: ['cluster:monitor/nodes/liveness', 'cluster:monitor/state'] },
  delegate_pki: {
    include: ['cluster:admin/xpack/security/delegate_pki', 'cluster:admin/xpack/security/token/invalidate'],
  },
  manage_logstash_pipelines: { include: ['cluster:admin/logstash/pipeline/*'] },
  cross_cluster_search: {
    include: ['cluster:internal/remote_cluster/handshake', 'cluster:internal/remote_cluster/nodes'],
  },
};

export function privilegeGrants(p: NamedPrivilege, action: string): boolean {
  return p.include.some((x) => globMatch(x, action)) && !(p.exclude ?? []).some((x) => globMatch(x, action));
}

/** A named privilege or a raw action pattern, for role descriptors and has_privileges. */
export function resolvePrivilege(kind: 'index' | 'cluster', name: string): NamedPrivilege | undefined {
  const table = kind === 'index' ? INDEX_PRIVILEGES : CLUSTER_PRIVILEGES;
  const named = table[name.toLowerCase()];
  if (named) return named;
  const actionPrefix =
    kind === 'index' ? /^indices:/ : /^(cluster:|indices:admin\/template\/|indices:admin\/index_template\/)/;
  if (actionPrefix.test(name)) return { include: [name.endsWith('*') ? name : `${name}*`] };
  return undefined;
}

export function unknownPrivilegeMessage(kind: 'index' | 'cluster', name: string): string {
  if (kind === 'index')
    return `unknown index privilege [${name}]. a privilege must be either one of the predefined fixed indices privileges [${INDEX_PRIVILEGE_ORDER.map((n) => `${n}=${n}`).join(',')}] or a pattern over one of the available index actions`;
  return `unknown cluster privilege [${name}]. a privilege must be either one of the predefined cluster privilege names [${CLUSTER_PRIVILEGE_ORDER.join(',')}] or a pattern over one of the available cluster actions`;
}

/** Whether the union of `granted` covers all of `requested` (has_privileges). */
export function covers(granted: NamedPrivilege[], requested: NamedPrivilege): boolean {
  for (const inc of requested.include) {
    const grantedBy = granted.filter((g) => g.include.some((gi) => globCovers(gi, inc)));
    if (grantedBy.length === 0) return false;
    // An exclusion of the granting privilege that cuts into the requested pattern makes it incomplete, unless the
    // requested privilege excludes it too or another grant without that exclusion covers the pattern.
    const ok = grantedBy.some((g) =>
      (g.exclude ?? []).every(
        (ex) =>
          !(globCovers(inc, ex) || globCovers(ex, inc)) ||
          (requested.exclude ?? []).some((re) => globCovers(re, ex)),
      ),
    );
    if (!ok) return false;
  }
  return true;
}

/** The named privileges that grant `action`, least privileged first (AuthorizationDenialMessages). */
export function privilegesGranting(kind: 'index' | 'cluster', action: string): string[] {
  const table = kind === 'index' ? INDEX_PRIVILEGES : CLUSTER_PRIVILEGES;
  const order = kind === 'index' ? INDEX_PRIVILEGE_ORDER : CLUSTER_PRIVILEGE_ORDER;
  return order.filter(
    (n) =>
      n !== 'read_failure_store' &&
      n !== 'manage_failure_store' &&
      table[n] &&
      privilegeGrants(table[n], action),
  );
}

/** ClusterPrivilegeResolver#isClusterAction. */
export function isClusterAction(action: string): boolean {
  return (
    action.startsWith('cluster:') ||
    action.startsWith('indices:admin/template/') ||
    action.startsWith('indices:admin/index_template/')
  );
}

/**
 * Privilege#sortByAccessLevel: by the number of other privileges a privilege is a subset of (most first), then
 * by name.
 */
function sortByAccessLevel(table: Readonly<Record<string, NamedPrivilege>>): string[] {
  const names = Object.keys(table);
  const count = new Map(
    names.map((n) => [n, names.filter((m) => m !== n && covers([table[m]!], table[n]!)).length] as const),
  );
  return names.sort((a, b) => count.get(b)! - count.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
}

export const INDEX_PRIVILEGE_ORDER = sortByAccessLevel(INDEX_PRIVILEGES);
export const CLUSTER_PRIVILEGE_ORDER = sortByAccessLevel(CLUSTER_PRIVILEGES);
