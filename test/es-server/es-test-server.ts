// An Elasticsearch-compatible HTTP test server on 127.0.0.1 that the real @elastic/elasticsearch client talks
// to (ARCHITECTURE.md: no Elasticsearch can be installed here). It is faithful where casguard's correctness
// depends on it and simple elsewhere:
// - `GET /` with a version; `x-elastic-product: Elasticsearch` on every response (the client's product check);
// - the REST compatibility rule on Accept/Content-Type (`compatible-with=N`: N must be this major or the one
//   before, and a versioned Content-Type needs a versioned Accept of the same N), answered with
//   `media_type_header_exception` as Elasticsearch does;
// - gzip request bodies, `filter_path`, `http.max_content_length` (413);
// - `_bulk` with per-item results, `create` conflicts (409) on repeated ids, data streams that accept only
//   `create` and need `@timestamp`, auto-creation from index templates (highest priority wins; a built-in
//   `logs` template at priority 100 for `logs-*-*`; equal priorities with overlapping patterns are refused);
// - `_index_template`, `_component_template`, `_ilm/policy`, `_data_stream`, `_security/user/_has_privileges`,
//   index creation, `_doc` reads, `_count`, `_refresh`;
// - a mapping check that rejects documents whose field types contradict the installed mappings
//   (`document_parsing_exception` on 8.8+, `mapper_parsing_exception` before);
// - fault injection for `_bulk` (429 items, 400 items deterministic per id like a real mapping error, 503
//   requests, connection resets before or after the request was applied, slow responses, a stall, down/up).
// Faults draw from a seeded PRNG so a failing run can be repeated.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import {
  applyDynamic,
  checkDocument,
  emptyMappingState,
  mergeMappings,
  unflattenMapping,
} from './mapping-check.js';
import type { IndexMappingState } from './mapping-check.js';
import { mulberry32 } from '../helpers/prng.js';

export interface EsFaults {
  /** Fraction of bulk items answered 429 es_rejected_execution_exception (drawn per item per attempt). */
  item429Rate?: number;
  /**
   * Fraction of documents answered 400 document_parsing_exception. Chosen by a hash of the `_id`, so the same
   * document is rejected on every attempt, as a real mapping error would be.
   */
  item400Rate?: number;
  /** Fraction of bulk requests answered 503 as a whole. */
  request503Rate?: number;
  /** Every Nth bulk request is answered 503 (1-based; 0 = off). */
  request503Every?: number;
  /** Fraction of bulk requests answered 429 as a whole (indexing pressure / circuit breaker). */
  request429Rate?: number;
  /** Seconds put in `Retry-After` on request-level 429/503 answers. */
  retryAfterSeconds?: number;
  /** Fraction of bulk requests whose connection is reset before anything is applied. */
  resetBeforeRate?: number;
  /** Fraction of bulk requests whose connection is reset AFTER the items were applied (the client cannot know). */
  resetAfterRate?: number;
  /** Delay before every response (ms). */
  delayMs?: number;
  /** Hold every request unanswered until the stall is lifted (or the server stops). */
  stall?: boolean;
  /**
   * Fraction of bulk items answered without a usable status and not applied: alternately an item with
   * `error.type: unavailable_shards_exception` and no `status`, and one with `status: 0`. Not what a healthy
   * Elasticsearch answers; what a hostile or broken endpoint did in issue 19's adversarial run.
   */
  itemUnknownOutcomeRate?: number;
}

export interface EsTestServerOptions {
  /** Version reported by `GET /` and used for the compatibility rule. Default 8.15.0. */
  version?: string;
  port?: number;
  seed?: number;
  faults?: EsFaults;
  /** Default 100 MB like http.max_content_length. */
  maxContentLength?: number;
  /** Require these credentials (Authorization header) on every request; 401 otherwise. */
  auth?: { apiKey?: string; username?: string; password?: string };
  /** Privileges `_has_privileges` reports as missing (cluster or index privilege names). */
  deniedPrivileges?: string[];
  /** Keep parsed documents (default true). The bench turns this off and keeps only ids. */
  storeSources?: boolean;
  /** Check documents against mappings (default true). */
  checkMappings?: boolean;
  /** Install Elasticsearch's built-in `logs` index template (priority 100, logs-*-*). Default true. */
  builtinLogsTemplate?: boolean;
}

