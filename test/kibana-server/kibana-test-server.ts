// A Kibana-compatible HTTP test server on 127.0.0.1 for the two import APIs casguard uses (no Kibana can run on
// these machines). It answers as Kibana's own code does, read in elastic/kibana:
// - authentication first (401 `{statusCode, error, message}` Boom bodies), then the XSRF check on POST
//   (`kbn-xsrf` or `kbn-version` header, else 400 "Request must contain a kbn-xsrf header."), as Kibana's
//   post-auth handler orders them;
// - spaces: `/s/<space>/api/...`; `GET /api/spaces/space/<id>` answers 404 for an unknown space, while the
//   saved-objects and rules APIs ACCEPT a space that does not exist (Kibana does not check; a superuser's objects
//   land in a namespace nobody can open: elastic/kibana#265063, #148930), so a client must check the space itself;
//   a user whose role does not cover the space gets 403;
// - `POST /api/saved_objects/_import` (src/core/.../routes/import.ts and import/import_saved_objects.ts): multipart
//   `file` only (415 otherwise), `.ndjson` only (400 "Invalid file extension .x"), the export-details line skipped,
//   duplicate type:id in the file → 400, `overwrite` and `createNewCopies` exclusive, per-object errors
//   `unsupported_type`, `missing_references` (only references to `index-pattern` and `search` are validated, as
//   validate_references.ts does), `conflict` (same id in this space without overwrite) and `unknown` (an
//   attribute the type's create schema forbids: the dashboard's 8.9.0 schema); ANY resolvable error (conflict,
//   missing_references) means NOTHING is created while the answer still lists the other objects in
//   `successResults` (create_saved_objects.ts); `overwrite: true` on objects that existed; an object existing
//   only in another space gets a new `destinationId` (multiple-isolated types); a `typeMigrationVersion` newer
//   than this version's latest fails the whole request with 422 "... belongs to a more recent version of Kibana";
//   a role without saved-object write privileges → 403 "Unable to bulk_create ...";
// - `POST /api/detection_engine/rules/_import` (security_solution .../import_rules/route.ts): the securitySolution
//   privilege (403 with Kibana's "API [...] is unauthorized for user" message), `elastic-api-version`
//   2023-10-31 when given, `.ndjson` only (400 in the security solution's `{message, status_code}` shape), rules
//   with the required fields (400 per rule otherwise), a rule_id twice in the file (400), an existing rule_id
//   without `overwrite` (409 `rule_id: "x" already exists`), the export-details line skipped, exception lists
//   and action connectors counted but not stored; `GET /api/detection_engine/rules?rule_id=` (404 when absent);
// - `GET /api/status` with `version.number`.
// NOT modelled: saved-object migrations (objects are stored as sent), attribute validation beyond the dashboard's
// create schema, `compatibilityMode`, `createNewCopies` id regeneration details, `_resolve_import_errors`,
// ambiguous conflicts and origin ids, legacy URL aliases, import hooks and warnings, the exception-list and
// connector imports themselves, rule schema validation beyond the required fields, Kibana's own payload and
// object-count limits other than maxImportPayloadBytes, rate limits, sessions/cookies, and the UI.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface KibanaRole {
  /** Spaces the role covers; '*' for all. */
  readonly spaces: '*' | readonly string[];
  readonly savedObjects: 'all' | 'read' | 'none';
  readonly securitySolution: 'all' | 'read' | 'none';
}

export const SUPERUSER: KibanaRole = { spaces: '*', savedObjects: 'all', securitySolution: 'all' };

