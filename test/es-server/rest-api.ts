// The REST endpoints the test server implements, each with the transport action Elasticsearch authorizes it as
// (the action names of the REST handlers' transport actions: cluster:monitor/main, indices:admin/index_template/put,
// cluster:admin/component_template/put, cluster:admin/ilm/put, indices:admin/data_stream/create,
// indices:admin/rollover, indices:data/write/bulk, indices:data/read/search, ...). Cluster actions are checked
// against the cluster privileges, index actions against the index privileges on the named targets (a wildcard
// target is narrowed to what the principal may see, as IndicesAndAliasesResolver does); `_has_privileges` and
// `_authenticate` are allowed to every authenticated user (RBACEngine's same-user checks).

import { randomBytes } from 'node:crypto';
import type { BulkStats, KeptBulkRequest } from './bulk.js';
import { parseBulk, runBulk, validateBulk } from './bulk.js';
import { indexSettingsError, parseCreateIndexBody } from './body-validation.js';
import type { Cluster, DataStream } from './cluster.js';
import { EsError, errorBody, illegalArgument, javaToString } from './errors.js';
import type { EsFaultInjector } from './faults.js';
import type { EsRequest, EsResponse } from './http-front.js';
import { STATIC_SETTINGS, normalizeSettings } from './index-settings.js';
import type { ConcreteIndex } from './indices.js';
import { notFound } from './indices.js';
import { mappingError } from './mapping-validate.js';
import { mergeMappings, unflattenMapping } from './mapping-state.js';
import { globMatch } from './glob.js';
import { count, search } from './search.js';
import type { Principal, Security } from './security.js';
import { nestSettings } from './templates.js';
import { executeItem, autoCreate } from './write-path.js';
import type { WriteContext, WriteItem } from './write-path.js';

export interface RestContext {
  cluster: Cluster;
  security: Security;
  faults: EsFaultInjector;
  stats: BulkStats & { bulkRequests: number; bulkBytes: number };
  version: string;
  major: number;
  minor: number;
  writes: string[];
  /** Where bulk request bodies are kept (EsTestServerOptions.keepBulkBodies). */
  bulkRequests?: KeptBulkRequest[];
}

const BUILD = {
  build_flavor: 'default',
  build_type: 'tar',
  build_hash: '0000000000000000000000000000000000000000',
  build_date: '2026-01-01T00:00:00.000Z',
  build_snapshot: false,
  lucene_version: '9.12.0',
  minimum_wire_compatibility_version: '7.17.0',
  minimum_index_compatibility_version: '7.0.0',
};

function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new EsError(400, 'parse_exception', 'request body is required to be a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    if (e instanceof EsError) throw e;
    throw new EsError(
      400,
      'x_content_parse_exception',
      `[1:1] Unexpected character: ${(e as Error).message}`,
      {},
      {
        type: 'json_parse_exception',
        reason: (e as Error).message,
      },
    );
  }
}

function ok(body: unknown, status = 200, headers?: Record<string, string>): EsResponse {
  return { status, body, ...(headers ? { headers } : {}) };
}

const ACK = { acknowledged: true };

export class RestApi {
  constructor(private readonly c: RestContext) {}

  private get cluster(): Cluster {
    return this.c.cluster;
  }

  private get security(): Security {
    return this.c.security;
  }

  private writeCtx(p: Principal): WriteContext {
    const { major, minor } = this.c;
    return {
      cluster: this.cluster,
      security: this.security,
      principal: p,
      failureStoreField: major > 9 || (major === 9 && minor >= 1) || (major === 8 && minor >= 19),
    };
  }

  /** Authorize an index action on explicit names (403) after expanding wildcards to the permitted ones. */
  private authorizedNames(
    p: Principal,
    action: string,
    expr: string,
  ): { names: string[]; missing: string[] } {
    const r = this.cluster.resolveExpression(expr);
    const explicit = expr.split(',').filter((x) => !x.includes('*') && x !== '_all');
    for (const n of explicit) {
      const ds = this.cluster.indices.get(n)?.dataStream;
      if (!this.security.indexAllowed(p, action, n, ds)) throw this.security.denied(p, action, [n]);
    }
    const names = r.names.filter((n) => {
      const ds = this.cluster.indices.get(n)?.dataStream;
      return this.security.indexAllowed(p, action, n, ds);
    });
    return { names, missing: r.missing };
  }