export interface StoredIndex {
  readonly name: string;
  /** Data stream name when this is a stream (documents are kept per stream, not per backing index). */
  readonly dataStream: boolean;
  readonly docs: Map<string, Record<string, unknown> | null>;
  readonly mapping: IndexMappingState;
  readonly settings: Record<string, unknown>;
  readonly template?: string;
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
  readonly stats: EsTestServerStats;
  /** Every index and data stream by name. */
  readonly indices: ReadonlyMap<string, StoredIndex>;
  readonly componentTemplates: ReadonlyMap<string, Record<string, unknown>>;
  readonly indexTemplates: ReadonlyMap<string, Record<string, unknown>>;
  readonly ilmPolicies: ReadonlyMap<string, Record<string, unknown>>;
  /** Documents of an index or data stream (empty map when absent). */
  docs(name: string): ReadonlyMap<string, Record<string, unknown> | null>;
  /** Total number of stored documents over every index. */
  totalDocs(): number;
  /** Replace the fault settings (merging is the caller's business). */
  setFaults(faults: EsFaults): void;
  /** Every mutating request (PUT/POST/DELETE other than _bulk and reads), in order, e.g. `PUT /_ilm/policy/x`. */
  readonly writes: string[];
  /** Close the listener and drop every connection: clients get ECONNREFUSED until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
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

/** A stable number in [0,1) from a document id (for the deterministic 400 fault). */
export function idFraction(id: string, seed = 0): number {
  const h = createHash('sha1').update(`${seed}:${id}`).digest();
  return h.readUInt32BE(0) / 4294967296;
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp('^' + pattern.split('*').map(escapeRe).join('.*') + '$');
}
function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
function patternsOverlap(a: string, b: string): boolean {
  return globToRegExp(a).test(b.replace(/\*/g, 'x')) || globToRegExp(b).test(a.replace(/\*/g, 'x'));
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(reason);
  }
}

function errorBody(
  status: number,
  type: string,
  reason: string,
  extra: Record<string, unknown> = {},
): unknown {
  const cause = { type, reason, ...extra };
  return { error: { root_cause: [cause], ...cause }, status };
}

