// An Elasticsearch-compatible HTTP test server on 127.0.0.1 that the real @elastic/elasticsearch client talks to
// (ARCHITECTURE.md: no Elasticsearch can be installed here). It is the one Elasticsearch every casguard test talks
// to, and it answers as an 8.x or 9.x cluster does (status, error `type` and shape, defaults of the version it
// claims), checked against Elasticsearch's source; each file cites what it follows. By role:
//   http-front.ts        HTTP: authentication on headers, http.max_content_length (413 + Connection: close),
//                        gzip bodies, the REST compatibility rule on Accept/Content-Type, product header
//   rest-api.ts          the endpoints and the transport action each is authorized as; filter_path
//   security.ts          users, roles, API keys, 401/403 as Elasticsearch words them, _has_privileges
//   privileges.ts        IndexPrivilege / ClusterPrivilegeResolver: named privileges as action patterns
//   templates.ts         component and index templates, ILM policies: validation and resolution
//   body-validation.ts   request bodies of templates, ILM policies, index creation (unknown fields, phases...)
//   mapping-validate.ts  mappings as the mapper parsers validate them; mapping-params.ts: parameters per type
//   index-settings.ts    index settings: normalization, known keys, values
//   cluster.ts           indices, data streams, backing indices, rollover, logsdb (9.x), GET _data_stream
//   builtin-templates.ts Elasticsearch's own `logs` templates (test/fixtures/elasticsearch/builtin-templates/)
//   indices.ts           one index's documents: _seq_no, _version, create conflicts, CAS, updates
//   write-path.ts        auto-creation, per-item authorization, data stream rules, failure store
//   bulk.ts              _bulk parsing and validation
//   document-parser.ts   documents against mappings: types, dates, ignore_malformed/_ignored, dynamic mapping
//   date-format.ts       date formats; search.ts: _search and _count; faults.ts: fault injection
//
// Versions: `version` (default 8.15.0) sets the REST compatibility rule, document_parsing_exception (8.8+; before:
// mapper_parsing_exception), and the 9.x defaults: cluster.logsdb.enabled true (logs-*-* data streams get
// index.mode logsdb, whose index.mapping.ignore_malformed defaults to true, ignore_above to 8191 and
// total_fields.ignore_dynamic_beyond_limit to true), the logsdb variant of the built-in logs@settings, the
// failure store of the built-in logs template from 9.2.0, `failure_store: not_enabled` on refused data stream
// items from 8.19/9.1.
//
// NOT MODELLED (a test that depends on one of these needs a real cluster: CASGUARD_TEST_ES_URL):
// - More than one node or shard: one primary per index, no replication (_shards.successful is 1 of 2), no
//   routing, no allocation; cluster health is computed from that.
// - Near-real-time search: every write is visible to _search/_count at once (as after a refresh); _refresh is a
//   no-op. ILM and data stream lifecycle never run: nothing rolls over or is deleted by itself (POST _rollover does).
// - Scripts (Painless): scripted updates are refused with a 400 saying so; ingest pipelines: only the one effect of
//   the built-in logs@default-pipeline (a missing @timestamp set to the ingest time); a default_pipeline naming a
//   pipeline that does not exist is refused as Elasticsearch refuses it.
// - Synthetic _source (logsdb): _source is returned as sent. Index sorting (logsdb's host.name, @timestamp), doc
//   values, analyzers (text is split on non-word characters and lower-cased for term/match), scoring (every hit
//   scores 1.0), aggregations, query_string, scroll/PIT, highlighting.
// - Query DSL beyond match_all, match_none, term, terms, ids, exists, range, match and bool.
// - Mapping types: vectors, shapes, ranges, completion, join... are accepted in mappings without their
//   parameters being checked, and accept any value. geo_point checks only the common forms. Multi-fields of
//   multi-fields, copy_to targets, runtime fields (a `runtime` mapping maps nothing), `subobjects: false`.
// - Date formats: the built-in names listed in date-format.ts are parsed exactly, the other built-in names
//   leniently; java.time patterns with the letters listed there. Positions "[line:col]" in reasons point at the
//   field's value as far as the raw text allows.
// - Security: native users, roles and API keys only (no realms, tokens, service accounts, run_as, DLS/FLS,
//   restricted indices, application privileges); API keys created by API keys are not restricted further.
//   `manage_own_api_key` is treated as `manage_api_key`.
// - GET _mapping/field/<fields> (field mappings): answered 400 "no handler found", as any endpoint not modelled.
// - Cluster settings: only action.auto_create_index (true/false, not patterns) and cluster.logsdb.enabled.
// - Index settings: the keys in index-settings.ts (plus affix groups: routing allocation, slowlogs, merge policy,
//   analysis, similarity, sort); static settings are refused by PUT _settings on an open index.
// - The failure store: redirected documents are stored in `.fs-` indices with a simplified document; no
//   ::failures selector, no failure store options API.
// - The exact Netty timing of a 413: the server answers as soon as the declared Content-Length is too large (or
//   the inflated body passes the limit) and closes; whether the client sees the 413 or a reset is left to the
//   operating system, as with a real cluster.