  async handle(req: EsRequest, principal: unknown): Promise<EsResponse> {
    const p = principal as Principal;
    const { method, parts } = req;
    const isBulk = parts[parts.length - 1] === '_bulk';
    const readOnly = ['_has_privileges', '_refresh', '_count', '_search', '_authenticate'];
    if (method !== 'GET' && method !== 'HEAD' && !isBulk && !parts.some((x) => readOnly.includes(x)))
      this.c.writes.push(`${method} /${parts.join('/')}`);
    const [p0, p1, p2] = parts;
    const cluster = (action: string): void => this.security.requireCluster(p, action);

    if (parts.length === 0) {
      if (method !== 'GET' && method !== 'HEAD') return this.badMethod(req, ['GET', 'HEAD']);
      cluster('cluster:monitor/main');
      return ok({
        name: 'es-test-server',
        cluster_name: 'casguard-test',
        cluster_uuid: 'casguard-test-uuid',
        version: {
          number: this.c.version,
          ...BUILD,
          // The Lucene line and the compatibility floor of the major (9.x: Lucene 10, reads 8.x indices).
          ...(this.c.major >= 9
            ? {
                lucene_version: '10.2.2',
                minimum_wire_compatibility_version: '8.18.0',
                minimum_index_compatibility_version: '8.0.0',
              }
            : {}),
        },
        tagline: 'You Know, for Search',
      });
    }
    if (isBulk && (method === 'POST' || method === 'PUT'))
      return this.bulk(req, p, parts.length === 2 ? p0 : undefined);

    switch (p0) {
      case '_cluster':
        return this.clusterApi(req, p);
      case '_index_template':
        return this.indexTemplates(req, p);
      case '_component_template':
        return this.componentTemplates(req, p);
      case '_ilm':
        if (p1 === 'policy') return this.ilm(req, p);
        break;
      case '_data_stream':
        return this.dataStreams(req, p);
      case '_resolve':
        if (p1 === 'index') return this.resolveIndex(req, p, p2 ?? '*');
        break;
      case '_security':
        return this.securityApi(req, p);
      case '_refresh':
        return this.refresh(p, '_all');
      case '_search':
        return this.search(req, p, '_all');
      case '_count':
        return this.count(req, p, '_all');
      case '_mapping':
        // GET _mapping/field/<fields> (field mappings) is not modelled: refused, never answered as _mapping.
        if (method === 'GET' && p1 === undefined) return this.getMapping(p, '_all');
        break;
      default:
        if (p0 !== undefined && !p0.startsWith('_')) return this.indexApi(req, p, p0, p1, p2);
    }
    return this.noHandler(req);
  }

  private noHandler(req: EsRequest): EsResponse {
    // RestController#handleBadRequest: an endpoint the test server does not implement.
    return ok(
      {
        error: `no handler found for uri [${req.uri}] and method [${req.method}] (not implemented by the Elasticsearch test server)`,
        status: 400,
      },
      400,
    );
  }

  private badMethod(req: EsRequest, allowed: string[]): EsResponse {
    return ok(
      {
        error: `Incorrect HTTP method for uri [${req.uri}] and method [${req.method}], allowed: [${allowed.join(', ')}]`,
        status: 405,
      },
      405,
      { Allow: allowed.join(',') },
    );
  }

  private bulk(req: EsRequest, p: Principal, defaultIndex: string | undefined): EsResponse {
    this.c.stats.bulkRequests += 1;
    this.c.stats.bulkBytes += req.body.length;
    this.c.bulkRequests?.push({ index: defaultIndex, body: req.body });
    const before = this.c.faults.beforeBulk();
    if (before?.kind === 'reset') return { status: 0, reset: true };
    if (before?.kind === 'status') {
      const e = new EsError(before.status, before.type, before.reason);
      return { status: before.status, body: errorBody(e), headers: before.headers };
    }
    const opts = this.cluster.opts;
    const items = parseBulk(req.body.toString('utf8'), defaultIndex, opts.storeSources || opts.checkMappings);
    const invalid = validateBulk(items);
    if (invalid) throw invalid;
    let result: Record<string, unknown> = runBulk(this.writeCtx(p), items, this.c.faults, this.c.stats);
    if (this.c.faults.afterBulk()?.kind === 'reset') return { status: 0, reset: true };
    const fp = req.query.get('filter_path');
    if (fp) result = applyFilterPath(result, fp) as Record<string, unknown>;
    return ok(result);
  }