/** `filter_path` as Elasticsearch applies it: comma-separated dotted paths with `*` wildcards. */
export function applyFilterPath(value: unknown, filter: string): unknown {
  const patterns = filter
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) => p.split('.'));
  const f = (v: unknown, pats: string[][]): unknown => {
    if (Array.isArray(v)) {
      const out = v.map((x) => f(x, pats)).filter((x) => x !== undefined);
      return out;
    }
    if (typeof v !== 'object' || v === null) return undefined;
    const out: Record<string, unknown> = {};
    let any = false;
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const rest: string[][] = [];
      let whole = false;
      for (const p of pats) {
        if (p[0] === '**' || globToRegExp(p[0]!).test(k)) {
          if (p.length === 1) whole = true;
          else rest.push(p.slice(1));
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

function compatVersions(header: string | undefined): number[] {
  if (!header) return [];
  return [...header.matchAll(/compatible-with\s*=\s*(\d+)/gi)].map((m) => Number(m[1]));
}

export async function startEsTestServer(options: EsTestServerOptions = {}): Promise<EsTestServer> {
  const version = options.version ?? '8.15.0';
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const parsingType =
    major > 8 || (major === 8 && minor >= 8) ? 'document_parsing_exception' : 'mapper_parsing_exception';
  const rnd = mulberry32(options.seed ?? 1);
  let faults: EsFaults = { ...(options.faults ?? {}) };
  const maxContentLength = options.maxContentLength ?? 100 * 1024 * 1024;
  const storeSources = options.storeSources ?? true;
  const checkMappings = options.checkMappings ?? true;

  const indices = new Map<string, StoredIndex>();
  const componentTemplates = new Map<string, Record<string, unknown>>();
  const indexTemplates = new Map<string, Record<string, unknown>>();
  const ilmPolicies = new Map<string, Record<string, unknown>>();
  const builtinTemplates = new Set<string>();
  const writes: string[] = [];
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
  let openBulk = 0;
  let bulkCounter = 0;
  const stalled = new Set<() => void>();

  if (options.builtinLogsTemplate ?? true) {
    indexTemplates.set('logs', {
      index_patterns: ['logs-*-*'],
      priority: 100,
      data_stream: { hidden: false, allow_custom_routing: false },
      composed_of: [],
      template: {
        mappings: {
          properties: {
            '@timestamp': { type: 'date' },
            data_stream: {
              properties: {
                type: { type: 'constant_keyword' },
                dataset: { type: 'constant_keyword' },
                namespace: { type: 'constant_keyword' },
              },
            },
          },
        },
      },
      _meta: { managed: true, description: 'built-in logs template (test server stand-in)' },
    });
    builtinTemplates.add('logs');
  }

  const checkAuth = (req: IncomingMessage): void => {
    const a = options.auth;
    if (!a) return;
    const h = req.headers.authorization ?? '';
    const ok =
      (a.apiKey !== undefined && h === `ApiKey ${a.apiKey}`) ||
      (a.username !== undefined &&
        h === `Basic ${Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64')}`);
    if (!ok)
      throw new HttpError(
        401,
        'security_exception',
        'missing authentication credentials for REST request [/]',
        {
          header: { 'WWW-Authenticate': ['ApiKey', 'Basic realm="security" charset="UTF-8"'] },
        },
      );
  };

  const checkMediaTypes = (req: IncomingMessage, hasBody: boolean): void => {
    const accept = req.headers.accept;
    const ctype = req.headers['content-type'];
    const av = compatVersions(accept);
    const cv = hasBody ? compatVersions(ctype) : [];
    const allowed = [major, major - 1];
    const bad = (msg: string): never => {
      throw new HttpError(
        400,
        'media_type_header_exception',
        'Invalid media-type value on headers [Accept, Content-Type]',
        {
          caused_by: { type: 'status_exception', reason: msg },
        },
      );
    };
    for (const v of av)
      if (!allowed.includes(v))
        bad(
          `Accept version must be either version ${major} or ${major - 1}, but found ${v}. Accept=${accept}`,
        );
    for (const v of cv)
      if (!allowed.includes(v))
        bad(
          `Content-Type version must be either version ${major} or ${major - 1}, but found ${v}. Content-Type=${ctype}`,
        );
    if (new Set(av).size > 1) bad(`Accept header mixes versions. Accept=${accept}`);
    if (hasBody && ctype !== undefined) {
      if ((cv.length > 0 && av.length === 0 && accept !== undefined) || (av.length > 0 && cv.length === 0)) {
        bad(
          `A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version. Accept=${accept}, Content-Type=${ctype}`,
        );
      }
      if (cv.length > 0 && av.length > 0 && cv[0] !== av[0]) {
        bad(
          `Content-Type and Accept version requested have to match. Accept=${accept}, Content-Type=${ctype}`,
        );
      }
    }
  };

  const matchTemplate = (name: string): [string, Record<string, unknown>] | undefined => {
    let best: [string, Record<string, unknown>] | undefined;
    for (const [tname, t] of indexTemplates) {
      const pats = (t.index_patterns as string[]) ?? [];
      if (!pats.some((p) => globToRegExp(p).test(name))) continue;
      const prio = Number(t.priority ?? 0);
      if (!best || prio > Number(best[1].priority ?? 0)) best = [tname, t];
    }
    return best;
  };

  const resolveTemplate = (
    t: Record<string, unknown>,
  ): { mapping: IndexMappingState; settings: Record<string, unknown> } => {
    const mapping = emptyMappingState();
    const settings: Record<string, unknown> = {};
    for (const c of (t.composed_of as string[]) ?? []) {
      const ct = componentTemplates.get(c);
      const tpl = (ct?.template ?? {}) as Record<string, unknown>;
      mergeMappings(mapping, tpl.mappings);
      Object.assign(settings, tpl.settings ?? {});
    }
    const own = (t.template ?? {}) as Record<string, unknown>;
    mergeMappings(mapping, own.mappings);
    Object.assign(settings, own.settings ?? {});
    return { mapping, settings };
  };

  const createIndex = (
    name: string,
    opts: { dataStream?: boolean; body?: Record<string, unknown> } = {},
  ): StoredIndex => {
    const m = matchTemplate(name);
    const wantsStream = opts.dataStream ?? (m !== undefined && m[1].data_stream !== undefined);
    if (opts.dataStream && (!m || m[1].data_stream === undefined)) {
      throw new HttpError(
        404,
        'index_not_found_exception',
        `no matching index template found for data stream [${name}]`,
        {
          'resource.type': 'index_or_alias',
          'resource.id': name,
          index: name,
        },
      );
    }
    const resolved = m ? resolveTemplate(m[1]) : { mapping: emptyMappingState(), settings: {} };
    if (opts.body) {
      mergeMappings(resolved.mapping, opts.body.mappings);
      Object.assign(resolved.settings, opts.body.settings ?? {});
    }
    const idx: StoredIndex = {
      name,
      dataStream: wantsStream,
      docs: new Map(),
      mapping: resolved.mapping,
      settings: resolved.settings,
      ...(m ? { template: m[0] } : {}),
    };
    indices.set(name, idx);
    return idx;
  };

  const backingName = (ds: string): string => {
    const d = new Date();
    const day = `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
    return `.ds-${ds}-${day}-000001`;
  };

  const validIndexName = (name: string): string | undefined => {
    if (name !== name.toLowerCase()) return 'must be lowercase';
    if (/^[-_+]/.test(name)) return "must not start with '_', '-', or '+'";
    if (/[\\/*?"<>| ,#:]/.test(name))
      return 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]';
    return undefined;
  };

  /** An item answered without a `status` field (itemUnknownOutcomeRate). */
  const NO_STATUS = -1;
  let unknownOutcomes = 0;
  interface ItemResult {
    status: number;
    body: Record<string, unknown>;
  }

  const bulk = (bodyText: string, defaultIndex: string | undefined): Record<string, unknown> => {
    const started = Date.now();
    const lines = bodyText.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    else if (lines.length > 0) {
      throw new HttpError(
        400,
        'illegal_argument_exception',
        'The bulk request must be terminated by a newline [\\n]',
      );
    }
    const items: Record<string, ItemResult['body']>[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i++) {
      let action: Record<string, Record<string, unknown>>;
      try {
        action = JSON.parse(lines[i]!) as Record<string, Record<string, unknown>>;
      } catch {
        throw new HttpError(
          400,
          'x_content_parse_exception',
          `[1:1] Unexpected character in action line ${i + 1}`,
        );
      }
      const op = Object.keys(action)[0]!;
      const meta = action[op] ?? {};
      if (!['create', 'index', 'delete', 'update'].includes(op)) {
        throw new HttpError(
          400,
          'illegal_argument_exception',
          `Malformed action/metadata line [${i + 1}], expected one of [create, delete, index, update] but found [${op}]`,
        );
      }
      const sourceLine = op === 'delete' ? undefined : lines[++i];
      if (op !== 'delete' && sourceLine === undefined) {
        throw new HttpError(
          400,
          'action_request_validation_exception',
          'Validation Failed: 1: no requests added;',
        );
      }
      const index = (meta._index as string | undefined) ?? defaultIndex;
      const id =
        (meta._id as string | undefined) ??
        createHash('sha1').update(`${Date.now()}:${i}:${rnd()}`).digest('base64url').slice(0, 20);
      const r = bulkItem(op, index, id, sourceLine);
      stats.bulkItems += 1;
      stats.itemsByStatus[r.status] = (stats.itemsByStatus[r.status] ?? 0) + 1;
      if (r.status >= 300 || r.status <= 0) errors = true;
      items.push({ [op]: r.status === NO_STATUS ? r.body : { ...r.body, status: r.status } });
    }
    return { errors, took: Date.now() - started, items };
  };

  const bulkItem = (
    op: string,
    index: string | undefined,
    id: string,
    sourceLine: string | undefined,
  ): ItemResult => {
    const err = (
      status: number,
      type: string,
      reason: string,
      extra: Record<string, unknown> = {},
    ): ItemResult => ({
      status,
      body: { _index: index ?? '', _id: id, error: { type, reason, ...extra } },
    });
    if (index === undefined)
      return err(400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;');
    const invalid = validIndexName(index);
    if (invalid) return err(400, 'invalid_index_name_exception', `Invalid index name [${index}], ${invalid}`);
    if (op === 'update' || op === 'delete')
      return err(400, 'illegal_argument_exception', `${op} is not supported by the test server`);
    const f = faults;
    if (f.item400Rate && idFraction(id, options.seed ?? 1) < f.item400Rate) {
      return err(
        400,
        parsingType,
        `[1:2] failed to parse field [injected] in document with id '${id}' (injected fault)`,
      );
    }
    if (f.itemUnknownOutcomeRate && rnd() < f.itemUnknownOutcomeRate) {
      unknownOutcomes += 1;
      const body = { _index: index, _id: id };
      return unknownOutcomes % 2 === 1
        ? {
            status: NO_STATUS,
            body: { ...body, error: { type: 'unavailable_shards_exception', reason: 'injected fault' } },
          }
        : { status: 0, body };
    }
    if (f.item429Rate && rnd() < f.item429Rate) {
      return err(
        429,
        'es_rejected_execution_exception',
        'rejected execution of coordinating operation [injected fault]',
      );
    }
    let idx = indices.get(index);
    if (!idx) {
      try {
        idx = createIndex(index);
      } catch (e) {
        if (e instanceof HttpError) return err(e.status, e.type, e.message);
        throw e;
      }
    }
    const target = idx.dataStream ? backingName(idx.name) : idx.name;
    if (idx.dataStream && op !== 'create') {
      return err(
        400,
        'illegal_argument_exception',
        'only write ops with an op_type of create are allowed in data streams',
      );
    }
    let doc: Record<string, unknown>;
    try {
      // Bench mode (no mapping check, no sources kept): skip parsing, check only the timestamp's presence.
      doc =
        !checkMappings && !storeSources
          ? sourceLine!.includes('"@timestamp"')
            ? { '@timestamp': true }
            : {}
          : (JSON.parse(sourceLine!) as Record<string, unknown>);
    } catch {
      return err(400, parsingType, `[1:1] failed to parse: Unexpected character in document with id '${id}'`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      return err(400, parsingType, 'failed to parse, document is empty');
    }
    if (idx.dataStream && doc['@timestamp'] === undefined) {
      return err(
        400,
        parsingType,
        `[1:2] failed to parse: data stream timestamp field [@timestamp] is missing`,
      );
    }
    if (op === 'create' && idx.docs.has(id)) {
      return {
        status: 409,
        body: {
          _index: target,
          _id: id,
          error: {
            type: 'version_conflict_engine_exception',
            reason: `[${id}]: version conflict, document already exists (current version [1])`,
            index_uuid: 'test',
            shard: '0',
            index: target,
          },
        },
      };
    }
    if (checkMappings) {
      const r = checkDocument(idx.mapping, doc, id, parsingType);
      if ('error' in r) return err(r.error.status, r.error.type, r.error.reason);
      applyDynamic(idx.mapping, r.added, r.constants);
    }
    const existed = idx.docs.has(id);
    idx.docs.set(id, storeSources ? doc : null);
    return {
      status: existed ? 200 : 201,
      body: {
        _index: target,
        _id: id,
        _version: 1,
        result: existed ? 'updated' : 'created',
        _shards: { total: 1, successful: 1, failed: 0 },
        _seq_no: idx.docs.size - 1,
        _primary_term: 1,
      },
    };
  };

  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        chunks.push(c);
      });
      req.on('end', () => {
        const raw = Buffer.concat(chunks, size);
        const enc = (req.headers['content-encoding'] ?? '').toLowerCase();
        try {
          if (enc === 'gzip') {
            stats.gzipRequests += 1;
            resolve(gunzipSync(raw));
          } else if (enc === 'deflate') resolve(inflateSync(raw));
          else resolve(raw);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
      req.on('error', reject);
    });

  const parseJson = (body: Buffer): Record<string, unknown> => {
    if (body.length === 0) return {};
    try {
      return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new HttpError(
        400,
        'x_content_parse_exception',
        '[1:1] Unexpected character: request body is not JSON',
      );
    }
  };

  const privileges = (body: Record<string, unknown>): Record<string, unknown> => {
    const denied = new Set(options.deniedPrivileges ?? []);
    const cluster: Record<string, boolean> = {};
    for (const p of (body.cluster as string[]) ?? []) cluster[p] = !denied.has(p);
    const index: Record<string, Record<string, boolean>> = {};
    for (const entry of (body.index as { names: string[] | string; privileges: string[] }[]) ?? []) {
      const names = Array.isArray(entry.names) ? entry.names : [entry.names];
      for (const n of names) {
        index[n] ??= {};
        for (const p of entry.privileges) index[n][p] = !denied.has(p);
      }
    }
    const all =
      Object.values(cluster).every(Boolean) &&
      Object.values(index).every((m) => Object.values(m).every(Boolean));
    return {
      username: options.auth?.username ?? 'test',
      has_all_requested: all,
      cluster,
      index,
      application: {},
    };
  };

  const putIndexTemplate = (name: string, body: Record<string, unknown>): void => {
    const pats = body.index_patterns;
    if (!Array.isArray(pats) && typeof pats !== 'string')
      throw new HttpError(
        400,
        'action_request_validation_exception',
        'Validation Failed: 1: index patterns are missing;',
      );
    const patterns = (Array.isArray(pats) ? pats : [pats]) as string[];
    const prio = Number(body.priority ?? 0);
    for (const [other, t] of indexTemplates) {
      if (other === name) continue;
      if (Number(t.priority ?? 0) !== prio) continue;
      const op = (t.index_patterns as string[]) ?? [];
      if (patterns.some((p) => op.some((q) => patternsOverlap(p, q)))) {
        throw new HttpError(
          400,
          'illegal_argument_exception',
          `index template [${name}] has index patterns [${patterns.join(', ')}] matching patterns from existing templates [${other}] with patterns (${other} => [${op.join(', ')}]) that have the same priority [${prio}], multiple index templates may not match during index creation, please use a different priority`,
        );
      }
    }
    const ignore = new Set((body.ignore_missing_component_templates as string[]) ?? []);
    const missing = ((body.composed_of as string[]) ?? []).filter(
      (c) => !componentTemplates.has(c) && !ignore.has(c),
    );
    if (missing.length > 0) {
      throw new HttpError(
        400,
        'invalid_index_template_exception',
        `index_template [${name}] invalid, cause [index template [${name}] specifies component templates [${missing.join(', ')}] that do not exist]`,
      );
    }
    const lifecycle = (
      (body.template as Record<string, unknown> | undefined)?.settings as Record<string, unknown> | undefined
    )?.['index.lifecycle.name'];
    if (typeof lifecycle === 'string' && !ilmPolicies.has(lifecycle)) {
      // Elasticsearch accepts a template naming a missing policy (it warns later); so do we.
    }
    indexTemplates.set(name, { ...body, index_patterns: patterns });
    builtinTemplates.delete(name);
  };

  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<[number, unknown, Record<string, string>?]> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const parts = url.pathname
      .split('/')
      .filter((p) => p.length > 0)
      .map(decodeURIComponent);
    const raw = await readBody(req);
    checkAuth(req);
    checkMediaTypes(req, raw.length > 0);
    if (raw.length > maxContentLength) {
      throw new HttpError(
        413,
        'content_too_long',
        `request body of ${raw.length} bytes exceeds http.max_content_length`,
      );
    }
    const isBulk = parts[parts.length - 1] === '_bulk' && (method === 'POST' || method === 'PUT');
    const mutating =
      method !== 'GET' &&
      method !== 'HEAD' &&
      !isBulk &&
      !parts.includes('_has_privileges') &&
      !parts.includes('_refresh') &&
      !parts.includes('_count') &&
      !parts.includes('_search');
    if (mutating) writes.push(`${method} /${parts.join('/')}`);

    if (parts.length === 0) {
      if (method === 'GET' || method === 'HEAD')
        return [
          200,
          {
            name: 'es-test-server',
            cluster_name: 'casguard-test',
            cluster_uuid: 'casguard-test-uuid',
            version: { number: version, ...BUILD },
            tagline: 'You Know, for Search',
          },
        ];
    }
    if (isBulk) {
      stats.bulkRequests += 1;
      stats.bulkBytes += raw.length;
      bulkCounter += 1;
      const f = faults;
      if (f.resetBeforeRate && rnd() < f.resetBeforeRate) {
        stats.resets += 1;
        res.socket?.destroy();
        return [0, undefined];
      }
      const retryHeaders: Record<string, string> =
        f.retryAfterSeconds !== undefined ? { 'retry-after': String(f.retryAfterSeconds) } : {};
      if (
        (f.request503Every && bulkCounter % f.request503Every === 0) ||
        (f.request503Rate && rnd() < f.request503Rate)
      ) {
        return [
          503,
          errorBody(
            503,
            'unavailable_shards_exception',
            'injected 503: [casguard] primary shard is not active',
          ),
          retryHeaders,
        ];
      }
      if (f.request429Rate && rnd() < f.request429Rate) {
        return [
          429,
          errorBody(429, 'circuit_breaking_exception', '[parent] Data too large (injected fault)'),
          retryHeaders,
        ];
      }
      const defaultIndex = parts.length === 2 ? parts[0] : undefined;
      let result: Record<string, unknown> = bulk(raw.toString('utf8'), defaultIndex);
      if (f.resetAfterRate && rnd() < f.resetAfterRate) {
        stats.resets += 1;
        res.socket?.destroy();
        return [0, undefined];
      }
      const fp = url.searchParams.get('filter_path');
      if (fp) result = applyFilterPath(result, fp) as Record<string, unknown>;
      return [200, result];
    }

    const body = () => parseJson(raw);
    const notFound = (type: string, reason: string, extra: Record<string, unknown> = {}): never => {
      throw new HttpError(404, type, reason, extra);
    };
    const [p0, p1, p2] = parts;

    if (p0 === '_index_template') {
      if (method === 'PUT' || method === 'POST') {
        putIndexTemplate(p1!, body());
        return [200, { acknowledged: true }];
      }
      if (method === 'GET' || method === 'HEAD') {
        const names =
          p1 === undefined
            ? [...indexTemplates.keys()]
            : p1.split(',').filter((n) => [...indexTemplates.keys()].some((k) => globToRegExp(n).test(k)));
        const found = [...indexTemplates.keys()].filter(
          (k) => p1 === undefined || p1.split(',').some((n) => globToRegExp(n).test(k)),
        );
        if (p1 !== undefined && found.length === 0 && names.length === 0)
          notFound('resource_not_found_exception', `index template matching [${p1}] not found`);
        return [
          200,
          { index_templates: found.map((n) => ({ name: n, index_template: indexTemplates.get(n) })) },
        ];
      }
      if (method === 'DELETE') {
        if (!indexTemplates.delete(p1!))
          notFound('index_template_missing_exception', `index_template [${p1}] missing`);
        return [200, { acknowledged: true }];
      }
    }
    if (p0 === '_component_template') {
      if (method === 'PUT' || method === 'POST') {
        const b = body();
        if (typeof b.template !== 'object')
          throw new HttpError(
            400,
            'x_content_parse_exception',
            '[1:2] [component_template] failed to parse field [template]',
          );
        componentTemplates.set(p1!, b);
        return [200, { acknowledged: true }];
      }
      if (method === 'GET' || method === 'HEAD') {
        const found = [...componentTemplates.keys()].filter(
          (k) => p1 === undefined || p1.split(',').some((n) => globToRegExp(n).test(k)),
        );
        if (p1 !== undefined && found.length === 0)
          notFound('resource_not_found_exception', `component template matching [${p1}] not found`);
        return [
          200,
          {
            component_templates: found.map((n) => ({
              name: n,
              component_template: componentTemplates.get(n),
            })),
          },
        ];
      }
      if (method === 'DELETE') {
        if (!componentTemplates.delete(p1!))
          notFound('resource_not_found_exception', `component template matching [${p1}] not found`);
        return [200, { acknowledged: true }];
      }
    }
    if (p0 === '_ilm' && p1 === 'policy') {
      if (method === 'PUT') {
        const b = body();
        if (typeof b.policy !== 'object')
          throw new HttpError(
            400,
            'x_content_parse_exception',
            '[1:1] [put_lifecycle_request] policy is missing',
          );
        const prev = ilmPolicies.get(p2!);
        ilmPolicies.set(p2!, {
          version: ((prev?.version as number | undefined) ?? 0) + 1,
          modified_date: new Date().toISOString(),
          policy: b.policy,
        });
        return [200, { acknowledged: true }];
      }
      if (method === 'GET') {
        const found = [...ilmPolicies.keys()].filter((k) => p2 === undefined || p2.split(',').includes(k));
        if (p2 !== undefined && found.length === 0)
          notFound('resource_not_found_exception', `Lifecycle policy not found: ${p2}`);
        return [200, Object.fromEntries(found.map((n) => [n, ilmPolicies.get(n)]))];
      }
      if (method === 'DELETE') {
        if (!ilmPolicies.delete(p2!))
          notFound('resource_not_found_exception', `Lifecycle policy not found: ${p2}`);
        return [200, { acknowledged: true }];
      }
    }
    if (p0 === '_data_stream') {
      if (method === 'PUT') {
        if (indices.has(p1!))
          throw new HttpError(400, 'resource_already_exists_exception', `data_stream [${p1}] already exists`);
        createIndex(p1!, { dataStream: true });
        return [200, { acknowledged: true }];
      }
      if (method === 'GET') {
        const found = [...indices.values()].filter(
          (i) =>
            i.dataStream && (p1 === undefined || p1.split(',').some((n) => globToRegExp(n).test(i.name))),
        );
        if (p1 !== undefined && !p1.includes('*') && found.length === 0)
          notFound('index_not_found_exception', `no such index [${p1}]`);
        return [
          200,
          {
            data_streams: found.map((i) => ({
              name: i.name,
              timestamp_field: { name: '@timestamp' },
              indices: [{ index_name: backingName(i.name), index_uuid: 'test' }],
              generation: 1,
              status: 'GREEN',
              template: i.template,
              ilm_policy: i.settings['index.lifecycle.name'],
              hidden: false,
              system: false,
            })),
          },
        ];
      }
      if (method === 'DELETE') {
        for (const name of p1!.split(',')) {
          const i = indices.get(name);
          if (!i || !i.dataStream) notFound('index_not_found_exception', `no such index [${name}]`);
        }
        for (const name of p1!.split(',')) indices.delete(name);
        return [200, { acknowledged: true }];
      }
    }
    if (p0 === '_security' && parts.includes('_has_privileges')) {
      return [200, privileges(body())];
    }
    if (p0 === '_cluster' && p1 === 'health')
      return [200, { cluster_name: 'casguard-test', status: 'green' }];
    if (p0 === '_refresh' || p1 === '_refresh')
      return [200, { _shards: { total: 1, successful: 1, failed: 0 } }];

    if (p0 !== undefined && !p0.startsWith('_')) {
      const idx = indices.get(p0);
      if (p1 === undefined) {
        if (method === 'PUT') {
          const invalid = validIndexName(p0);
          if (invalid)
            throw new HttpError(
              400,
              'invalid_index_name_exception',
              `Invalid index name [${p0}], ${invalid}`,
            );
          if (idx)
            throw new HttpError(
              400,
              'resource_already_exists_exception',
              `index [${p0}/test] already exists`,
              { index: p0 },
            );
          createIndex(p0, { dataStream: false, body: body() });
          return [200, { acknowledged: true, shards_acknowledged: true, index: p0 }];
        }
        if (method === 'HEAD' || method === 'GET') {
          if (!idx) notFound('index_not_found_exception', `no such index [${p0}]`, { index: p0 });
          return [
            200,
            { [idx!.name]: { mappings: unflattenMapping(idx!.mapping), settings: { index: idx!.settings } } },
          ];
        }
        if (method === 'DELETE') {
          if (!idx) notFound('index_not_found_exception', `no such index [${p0}]`, { index: p0 });
          indices.delete(p0);
          return [200, { acknowledged: true }];
        }
      }
      if (p1 === '_mapping' && method === 'GET') {
        if (!idx) notFound('index_not_found_exception', `no such index [${p0}]`, { index: p0 });
        return [200, { [idx!.name]: { mappings: unflattenMapping(idx!.mapping) } }];
      }
      if (p1 === '_count') {
        return [
          200,
          { count: idx?.docs.size ?? 0, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } },
        ];
      }
      if (p1 === '_doc' && p2 !== undefined && method === 'GET') {
        const d = idx?.docs.get(p2);
        if (!idx || d === undefined) return [404, { _index: p0, _id: p2, found: false }];
        return [200, { _index: p0, _id: p2, _version: 1, found: true, _source: d }];
      }
    }
    throw new HttpError(
      400,
      'illegal_argument_exception',
      `request [${method} ${url.pathname}] is not supported by the test server`,
    );
  };

  const sockets = new Set<Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    stats.requests += 1;
    const isBulk = (req.url ?? '').split('?')[0]!.endsWith('/_bulk');
    if (isBulk) {
      openBulk += 1;
      stats.maxConcurrentBulk = Math.max(stats.maxConcurrentBulk, openBulk);
    }
    const done = (): void => {
      if (isBulk) openBulk -= 1;
    };
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      if (res.destroyed || res.writableEnded || status === 0) return;
      const text = payload === undefined ? '' : JSON.stringify(payload);
      if (status >= 300) stats.requestErrors[status] = (stats.requestErrors[status] ?? 0) + 1;
      res.writeHead(status, {
        'x-elastic-product': 'Elasticsearch',
        'content-type': 'application/json',
        'content-length': String(req.method === 'HEAD' ? 0 : Buffer.byteLength(text)),
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    const run = async (): Promise<void> => {
      const f = faults;
      if (f.stall) {
        await new Promise<void>((resolve) => {
          stalled.add(resolve);
          res.on('close', () => {
            stalled.delete(resolve);
            resolve();
          });
        });
        if (res.destroyed) return;
      }
      if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
      try {
        const [status, payload, headers] = await route(req, res);
        send(status, payload, headers);
      } catch (e) {
        if (e instanceof HttpError) {
          const { header, ...rest } = e.extra as { header?: Record<string, string[]> };
          const extraHeaders: Record<string, string> = {};
          if (header) for (const [k, v] of Object.entries(header)) extraHeaders[k] = v.join(', ');
          send(e.status, errorBody(e.status, e.type, e.message, rest), extraHeaders);
        } else {
          send(500, errorBody(500, 'exception', e instanceof Error ? e.message : String(e)));
        }
      }
    };
    run().then(done, done);
  };

  let server: Server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  server.on('connection', track);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let isUp = true;

  const closeServer = async (): Promise<void> => {
    if (!isUp) return;
    isUp = false;
    for (const r of stalled) r();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    server.closeAllConnections();
    await closed;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    indices,
    componentTemplates,
    indexTemplates,
    ilmPolicies,
    writes,
    docs: (name) => indices.get(name)?.docs ?? new Map(),
    totalDocs: () => [...indices.values()].reduce((n, i) => n + i.docs.size, 0),
    setFaults(f) {
      const wasStalled = faults.stall === true;
      faults = { ...f };
      if (wasStalled && !faults.stall) {
        for (const r of stalled) r();
        stalled.clear();
      }
    },
    down: closeServer,
    async up() {
      if (isUp) return;
      server = createServer(handler);
      server.keepAliveTimeout = 30_000;
      server.on('connection', track);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      isUp = true;
    },
    stop: closeServer,
  };
}