import type { Cluster } from './cluster.js';
import { Cluster as ClusterImpl } from './cluster.js';
import { builtinLogsAssets } from './builtin-templates.js';
import { EsFaultInjector } from './faults.js';
import type { EsFaults } from './faults.js';
import { HttpFront } from './http-front.js';
import type { IndexMappingState } from './mapping-state.js';
import { RestApi, applyFilterPath } from './rest-api.js';
import { Security } from './security.js';
import type { RoleDescriptor, SecurityOptions } from './security.js';
import type { FlatSettings } from './index-settings.js';
import type { KeptBulkRequest } from './bulk.js';

export { applyFilterPath };
export { idFraction } from './faults.js';
export type { EsFaults } from './faults.js';
export type { RoleDescriptor } from './security.js';

export interface EsTestServerOptions {
  /** Version reported by `GET /` and whose defaults the server follows. Default 8.15.0. */
  version?: string;
  port?: number;
  seed?: number;
  faults?: EsFaults;
  /** http.max_content_length; default 100 MB. */
  maxContentLength?: number;
  /**
   * Require credentials: the given API key (encoded id:key) or user (role superuser) is accepted; anything else is
   * 401. Without `auth` or `security`, requests without credentials run as the anonymous superuser.
   */
  auth?: { apiKey?: string; username?: string; password?: string };
  /** Named privileges the test principal lacks (it holds every other privilege not including them). */
  deniedPrivileges?: string[];
  /** Users, roles, anonymous access (see security.ts). */
  security?: SecurityOptions;
  /** Keep parsed documents (default true). The bench turns this off and keeps only ids. */
  storeSources?: boolean;
  /** Check documents against mappings (default true). */
  checkMappings?: boolean;
  /** Install Elasticsearch's built-in `logs` templates (priority 100, logs-*-*). Default true. */
  builtinLogsTemplate?: boolean;
  /** cluster.logsdb.enabled; default true from 9.0 (a new 9.x cluster), false before. */
  logsdb?: boolean;
  /** action.auto_create_index; default true. */
  autoCreateIndex?: boolean;
  /** The clock of backing index names (`.ds-<stream>-<yyyy.MM.dd>-<generation>`). */
  now?: () => Date;
  /** Keep every bulk request (its URL's index and uncompressed body) in `bulkRequests`, in arrival order. Default false. */
  keepBulkBodies?: boolean;
}

/** The legacy view of an index or a data stream (documents of every backing index together). */
export interface StoredIndex {
  readonly name: string;
  readonly dataStream: boolean;
  readonly docs: ReadonlyMap<string, Record<string, unknown> | null>;
  readonly mapping: IndexMappingState;
  readonly settings: FlatSettings;
  readonly template?: string;
}

export interface StoredDocument {
  index: string;
  id: string;
  source: Record<string, unknown> | null;
  seqNo: number;
  primaryTerm: number;
  version: number;
  ignored?: string[];
}

export interface EsTestServerStats {
  requests: number;
  bulkRequests: number;
  bulkItems: number;
  itemsByStatus: Record<number, number>;
  resets: number;
  requestErrors: Record<number, number>;
  /** Uncompressed request body bytes of bulk requests. */
  bulkBytes: number;
  /** Largest number of bulk requests open at once. */
  maxConcurrentBulk: number;
  gzipRequests: number;
}