  private clusterApi(req: EsRequest, p: Principal): EsResponse {
    const [, p1] = req.parts;
    if (p1 === 'health') {
      this.security.requireCluster(p, 'cluster:monitor/health');
      const replicas = [...this.cluster.indices.values()].some(
        (i) => i.settings['index.number_of_replicas'] !== '0',
      );
      return ok({
        cluster_name: 'casguard-test',
        status: replicas ? 'yellow' : 'green',
        timed_out: false,
        number_of_nodes: 1,
        number_of_data_nodes: 1,
        active_primary_shards: this.cluster.indices.size,
        active_shards: this.cluster.indices.size,
        relocating_shards: 0,
        initializing_shards: 0,
        unassigned_shards: replicas ? this.cluster.indices.size : 0,
      });
    }
    if (p1 === 'settings') {
      if (req.method === 'GET') {
        this.security.requireCluster(p, 'cluster:monitor/settings');
        return ok({ persistent: this.clusterSettings(), transient: {} });
      }
      this.security.requireCluster(p, 'cluster:admin/settings/update');
      const body = parseJson(req.body);
      const applied: Record<string, Record<string, unknown>> = { persistent: {}, transient: {} };
      for (const scope of ['persistent', 'transient'] as const) {
        for (const [k, v] of Object.entries(normalizeFlat(body[scope]))) {
          if (k === 'action.auto_create_index')
            this.cluster.opts.autoCreateIndex = v === null ? true : javaToString(v) !== 'false';
          else if (k === 'cluster.logsdb.enabled')
            this.cluster.opts.logsdbEnabled = v === null ? this.c.major >= 9 : javaToString(v) === 'true';
          else throw illegalArgument(`${scope} setting [${k}], not recognized`);
          applied[scope]![k] = v === null ? null : String(v as string);
        }
      }
      return ok({ acknowledged: true, ...applied });
    }
    return this.noHandler(req);
  }

  private clusterSettings(): Record<string, unknown> {
    return {
      action: { auto_create_index: String(this.cluster.opts.autoCreateIndex) },
      cluster: { logsdb: { enabled: String(this.cluster.opts.logsdbEnabled) } },
    };
  }

  private indexTemplates(req: EsRequest, p: Principal): EsResponse {
    const [, name] = req.parts;
    const store = this.cluster.templates;
    if (req.method === 'PUT' || req.method === 'POST') {
      this.security.requireCluster(p, 'indices:admin/index_template/put');
      if (!name) return this.noHandler(req);
      store.putIndexTemplate(
        name,
        parseJson(req.body),
        req.body.toString('utf8'),
        req.query.get('create') === 'true',
      );
      return ok(ACK);
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      this.security.requireCluster(p, 'indices:admin/index_template/get');
      const found = [...store.indexTemplates.keys()].filter(
        (k) => name === undefined || name.split(',').some((n) => globMatch(n, k)),
      );
      if (name !== undefined && found.length === 0)
        throw new EsError(404, 'resource_not_found_exception', `index template matching [${name}] not found`);
      return ok({
        index_templates: found.map((n) => ({ name: n, index_template: store.indexTemplates.get(n) })),
      });
    }
    if (req.method === 'DELETE') {
      this.security.requireCluster(p, 'indices:admin/index_template/delete');
      const matching = [...store.indexTemplates.keys()].filter((k) => globMatch(name ?? '', k));
      if (matching.length === 0)
        throw new EsError(404, 'index_template_missing_exception', `index_template [${name}] missing`);
      for (const m of matching) {
        const users = [...this.cluster.dataStreams.values()]
          .filter((d) => d.template === m)
          .map((d) => d.name);
        if (users.length > 0)
          throw illegalArgument(
            `unable to remove composable templates [${m}] as they are in use by a data streams [${users.join(', ')}]`,
          );
      }
      for (const m of matching) store.indexTemplates.delete(m);
      return ok(ACK);
    }
    return this.badMethod(req, ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);
  }