export interface KibanaTestServerOptions {
  /** Version reported by `/api/status`; decides which type versions it knows. Default 8.11.0. */
  readonly version?: string;
  /** Spaces besides `default`. */
  readonly spaces?: readonly string[];
  /** Basic-auth users. Without any user or API key, security is off and every request acts as a superuser. */
  readonly users?: Readonly<Record<string, { password: string; role: KibanaRole }>>;
  /** API keys (the base64 `id:key` sent as `Authorization: ApiKey ...`). */
  readonly apiKeys?: Readonly<Record<string, KibanaRole>>;
  /** `savedObjects.maxImportPayloadBytes` (default 26214400, Kibana's). */
  readonly maxImportPayloadBytes?: number;
  /** Serve HTTPS with this PEM key and certificate (Kibana's `server.ssl`); HTTP without. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

export interface StoredObject {
  readonly type: string;
  readonly id: string;
  readonly attributes: Record<string, unknown>;
  readonly references: { id: string; name: string; type: string }[];
  readonly typeMigrationVersion?: string;
  readonly coreMigrationVersion?: string;
  readonly managed: boolean;
  readonly updatedAt: string;
}

export interface KibanaTestServer {
  readonly url: string;
  /** Saved objects of a space, by `type:id`. */
  objects(space?: string): ReadonlyMap<string, StoredObject>;
  /** Detection rules of a space, by rule_id. */
  rules(space?: string): ReadonlyMap<string, Record<string, unknown>>;
  /** Every request as `METHOD path` (with query), in order. */
  readonly requests: string[];
  /** Put an object into a space, as if someone had created it there. */
  putObject(space: string, object: Omit<StoredObject, 'updatedAt' | 'managed'>): void;
  /** Answer the next `n` requests (whose path contains `pathIncludes`, if given) with this status and a Boom body. */
  failNext(n: number, status: number, pathIncludes?: string): void;
  stop(): Promise<void>;
}

/** Importable saved-object types of a stock Kibana (getImportableAndExportableTypes), the ones that matter. */
const IMPORTABLE = new Set([
  'config',
  'url',
  'index-pattern',
  'query',
  'tag',
  'search',
  'visualization',
  'dashboard',
  'lens',
  'map',
  'canvas-workpad',
  'event-annotation-group',
]);
const ICONS: Record<string, string> = {
  'index-pattern': 'indexPatternApp',
  lens: 'lensApp',
  dashboard: 'dashboardApp',
  visualization: 'visualizeApp',
  search: 'discoverApp',
};
/** The reference types import validates (validate_references.ts REF_TYPES_TO_VALIDATE). */
const VALIDATED_REF_TYPES = new Set(['index-pattern', 'search']);
/** Dashboard attributes the 8.9.0 create schema allows (dashboard content_management v1, unknowns: forbid). */
const DASHBOARD_V1_KEYS = new Set([
  'title',
  'description',
  'kibanaSavedObjectMeta',
  'timeRestore',
  'timeFrom',
  'timeTo',
  'refreshInterval',
  'controlGroupInput',
  'panelsJSON',
  'optionsJSON',
  'hits',
  'version',
]);
const RULES_API_VERSION = '2023-10-31';
const REQUIRED_RULE_FIELDS = ['rule_id', 'name', 'description', 'risk_score', 'severity', 'type'];

function semverCmp(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The latest migration version of each type a Kibana of this version knows: legacy migrations end at 8.0.0
 * (index-pattern), 8.9.0 (lens, dashboard); the dashboard's model versions (10.x) exist in 9.x (10.3.0 in the
 * 2025 export in ../shared/corpus/kibana/). An approximation for the 8.x minors in between.
 */
function latestTypeVersion(kibana: string, type: string): string | undefined {
  const major = Number(kibana.split('.')[0]);
  const table: Record<string, string> = {
    'index-pattern': '8.0.0',
    lens: '8.9.0',
    dashboard: major >= 9 ? '10.3.0' : '8.9.0',
    visualization: '8.5.0',
    search: '8.0.0',
    tag: '8.0.0',
  };
  return table[type];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Kibana's Boom error body. */
const boom = (status: number, message: string): HttpError =>
  new HttpError(status, { statusCode: status, error: REASONS[status] ?? 'Error', message });
/** The security solution's error body (buildSiemResponse). */
const siem = (status: number, message: string): HttpError =>
  new HttpError(status, { message, status_code: status });

interface FilePart {
  readonly filename: string;
  readonly content: string;
}

/** The `file` part of a multipart/form-data body (what hapi hands Kibana as a stream with `hapi.filename`). */
function multipartFile(req: IncomingMessage, body: Buffer): FilePart | undefined {
  const ct = req.headers['content-type'] ?? '';
  const m = /^multipart\/form-data;.*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(ct);
  if (!m) throw boom(415, 'Unsupported Media Type');
  const boundary = `--${m[1] ?? m[2]}`;
  const text = body.toString('latin1');
  for (const raw of text.split(boundary).slice(1)) {
    if (raw.startsWith('--')) break;
    const headEnd = raw.indexOf('\r\n\r\n');
    if (headEnd < 0) continue;
    const head = raw.slice(0, headEnd);
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(head)?.[1] ?? '';
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
    if (name !== 'file') continue;
    const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1] ?? '';
    let content = raw.slice(headEnd + 4);
    if (content.endsWith('\r\n')) content = content.slice(0, -2);
    return { filename, content: Buffer.from(content, 'latin1').toString('utf8') };
  }
  return undefined;
}