export interface EsTestServer {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  readonly stats: EsTestServerStats;
  /** The cluster state (indices, data streams, templates). */
  readonly cluster: Cluster;
  /** Users, roles and API keys. */
  readonly security: Security;
  /** Every data stream and every index that is not a backing index, by name (legacy view). */
  readonly indices: ReadonlyMap<string, StoredIndex>;
  readonly componentTemplates: ReadonlyMap<string, Record<string, unknown>>;
  readonly indexTemplates: ReadonlyMap<string, Record<string, unknown>>;
  readonly ilmPolicies: ReadonlyMap<string, Record<string, unknown>>;
  /** Documents of an index or data stream by id (all backing indices together; empty map when absent). */
  docs(name: string): ReadonlyMap<string, Record<string, unknown> | null>;
  /** Every stored copy in an index or data stream, with its backing index (an id may be in several). */
  documents(name: string): StoredDocument[];
  /** Total number of stored documents over every index (failure indices excluded). */
  totalDocs(): number;
  /** Create an API key for `owner` (default: the user `elastic`) limited to `roleDescriptors`; returns `encoded`. */
  createApiKey(
    roleDescriptors?: Record<string, RoleDescriptor>,
    opts?: { name?: string; owner?: string },
  ): { id: string; encoded: string };
  /** Replace the fault settings (merging is the caller's business). */
  setFaults(faults: EsFaults): void;
  /** Every mutating request (PUT/POST/DELETE other than _bulk and reads), in order, e.g. `PUT /_ilm/policy/x`. */
  readonly writes: string[];
  /**
   * Bulk requests in arrival order (only with `keepBulkBodies`): the index their URL names (`POST /<index>/_bulk`,
   * the default of action lines without `_index`; undefined for `POST /_bulk`) and the body, uncompressed.
   * `bulkItems` reads them as Elasticsearch does.
   */
  readonly bulkRequests: KeptBulkRequest[];
  /** Close the listener and drop every connection: clients get ECONNREFUSED until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEsTestServer(options: EsTestServerOptions = {}): Promise<EsTestServer> {
  const version = options.version ?? '8.15.0';
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const parsingType =
    major > 8 || (major === 8 && minor >= 8) ? 'document_parsing_exception' : 'mapper_parsing_exception';
  const logsdb = options.logsdb ?? major >= 9;
  const cluster = new ClusterImpl({
    parsingType,
    storeSources: options.storeSources ?? true,
    checkMappings: options.checkMappings ?? true,
    major,
    minor,
    logsdbEnabled: logsdb,
    autoCreateIndex: options.autoCreateIndex ?? true,
    now: options.now ?? (() => new Date()),
  });
  if (options.builtinLogsTemplate ?? true) {
    const b = builtinLogsAssets({ logsdb, major, minor });
    for (const [n, body] of Object.entries(b.componentTemplates))
      cluster.templates.installBuiltin('component', n, body);
    for (const [n, body] of Object.entries(b.indexTemplates))
      cluster.templates.installBuiltin('index', n, body);
    for (const [n, body] of Object.entries(b.ilmPolicies)) cluster.templates.installBuiltin('ilm', n, body);
    for (const [n, body] of Object.entries(b.pipelines))
      cluster.templates.installBuiltin('pipeline', n, body);
  }

  // Security: anonymous superuser unless credentials are required.
  const auth = options.auth;
  const security = new Security({
    ...(options.security ?? {}),
    ...(auth ? { anonymous: false } : {}),
  });
  const testRoles =
    options.deniedPrivileges && options.deniedPrivileges.length > 0 ? ['test_principal'] : ['superuser'];
  if (options.deniedPrivileges && options.deniedPrivileges.length > 0)
    security.putRole('test_principal', Security.roleWithout(options.deniedPrivileges));
  if (!options.security?.users?.elastic)
    security.putUser('elastic', auth?.password ?? 'changeme', ['superuser']);
  if (auth?.username !== undefined) security.putUser(auth.username, auth.password ?? '', testRoles);
  if (auth?.apiKey !== undefined) {
    security.putUser('test_key_owner', randomPassword(), testRoles);
    security.registerEncodedKey(auth.apiKey, 'test_key_owner');
  }
  if (!auth && options.security?.anonymous === undefined) security.anonymousRoles = testRoles;

  const stats: EsTestServerStats = {
    requests: 0,
    bulkRequests: 0,
    bulkItems: 0,
    itemsByStatus: {},
    resets: 0,
    requestErrors: {},
    bulkBytes: 0,
    maxConcurrentBulk: 0,
    gzipRequests: 0,
  };
  const faults = new EsFaultInjector(options.seed ?? 1, options.faults ?? {}, parsingType);
  const writes: string[] = [];
  const bulkRequests: KeptBulkRequest[] = [];
  const api = new RestApi({
    cluster,
    security,
    faults,
    stats,
    version,
    major,
    minor,
    writes,
    ...(options.keepBulkBodies === true ? { bulkRequests } : {}),
  });
  const front = new HttpFront({
    major,
    maxContentLength: options.maxContentLength ?? 100 * 1024 * 1024,
    faults: () => faults.faults,
    onRequest: () => {
      stats.requests += 1;
    },
    authenticate: (h, uri) => security.authenticate(h, uri),
    handle: async (req, principal) => {
      const r = await api.handle(req, principal);
      if (r.reset) stats.resets += 1;
      return r;
    },
    onGzip: () => {
      stats.gzipRequests += 1;
    },
    onError: (status) => {
      stats.requestErrors[status] = (stats.requestErrors[status] ?? 0) + 1;
    },
    onBulkOpen: (open) => {
      stats.maxConcurrentBulk = Math.max(stats.maxConcurrentBulk, open);
    },
  });
  await front.listen(options.port ?? 0);

  const legacyView = (): Map<string, StoredIndex> => {
    const out = new Map<string, StoredIndex>();
    for (const ds of cluster.dataStreams.values()) {
      const write = cluster.writeIndexOf(ds);
      out.set(ds.name, {
        name: ds.name,
        dataStream: true,
        get docs() {
          return docsOf(ds.name);
        },
        mapping: write.mapping,
        settings: write.settings,
        template: ds.template,
      });
    }
    for (const idx of cluster.indices.values()) {
      if (idx.dataStream !== undefined) continue;
      out.set(idx.name, {
        name: idx.name,
        dataStream: false,
        docs: idx.docs,
        mapping: idx.mapping,
        settings: idx.settings,
        ...(idx.template !== undefined ? { template: idx.template } : {}),
      });
    }
    return out;
  };
  const docsOf = (name: string): ReadonlyMap<string, Record<string, unknown> | null> => {
    const ds = cluster.dataStreams.get(name);
    if (ds) {
      if (ds.indices.length === 1) return ds.indices[0]!.docs;
      const merged = new Map<string, Record<string, unknown> | null>();
      for (const i of ds.indices) for (const [k, v] of i.docs) merged.set(k, v);
      return merged;
    }
    return cluster.indices.get(name)?.docs ?? new Map();
  };

  return {
    url: `http://127.0.0.1:${front.port}`,
    port: front.port,
    version,
    stats,
    cluster,
    security,
    get indices() {
      return legacyView();
    },
    componentTemplates: cluster.templates.componentTemplates,
    indexTemplates: cluster.templates.indexTemplates,
    ilmPolicies: cluster.templates.ilmPolicies,
    writes,
    bulkRequests,
    docs: docsOf,
    documents(name) {
      const ds = cluster.dataStreams.get(name);
      const list = ds ? ds.indices : cluster.indices.has(name) ? [cluster.indices.get(name)!] : [];
      return list.flatMap((i) =>
        [...i.docs].map(([id, source]) => {
          const m = i.meta.get(id)!;
          return {
            index: i.name,
            id,
            source,
            seqNo: m.seqNo,
            primaryTerm: m.primaryTerm,
            version: m.version,
            ...(m.ignored ? { ignored: m.ignored } : {}),
          };
        }),
      );
    },
    totalDocs: () =>
      [...cluster.indices.values()]
        .filter((i) => !i.name.startsWith('.fs-'))
        .reduce((n, i) => n + i.docs.size, 0),
    createApiKey(roleDescriptors = {}, opts = {}) {
      const owner = opts.owner ?? 'elastic';
      const user = security.users.get(owner);
      if (!user) throw new Error(`no user ${owner}`);
      const r = security.createApiKey(
        { username: owner, roles: user.roles, anonymous: false, realm: 'default_native' },
        { name: opts.name ?? 'test-key', role_descriptors: roleDescriptors },
      );
      return { id: r.id, encoded: r.encoded };
    },
    setFaults(f) {
      const wasStalled = faults.faults.stall === true;
      faults.faults = { ...f };
      if (wasStalled && !f.stall) front.liftStall();
    },
    down: () => front.down(),
    up: () => front.up(),
    stop: () => front.down(),
  };
}

function randomPassword(): string {
  return Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}