  private componentTemplates(req: EsRequest, p: Principal): EsResponse {
    const [, name] = req.parts;
    const store = this.cluster.templates;
    if (req.method === 'PUT' || req.method === 'POST') {
      this.security.requireCluster(p, 'cluster:admin/component_template/put');
      if (!name) return this.noHandler(req);
      store.putComponentTemplate(
        name,
        parseJson(req.body),
        req.body.toString('utf8'),
        req.query.get('create') === 'true',
      );
      return ok(ACK);
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      this.security.requireCluster(p, 'cluster:admin/component_template/get');
      const found = [...store.componentTemplates.keys()].filter(
        (k) => name === undefined || name.split(',').some((n) => globMatch(n, k)),
      );
      if (name !== undefined && found.length === 0)
        throw new EsError(
          404,
          'resource_not_found_exception',
          `component template matching [${name}] not found`,
        );
      return ok({
        component_templates: found.map((n) => ({
          name: n,
          component_template: store.componentTemplates.get(n),
        })),
      });
    }
    if (req.method === 'DELETE') {
      this.security.requireCluster(p, 'cluster:admin/component_template/delete');
      store.deleteComponentTemplate(name ?? '');
      return ok(ACK);
    }
    return this.badMethod(req, ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);
  }

  private ilm(req: EsRequest, p: Principal): EsResponse {
    const name = req.parts[2];
    const store = this.cluster.templates;
    if (req.method === 'PUT') {
      this.security.requireCluster(p, 'cluster:admin/ilm/put');
      if (!name) return this.noHandler(req);
      store.putLifecyclePolicy(name, parseJson(req.body), req.body.toString('utf8'));
      return ok(ACK);
    }
    if (req.method === 'GET') {
      this.security.requireCluster(p, 'cluster:admin/ilm/get');
      const found = [...store.ilmPolicies.keys()].filter(
        (k) => name === undefined || name.split(',').includes(k),
      );
      if (name !== undefined && found.length === 0)
        throw new EsError(404, 'resource_not_found_exception', `Lifecycle policy not found: [${name}]`);
      return ok(Object.fromEntries(found.map((n) => [n, store.ilmPolicies.get(n)])));
    }
    if (req.method === 'DELETE') {
      this.security.requireCluster(p, 'cluster:admin/ilm/delete');
      if (!store.ilmPolicies.has(name ?? ''))
        throw new EsError(404, 'resource_not_found_exception', `Lifecycle policy not found: ${name}`);
      store.ilmPolicies.delete(name!);
      return ok(ACK);
    }
    return this.badMethod(req, ['GET', 'PUT', 'DELETE']);
  }

  /**
   * GET _resolve/index/<expr> (ResolveIndexAction, default IndicesOptions.strictExpandOpen: a missing explicit
   * name is a 404, wildcards expand to what the caller may see, hidden backing indices through their stream).
   * Not modelled: aliases (always empty), `mode`, failure indices, closed indices, remote clusters.
   */
  private resolveIndex(req: EsRequest, p: Principal, expr: string): EsResponse {
    if (req.method !== 'GET') return this.badMethod(req, ['GET']);
    const action = 'indices:admin/resolve/index';
    const { names, missing } = this.authorizedNames(p, action, expr);
    if (missing.length > 0) throw notFound(missing[0]!);
    const indices: Record<string, unknown>[] = [];
    const dataStreams: Record<string, unknown>[] = [];
    const addIndex = (i: { name: string; settings: Record<string, unknown> }, ds?: string): void => {
      if (indices.some((x) => x.name === i.name)) return;
      const hidden = ds !== undefined || i.settings['index.hidden'] === 'true';
      indices.push({
        name: i.name,
        attributes: hidden ? ['hidden', 'open'] : ['open'],
        ...(ds ? { data_stream: ds } : {}),
      });
    };
    for (const n of names) {
      const ds = this.cluster.dataStreams.get(n);
      if (ds) {
        for (const i of ds.indices) addIndex(i, ds.name);
        dataStreams.push({
          name: ds.name,
          backing_indices: ds.indices.map((i) => i.name),
          timestamp_field: '@timestamp',
        });
      } else {
        const i = this.cluster.indices.get(n);
        if (i) addIndex(i, i.dataStream);
      }
    }
    const byName = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
      String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0;
    return ok({ indices: indices.sort(byName), aliases: [], data_streams: dataStreams.sort(byName) });
  }