function extname(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
}

/** NDJSON lines → objects, without the export-details line (createSavedObjectsStreamFromNdJson). */
function parseNdjson(content: string, fail: (msg: string) => HttpError): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of content.split('\n')) {
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw fail((e as Error).message);
    }
    if (v === null || typeof v !== 'object') continue;
    const o = v as Record<string, unknown>;
    if (o.exportedCount !== undefined || o.exported_count !== undefined) continue;
    out.push(o);
  }
  return out;
}

export async function startKibanaTestServer(opts: KibanaTestServerOptions = {}): Promise<KibanaTestServer> {
  const version = opts.version ?? '8.11.0';
  const spaces = new Set(['default', ...(opts.spaces ?? [])]);
  const security = Object.keys(opts.users ?? {}).length + Object.keys(opts.apiKeys ?? {}).length > 0;
  const maxPayload = opts.maxImportPayloadBytes ?? 26_214_400;
  // Saved objects by namespace (which may be a space that does not exist, as in Kibana).
  const store = new Map<string, Map<string, StoredObject>>();
  const ruleStore = new Map<string, Map<string, Record<string, unknown>>>();
  const requests: string[] = [];
  let failures: { left: number; status: number; path?: string } = { left: 0, status: 500 };

  const ns = (space: string): Map<string, StoredObject> => {
    let m = store.get(space);
    if (!m) store.set(space, (m = new Map()));
    return m;
  };
  const rulesOf = (space: string): Map<string, Record<string, unknown>> => {
    let m = ruleStore.get(space);
    if (!m) ruleStore.set(space, (m = new Map()));
    return m;
  };

  function authenticate(req: IncomingMessage): KibanaRole {
    if (!security) return SUPERUSER;
    const h = req.headers.authorization;
    if (h === undefined) throw boom(401, 'Unauthorized');
    const [scheme, value = ''] = h.split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'apikey') {
      const role = opts.apiKeys?.[value];
      if (role) return role;
      throw boom(401, 'Unauthorized');
    }
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      const user = decoded.slice(0, i);
      const u = opts.users?.[user];
      if (u && u.password === decoded.slice(i + 1)) return u.role;
      throw boom(
        401,
        `[security_exception\n\tRoot causes:\n\t\tsecurity_exception: unable to authenticate user [${user}] for REST request [/_security/_authenticate]]: unable to authenticate user [${user}] for REST request [/_security/_authenticate]`,
      );
    }
    throw boom(401, 'Unauthorized');
  }

  const covers = (role: KibanaRole, space: string): boolean =>
    role.spaces === '*' || role.spaces.includes(space);

  function importSavedObjects(
    role: KibanaRole,
    space: string,
    query: URLSearchParams,
    req: IncomingMessage,
    body: Buffer,
  ): Record<string, unknown> {
    const overwrite = query.get('overwrite') === 'true';
    const createNewCopies = query.get('createNewCopies') === 'true';
    if (overwrite && createNewCopies)
      throw boom(400, '[request query]: cannot use [overwrite] with [createNewCopies]');
    if (body.length > maxPayload)
      throw boom(413, `Payload content length greater than maximum allowed: ${maxPayload}`);
    const file = multipartFile(req, body);
    if (file === undefined)
      throw boom(400, '[request body.file]: expected value of type [Stream] but got [undefined]');
    const ext = extname(file.filename);
    if (ext !== '.ndjson') throw boom(400, `Invalid file extension ${ext}`);
    const objects = parseNdjson(file.content, (m) => boom(400, m));
    const keys = objects.map((o) => `${String(o.type)}:${String(o.id)}`);
    const dup = keys.filter((k, i) => keys.indexOf(k) !== i);
    if (dup.length > 0)
      throw boom(400, `Non-unique import objects detected: [${[...new Set(dup)].join(',')}]`);
    // Newer than this Kibana knows: the whole request fails (elastic/kibana#66387).
    for (const o of objects) {
      const v = typeof o.typeMigrationVersion === 'string' ? o.typeMigrationVersion : undefined;
      const latest = latestTypeVersion(version, String(o.type));
      if (v !== undefined && v !== '' && latest !== undefined && semverCmp(v, latest) > 0)
        throw boom(
          422,
          `Document "${String(o.id)}" belongs to a more recent version of Kibana [${v}] when the last known version is [${latest}].`,
        );
    }
    const title = (o: Record<string, unknown>): unknown =>
      (o.attributes as Record<string, unknown> | undefined)?.title;
    const errors: Record<string, unknown>[] = [];
    const collected = objects.filter((o) => {
      if (IMPORTABLE.has(String(o.type))) return true;
      errors.push({ id: o.id, type: o.type, meta: { title: title(o) }, error: { type: 'unsupported_type' } });
      return false;
    });
    // The security wrapper authorizes bulk_create for every type of the import before anything is checked.
    if (role.savedObjects !== 'all' || !covers(role, space)) {
      const types = [...new Set(collected.map((o) => String(o.type)))].sort();
      throw boom(
        403,
        `Unable to bulk_create ${types.join(',')}, missing ${types.map((t) => `saved_object:${t}/bulk_create`).join(',')}`,
      );
    }
    const here = ns(space);
    const inFile = new Set(collected.map((o) => `${String(o.type)}:${String(o.id)}`));
    for (const o of collected) {
      const missing: { type: string; id: string }[] = [];
      for (const r of (o.references as { type: string; id: string }[] | undefined) ?? []) {
        const k = `${r.type}:${r.id}`;
        if (
          VALIDATED_REF_TYPES.has(r.type) &&
          !inFile.has(k) &&
          !here.has(k) &&
          !missing.some((m) => `${m.type}:${m.id}` === k)
        )
          missing.push({ type: r.type, id: r.id });
      }
      if (missing.length > 0)
        errors.push({
          id: o.id,
          type: o.type,
          meta: { title: title(o) },
          error: { type: 'missing_references', references: missing },
        });
    }
    const pendingOverwrites = new Set<string>();
    const destinationIds = new Map<string, string>();
    for (const o of collected) {
      const k = `${String(o.type)}:${String(o.id)}`;
      if (here.has(k)) {
        if (overwrite) pendingOverwrites.add(k);
        else errors.push({ id: o.id, type: o.type, meta: { title: title(o) }, error: { type: 'conflict' } });
      } else if ([...store.entries()].some(([s, m]) => s !== space && m.has(k))) {
        // multiple-isolated type that exists in another space only: an unresolvable conflict, so a new id.
        destinationIds.set(k, randomUUID());
      }
    }
    const failed = new Set(errors.map((e) => `${String(e.type)}:${String(e.id)}`));
    const resolvable = errors.some((e) =>
      ['conflict', 'ambiguous_conflict', 'missing_references'].includes(
        String((e.error as { type: string }).type),
      ),
    );
    const created: Record<string, unknown>[] = [];
    for (const o of collected) {
      const k = `${String(o.type)}:${String(o.id)}`;
      if (failed.has(k)) continue;
      const attributes = (o.attributes as Record<string, unknown> | undefined) ?? {};
      // The create schema runs inside bulkCreate, which is not called at all when a resolvable error exists.
      if (!resolvable && o.type === 'dashboard') {
        const extra = Object.keys(attributes).find((a) => !DASHBOARD_V1_KEYS.has(a));
        if (extra !== undefined) {
          errors.push({
            id: o.id,
            type: o.type,
            meta: { title: title(o) },
            error: {
              statusCode: 400,
              error: 'Bad Request',
              message: `[attributes.${extra}]: definition for this key is missing: Bad Request`,
              type: 'unknown',
            },
          });
          continue;
        }
      }
      const destinationId = destinationIds.get(k);
      if (!resolvable) {
        const id = destinationId ?? String(o.id);
        ns(space).set(`${String(o.type)}:${id}`, {
          type: String(o.type),
          id,
          attributes,
          references: (o.references as StoredObject['references'] | undefined) ?? [],
          ...(typeof o.typeMigrationVersion === 'string'
            ? { typeMigrationVersion: o.typeMigrationVersion }
            : {}),
          ...(typeof o.coreMigrationVersion === 'string'
            ? { coreMigrationVersion: o.coreMigrationVersion }
            : {}),
          managed: o.managed === true,
          updatedAt: new Date().toISOString(),
        });
      }
      created.push({
        type: o.type,
        id: o.id,
        meta: { title: title(o), icon: ICONS[String(o.type)] },
        managed: o.managed === true,
        ...(pendingOverwrites.has(k) ? { overwrite: true } : {}),
        ...(destinationId !== undefined ? { destinationId, createNewCopy: true } : {}),
      });
    }
    const errorResults = errors.map((e) => ({
      ...e,
      meta: { ...(e.meta as object), icon: ICONS[String(e.type)] },
      ...(pendingOverwrites.has(`${String(e.type)}:${String(e.id)}`) ? { overwrite: true } : {}),
    }));
    return {
      successCount: created.length,
      success: errors.length === 0,
      warnings: [],
      ...(created.length > 0 ? { successResults: created } : {}),
      ...(errorResults.length > 0 ? { errors: errorResults } : {}),
    };
  }

  function importRules(
    role: KibanaRole,
    space: string,
    query: URLSearchParams,
    req: IncomingMessage,
    body: Buffer,
    path: string,
  ): Record<string, unknown> {
    if (role.securitySolution !== 'all' || !covers(role, space))
      throw boom(
        403,
        `API [POST ${path}] is unauthorized for user, this action is granted by the Kibana privileges [securitySolution]`,
      );
    const apiVersion = req.headers['elastic-api-version'];
    if (apiVersion !== undefined && apiVersion !== RULES_API_VERSION)
      throw boom(
        400,
        `Invalid version. Received "${String(apiVersion)}", expected one of ["${RULES_API_VERSION}"]`,
      );
    const overwrite = query.get('overwrite') === 'true';
    const file = multipartFile(req, body);
    if (file === undefined) throw siem(400, 'file is required');
    const ext = extname(file.filename);
    if (ext !== '.ndjson') throw siem(400, `Invalid file extension ${ext}`);
    const lines = parseNdjson(file.content, (m) => siem(400, m));
    const rules = lines.filter(
      (l) => l.type !== 'action' && l.list_id === undefined && l.item_id === undefined,
    );
    const exceptions = lines.filter((l) => l.list_id !== undefined || l.item_id !== undefined);
    const connectors = lines.filter((l) => l.type === 'action');
    const errors: Record<string, unknown>[] = [];
    const seen = new Map<string, number>();
    for (const r of rules)
      if (typeof r.rule_id === 'string') seen.set(r.rule_id, (seen.get(r.rule_id) ?? 0) + 1);
    const here = rulesOf(space);
    let successes = 0;
    const reported = new Set<string>();
    for (const r of rules) {
      const missing = REQUIRED_RULE_FIELDS.filter((f) => r[f] === undefined || r[f] === '');
      if (missing.length > 0) {
        errors.push({
          ...(typeof r.rule_id === 'string' ? { rule_id: r.rule_id } : { rule_id: '(unknown id)' }),
          error: { status_code: 400, message: missing.map((f) => `${f}: Required`).join(', ') },
        });
        continue;
      }
      const ruleId = r.rule_id as string;
      if ((seen.get(ruleId) ?? 0) > 1) {
        if (!reported.has(ruleId))
          errors.push({
            rule_id: ruleId,
            error: { status_code: 400, message: `More than one rule with rule-id: "${ruleId}" found` },
          });
        reported.add(ruleId);
        continue;
      }
      if (here.has(ruleId) && !overwrite) {
        errors.push({
          rule_id: ruleId,
          error: { status_code: 409, message: `rule_id: "${ruleId}" already exists` },
        });
        continue;
      }
      here.set(ruleId, { ...r, id: (here.get(ruleId)?.id as string | undefined) ?? randomUUID() });
      successes++;
    }
    return {
      success: errors.length === 0,
      success_count: successes,
      rules_count: rules.length,
      errors,
      exceptions_errors: [],
      exceptions_success: true,
      exceptions_success_count: exceptions.length,
      action_connectors_success: true,
      action_connectors_success_count: connectors.length,
      action_connectors_errors: [],
      action_connectors_warnings: [],
    };
  }

  async function handle(req: IncomingMessage, body: Buffer): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = url.pathname;
    let space = 'default';
    const sm = /^\/s\/([^/]+)(\/.*)$/.exec(path);
    if (sm) {
      space = decodeURIComponent(sm[1]!);
      path = sm[2]!;
    }
    const method = req.method ?? 'GET';
    const role = authenticate(req);
    if (
      method !== 'GET' &&
      method !== 'HEAD' &&
      req.headers['kbn-xsrf'] === undefined &&
      req.headers['kbn-version'] === undefined
    )
      throw boom(400, 'Request must contain a kbn-xsrf header.');
    if (method === 'GET' && path === '/api/status') {
      return {
        status: 200,
        body: {
          name: 'kibana-test-server',
          uuid: '00000000-0000-0000-0000-000000000000',
          version: {
            number: version,
            build_hash: '0'.repeat(40),
            build_number: 1,
            build_snapshot: false,
            build_flavor: 'traditional',
          },
          status: { overall: { level: 'available', summary: 'All services and plugins are available' } },
        },
      };
    }
    const spaceGet = /^\/api\/spaces\/space\/([^/]+)$/.exec(path);
    if (method === 'GET' && spaceGet) {
      const id = decodeURIComponent(spaceGet[1]!);
      if (!spaces.has(id) || !covers(role, id)) throw boom(404, 'Not Found');
      return {
        status: 200,
        body: {
          id,
          name: id === 'default' ? 'Default' : id,
          disabledFeatures: [],
          _reserved: id === 'default',
        },
      };
    }
    if (method === 'POST' && path === '/api/saved_objects/_import')
      return { status: 200, body: importSavedObjects(role, space, url.searchParams, req, body) };
    if (method === 'POST' && path === '/api/detection_engine/rules/_import')
      return {
        status: 200,
        body: importRules(role, space, url.searchParams, req, body, `${url.pathname}${url.search}`),
      };
    if (method === 'GET' && path === '/api/detection_engine/rules') {
      if (role.securitySolution === 'none' || !covers(role, space))
        throw boom(
          403,
          `API [GET ${url.pathname}${url.search}] is unauthorized for user, this action is granted by the Kibana privileges [securitySolution]`,
        );
      const ruleId = url.searchParams.get('rule_id') ?? '';
      const rule = rulesOf(space).get(ruleId);
      if (!rule) throw siem(404, `rule_id: "${ruleId}" not found`);
      return { status: 200, body: rule };
    }
    throw boom(404, 'Not Found');
  }

  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method ?? 'GET'} ${req.url ?? '/'}`);
      const reply = (status: number, payload: unknown): void => {
        const text = JSON.stringify(payload);
        res.writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      };
      if (failures.left > 0 && (failures.path === undefined || (req.url ?? '').includes(failures.path))) {
        failures.left--;
        const e = boom(
          failures.status,
          failures.status >= 500 ? 'An internal server error occurred.' : 'failure',
        );
        reply(e.status, e.body);
        return;
      }
      handle(req, Buffer.concat(chunks)).then(
        (r) => reply(r.status, r.body),
        (e: unknown) => {
          if (e instanceof HttpError) reply(e.status, e.body);
          else
            reply(500, {
              statusCode: 500,
              error: 'Internal Server Error',
              message: 'An internal server error occurred.',
            });
        },
      );
    });
  };
  const server: Server = opts.tls ? createTlsServer(opts.tls, onRequest) : createServer(onRequest);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    objects: (space = 'default') => ns(space),
    rules: (space = 'default') => rulesOf(space),
    requests,
    putObject(space, object) {
      ns(space).set(`${object.type}:${object.id}`, {
        ...object,
        managed: false,
        updatedAt: new Date().toISOString(),
      });
    },
    failNext(n, status, pathIncludes) {
      failures = { left: n, status, ...(pathIncludes !== undefined ? { path: pathIncludes } : {}) };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