  private dataStreams(req: EsRequest, p: Principal): EsResponse {
    const name = req.parts[1];
    if (req.method === 'PUT') {
      if (!name) return this.noHandler(req);
      this.security.requireIndex(p, 'indices:admin/data_stream/create', name);
      this.cluster.createDataStream(name);
      return ok(ACK);
    }
    if (req.method === 'GET') {
      const expr = name ?? '*';
      const found: DataStream[] = [];
      for (const part of expr.split(',')) {
        if (part.includes('*') || part === '_all') {
          for (const ds of this.cluster.dataStreams.values())
            if (
              globMatch(part === '_all' ? '*' : part, ds.name) &&
              this.security.indexAllowed(p, 'indices:admin/data_stream/get', ds.name) &&
              !found.includes(ds)
            )
              found.push(ds);
        } else {
          this.security.requireIndex(p, 'indices:admin/data_stream/get', part);
          const ds = this.cluster.dataStreams.get(part);
          if (!ds) throw notFound(part);
          if (!found.includes(ds)) found.push(ds);
        }
      }
      return ok({ data_streams: found.map((ds) => this.cluster.describeDataStream(ds)) });
    }
    if (req.method === 'DELETE') {
      if (!name) return this.noHandler(req);
      const targets = name.split(',');
      for (const t of targets) this.security.requireIndex(p, 'indices:admin/data_stream/delete', t);
      const matched = targets.flatMap((t) =>
        t.includes('*') ? [...this.cluster.dataStreams.keys()].filter((k) => globMatch(t, k)) : [t],
      );
      for (const t of matched) if (!this.cluster.dataStreams.has(t)) throw notFound(t);
      for (const t of matched) this.cluster.deleteDataStream(t);
      return ok(ACK);
    }
    return this.badMethod(req, ['GET', 'PUT', 'DELETE']);
  }

  private securityApi(req: EsRequest, p: Principal): EsResponse {
    const [, p1, p2, p3] = req.parts;
    if (p1 === 'user' && (p2 === '_has_privileges' || p3 === '_has_privileges'))
      return ok(this.security.hasPrivileges(p, parseJson(req.body)));
    if (p1 === '_authenticate') return ok(this.security.authenticateResponse(p));
    if (p1 === 'api_key' && (req.method === 'POST' || req.method === 'PUT')) {
      this.security.requireCluster(p, 'cluster:admin/xpack/security/api_key/create');
      return ok(this.security.createApiKey(p, parseJson(req.body) as never));
    }
    if (p1 === 'role' && p2 !== undefined) {
      if (req.method === 'GET') {
        this.security.requireCluster(p, 'cluster:admin/xpack/security/role/get');
        const r = this.security.roles.get(p2);
        if (!r) return ok({}, 404);
        return ok({ [p2]: r });
      }
      this.security.requireCluster(p, 'cluster:admin/xpack/security/role/put');
      const existed = this.security.roles.has(p2);
      this.security.putRole(p2, parseJson(req.body));
      return ok({ role: { created: !existed } });
    }
    if (p1 === 'user' && p2 !== undefined && (req.method === 'PUT' || req.method === 'POST')) {
      this.security.requireCluster(p, 'cluster:admin/xpack/security/user/put');
      const b = parseJson(req.body) as { password?: string; roles?: string[] };
      const existed = this.security.users.has(p2);
      this.security.putUser(p2, b.password ?? '', b.roles ?? []);
      return ok({ created: !existed });
    }
    return this.noHandler(req);
  }

  private refresh(p: Principal, expr: string): EsResponse {
    const { names, missing } = this.authorizedNames(p, 'indices:admin/refresh', expr);
    if (missing.length > 0) throw notFound(missing[0]!);
    const n = this.cluster.concrete(names).length;
    return ok({ _shards: { total: n * 2, successful: n, failed: 0 } });
  }

  private targets(p: Principal, action: string, expr: string): ConcreteIndex[] {
    const { names, missing } = this.authorizedNames(p, action, expr);
    if (missing.length > 0) throw notFound(missing[0]!);
    return this.cluster.concrete(names);
  }

  private searchBody(req: EsRequest): Record<string, unknown> {
    const body = parseJson(req.body);
    const q = req.query;
    if (q.get('size') !== null) body.size = Number(q.get('size'));
    if (q.get('from') !== null) body.from = Number(q.get('from'));
    if (q.get('seq_no_primary_term') !== null)
      body.seq_no_primary_term = q.get('seq_no_primary_term') === 'true';
    if (q.get('version') !== null) body.version = q.get('version') === 'true';
    if (q.get('sort') !== null)
      body.sort = q
        .get('sort')!
        .split(',')
        .map((s) => {
          const [f, o] = s.split(':');
          return o ? { [f!]: o } : f;
        });
    if (q.get('q') !== null)
      throw illegalArgument('the Elasticsearch test server does not implement query_string (q=)');
    if (q.get('track_total_hits') !== null)
      body.track_total_hits =
        q.get('track_total_hits') === 'true'
          ? true
          : q.get('track_total_hits') === 'false'
            ? false
            : Number(q.get('track_total_hits'));
    return body;
  }

  private search(req: EsRequest, p: Principal, expr: string): EsResponse {
    if (req.method !== 'GET' && req.method !== 'POST') return this.badMethod(req, ['GET', 'POST']);
    const indices = this.targets(p, 'indices:data/read/search', expr);
    const body = this.searchBody(req);
    const known = [
      'query',
      'size',
      'from',
      'sort',
      '_source',
      'track_total_hits',
      'seq_no_primary_term',
      'version',
    ];
    for (const k of Object.keys(body))
      if (!known.includes(k))
        throw new EsError(
          400,
          'x_content_parse_exception',
          `[1:2] [search] ${k} is not supported by the Elasticsearch test server`,
        );
    return ok(search(indices, body));
  }

  private count(req: EsRequest, p: Principal, expr: string): EsResponse {
    const indices = this.targets(p, 'indices:data/read/search', expr);
    const body = parseJson(req.body);
    return ok(count(indices, body.query));
  }

  private getMapping(p: Principal, expr: string): EsResponse {
    const indices = this.targets(p, 'indices:admin/mappings/get', expr);
    return ok(Object.fromEntries(indices.map((i) => [i.name, { mappings: unflattenMapping(i.mapping) }])));
  }

  private indexInfo(i: ConcreteIndex): Record<string, unknown> {
    return {
      aliases: {},
      mappings: unflattenMapping(i.mapping),
      settings: nestSettings(i.settings),
      ...(i.dataStream !== undefined ? { data_stream: i.dataStream } : {}),
    };
  }

  private async indexApi(
    req: EsRequest,
    p: Principal,
    target: string,
    p1?: string,
    p2?: string,
  ): Promise<EsResponse> {
    const m = req.method;
    if (p1 === undefined) {
      if (m === 'PUT') {
        this.security.requireIndex(p, 'indices:admin/create', target);
        const body = parseJson(req.body);
        const settings = parseCreateIndexBody(body);
        const se = indexSettingsError(settings);
        if (se) throw se;
        const me = mappingError(body.mappings);
        if (me) throw me;
        this.cluster.createIndex(target, { settings, mappings: body.mappings });
        return ok({ acknowledged: true, shards_acknowledged: true, index: target });
      }
      if (m === 'GET' || m === 'HEAD') {
        const indices = this.targets(p, 'indices:admin/get', target);
        if (m === 'HEAD') return ok(undefined, indices.length > 0 ? 200 : 404);
        return ok(Object.fromEntries(indices.map((i) => [i.name, this.indexInfo(i)])));
      }
      if (m === 'DELETE') {
        for (const t of target.split(',')) {
          this.security.requireIndex(p, 'indices:admin/delete', t);
          this.cluster.deleteIndex(t);
        }
        return ok(ACK);
      }
      return this.badMethod(req, ['GET', 'HEAD', 'PUT', 'DELETE']);
    }
    switch (p1) {
      case '_bulk':
        return this.bulk(req, p, target);
      case '_refresh':
        return this.refresh(p, target);
      case '_search':
        return this.search(req, p, target);
      case '_count':
        return this.count(req, p, target);
      case '_rollover': {
        if (m !== 'POST') return this.badMethod(req, ['POST']);
        this.security.requireIndex(p, 'indices:admin/rollover', target);
        const r = this.cluster.rollover(target, parseJson(req.body), {
          dryRun: req.query.get('dry_run') === 'true',
          lazy: req.query.get('lazy') === 'true',
        });
        return ok(r);
      }
      case '_mapping':
        // <index>/_mapping/field/<fields> is not modelled: refused, never answered as the whole mapping.
        if (p2 !== undefined) break;
        if (m === 'GET') return this.getMapping(p, target);
        if (m === 'PUT' || m === 'POST') return this.putMapping(req, p, target);
        break;
      case '_settings':
        if (m === 'GET') {
          const indices = this.targets(p, 'indices:monitor/settings/get', target);
          // `flat_settings=true` answers `index.x.y` keys, as Settings#toXContent does with that parameter.
          const flat = req.query.get('flat_settings') === 'true';
          return ok(
            Object.fromEntries(
              indices.map((i) => [i.name, { settings: flat ? { ...i.settings } : nestSettings(i.settings) }]),
            ),
          );
        }
        if (m === 'PUT') return this.putSettings(req, p, target);
        break;
      case '_doc':
      case '_create':
      case '_update':
      case '_source':
        return this.document(req, p, target, p1, p2);
    }
    return this.noHandler(req);
  }

  private putMapping(req: EsRequest, p: Principal, target: string): EsResponse {
    const indices = this.targets(p, 'indices:admin/mapping/put', target);
    const body = parseJson(req.body);
    const me = mappingError(body);
    if (me) throw me;
    for (const i of indices) {
      // MapperService#merge with MergeReason.MAPPING_UPDATE: a field's type cannot change, at any depth, and a
      // constant_keyword's value, once set, neither (its merge validator: previous == null || equal).
      const check = (props: unknown, prefix: string): void => {
        if (props === null || typeof props !== 'object') return;
        for (const [name, d] of Object.entries(props as Record<string, Record<string, unknown>>)) {
          const k = `${prefix}${name}`;
          const cur = i.mapping.fields.get(k);
          const type = d.type as string | undefined;
          if (cur && type !== undefined && cur.type !== type)
            throw illegalArgument(`mapper [${k}] cannot be changed from type [${cur.type}] to [${type}]`);
          if (
            cur?.type === 'constant_keyword' &&
            cur.value !== undefined &&
            d.value !== undefined &&
            d.value !== cur.value
          )
            throw illegalArgument(
              `Cannot update parameter [value] from [${cur.value}] to [${typeof d.value === 'string' ? d.value : JSON.stringify(d.value)}]`,
            );
          check(d.properties, `${k}.`);
        }
      };
      check(body.properties, '');
    }
    for (const i of indices) mergeMappings(i.mapping, body);
    return ok(ACK);
  }

  private putSettings(req: EsRequest, p: Principal, target: string): EsResponse {
    const indices = this.targets(p, 'indices:admin/settings/update', target);
    const flat = normalizeSettings(parseJson(req.body).settings ?? parseJson(req.body));
    const se = indexSettingsError(flat);
    if (se) throw se;
    const stat = Object.keys(flat).filter((k) => STATIC_SETTINGS.has(k));
    if (stat.length > 0)
      throw illegalArgument(
        `Can't update non dynamic settings [[${stat.join(', ')}]] for open indices [${indices.map((i) => `[${i.name}/${i.uuid}]`).join(', ')}]`,
      );
    for (const i of indices) Object.assign(i.settings, flat);
    return ok(ACK);
  }

  private singleIndexOrRefuse(p: Principal, action: string, target: string): ConcreteIndex {
    if (this.cluster.dataStreams.has(target))
      throw illegalArgument(
        `The provided expression [${target}] matches a data stream, specify the corresponding concrete indices instead.`,
      );
    const idx = this.cluster.indices.get(target);
    this.security.requireIndex(p, action, target, idx?.dataStream);
    if (!idx) throw notFound(target);
    return idx;
  }

  private document(req: EsRequest, p: Principal, target: string, kind: string, id?: string): EsResponse {
    const m = req.method;
    const q = req.query;
    if ((kind === '_doc' || kind === '_source') && (m === 'GET' || m === 'HEAD') && id !== undefined) {
      const idx = this.singleIndexOrRefuse(p, 'indices:data/read/get', target);
      const r = idx.get(id);
      if (m === 'HEAD') return ok(undefined, r.status);
      if (kind === '_source') {
        if (r.status === 404)
          throw new EsError(404, 'resource_not_found_exception', `Document not found [${target}]/[${id}]`);
        return ok(r.body._source);
      }
      return ok(r.body, r.status);
    }
    if (kind === '_doc' && m === 'DELETE' && id !== undefined) {
      this.security.requireIndex(
        p,
        'indices:data/write/delete',
        target,
        this.cluster.indices.get(target)?.dataStream,
      );
      return this.singleWrite(p, { op: 'delete', index: target, id, autoId: false, ...this.casParams(q) });
    }
    if (kind === '_update' && m === 'POST' && id !== undefined) {
      this.security.requireIndex(
        p,
        'indices:data/write/update',
        target,
        this.cluster.indices.get(target)?.dataStream,
      );
      return this.singleWrite(p, {
        op: 'update',
        index: target,
        id,
        autoId: false,
        body: parseJson(req.body),
        ...this.casParams(q),
      });
    }
    if ((kind === '_doc' || kind === '_create') && (m === 'PUT' || m === 'POST')) {
      if (kind === '_create' && id === undefined) return this.noHandler(req);
      if (kind === '_doc' && id === undefined && m === 'PUT') return this.badMethod(req, ['POST']);
      this.security.requireIndex(
        p,
        'indices:data/write/index',
        target,
        this.cluster.indices.get(target)?.dataStream,
      );
      // RestIndexAction: _create and op_type=create are creates; an auto-generated id is always a create.
      const op = kind === '_create' || q.get('op_type') === 'create' || id === undefined ? 'create' : 'index';
      const body = parseJson(req.body);
      return this.singleWrite(p, {
        op,
        index: target,
        id: id ?? randomBytes(15).toString('base64url').slice(0, 20),
        autoId: id === undefined,
        body,
        raw: req.body.toString('utf8'),
        ...this.casParams(q),
      });
    }
    return this.noHandler(req);
  }

  private casParams(q: URLSearchParams): { ifSeqNo?: number; ifPrimaryTerm?: number } {
    return {
      ...(q.get('if_seq_no') !== null ? { ifSeqNo: Number(q.get('if_seq_no')) } : {}),
      ...(q.get('if_primary_term') !== null ? { ifPrimaryTerm: Number(q.get('if_primary_term')) } : {}),
    };
  }

  /** A single-document write runs as a bulk of one item (TransportSingleItemBulkWriteAction). */
  private singleWrite(p: Principal, item: WriteItem): EsResponse {
    const invalid = validateBulk([item]);
    if (invalid) throw invalid;
    const ctx = this.writeCtx(p);
    const refused = autoCreate(ctx, [item.index]).get(item.index);
    if (refused) throw refused;
    const r = executeItem(ctx, item, () => item.id!);
    if (r.body.error !== undefined) {
      const e = r.body.error as { type: string; reason: string; caused_by?: unknown; [k: string]: unknown };
      const { type, reason, caused_by: causedBy, ...extra } = e;
      throw new EsError(r.status, type, reason, extra, causedBy as never);
    }
    return ok(r.body, r.status);
  }
}

/** `filter_path` as Elasticsearch applies it: comma-separated dotted paths with `*` wildcards. */
export function applyFilterPath(value: unknown, filter: string): unknown {
  const patterns = filter
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => p.split('.'));
  const f = (v: unknown, pats: string[][]): unknown => {
    if (Array.isArray(v)) return v.map((x) => f(x, pats)).filter((x) => x !== undefined);
    if (typeof v !== 'object' || v === null) return undefined;
    const out: Record<string, unknown> = {};
    let any = false;
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const rest: string[][] = [];
      let whole = false;
      for (const pat of pats) {
        if (pat[0] === '**' || globMatch(pat[0]!, k)) {
          if (pat.length === 1) whole = true;
          else rest.push(pat.slice(1));
        }
      }
      if (whole) {
        out[k] = child;
        any = true;
      } else if (rest.length > 0) {
        const sub = f(child, rest);
        if (
          sub !== undefined &&
          !(typeof sub === 'object' && sub !== null && Object.keys(sub).length === 0)
        ) {
          out[k] = sub;
          any = true;
        }
      }
    }
    return any ? out : undefined;
  };
  return f(value, patterns) ?? {};
}

function normalizeFlat(v: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (x: unknown, prefix: string): void => {
    if (typeof x === 'object' && x !== null && !Array.isArray(x)) {
      for (const [k, y] of Object.entries(x)) walk(y, prefix ? `${prefix}.${k}` : k);
    } else out[prefix] = x;
  };
  walk(v ?? {}, '');
  return out;
}
