// What `casguard setup` installs, as plain request bodies (pure: no I/O, so it is unit-tested, exported by
// `casguard export` and printable).
//
// - ILM policy `casguard-logs`: roll over at 50 GB per primary shard or 30 days, delete after the retention.
// - Component templates with EXPLICIT mappings: `casguard-ecs@mappings` (the ECS field sets casguard uses, with
//   ECS's own types, from the generated table), `casguard-winlog@mappings` (Winlogbeat's `winlog.*`),
//   `casguard-exchange@mappings` (our own `microsoft.exchange.*` / `casguard.*` fields, from the OWN_FIELDS
//   tables the CLI injects: src/setup must not import src/normalize), `casguard@settings` (ILM, index mode,
//   malformed values, field limit).
// - Index templates `logs-exchange.activesync` and `logs-exchange.application` for the data streams, at
//   priority 150, above Elasticsearch's built-in `logs` template (100) and below Fleet integrations (200).
//   They do not compose the built-in `logs@*` templates, so the mapping is the same on every cluster version.
//   `allow_auto_create: true`: a stream written to before `setup` created it is auto-created from OUR template
//   even on a cluster with `action.auto_create_index: false` (Elasticsearch's own `logs` template does the same;
//   without it the bulk item answers 404 and documents would be dead-lettered instead of stored).
// - Index template `casguard-alerts` (a regular index: alerts are replaced by id, which data streams forbid;
//   see src/outputs/elasticsearch/targets.ts) and the alerts index itself.
// - Index template `casguard-agents` for the agents' status index (src/setup/agent-status-fields.ts).
// - Index template `casguard-alert-shares` for array mode's per-alert shares documents (src/outputs/array/).
// - The two data streams, so they exist (with our mapping) before the first document.
// Every template and policy carries `_meta.casguard_hash`, a hash of its body: setup compares hashes, so a
// second run changes nothing, and a changed body is reported as updated.
//
// Index mode: STANDARD, set explicitly, and malformed values are REJECTED (decided for issue 13).
// On 9.x every data stream named `logs-*-*` gets `index.mode: logsdb` unless its template sets `index.mode`
// itself (Elasticsearch's LogsdbIndexModeSettingsProvider, `cluster.logsdb.enabled`, on by default for clusters
// created on 9.x). logsdb would roughly halve the storage, but:
// - logsdb defaults `index.mapping.ignore_malformed` to true: a wrong-typed value is dropped from the index and
//   only listed in `_ignored`, with no 400, so nothing reaches the dead-letter file and nothing can be replayed.
//   casguard promises the opposite (we set `ignore_malformed: false` explicitly whatever the mode).
// - logsdb stores no `_source`; it rebuilds it (synthetic `_source`): keyword arrays come back sorted and
//   de-duplicated (`event.category`, `related.*`), arrays of objects flattened, numbers and dates reformatted, so
//   what the SOC reads is no longer what casguard sent (the golden files), and Kibana alert documents copy the
//   rebuilt source. `event.original` (keyword, not indexed, no doc values) survives only through the "ignored
//   source" side store. Synthetic `_source` needs an Enterprise licence; on Basic, logsdb keeps stored `_source`
//   and saves much less.
// - logsdb sorts the index by `host.name` then `@timestamp`; many casguard documents carry no `host.name`
//   (the agent's machine is `observer.hostname`), which would leave them in one unsorted group.
// - logsdb is GA only from 8.17 (a preview before); casguard supports 8.0 onwards and wants one behaviour on all.
// So the data-stream templates set `index.mode: standard`: every version, every licence, documents stored as
// sent. The setting is known from Elasticsearch 8.5 (the TSDB release made `index.mode` a regular index setting,
// elastic/elasticsearch#90116; before, it was behind a feature flag and a template carrying it is refused as an
// unknown setting), so it is left out for 8.0-8.4, where nothing applies logsdb anyway. Changing the mode later
// is a template change that takes effect at the next rollover.

import { createHash } from 'node:crypto';
import { CasguardError } from '../pipeline/errors.js';
import { STREAM_CONSTANTS, type DataStreamKind } from '../pipeline/stream-constants.js';
import { AGENT_STATUS_FIELDS, AGENTS_INDEX_PATTERN } from './agent-status-fields.js';
import { ECS_FIELDS } from './ecs-fields.generated.js';
import type { FieldDef } from './field-def.types.js';
import { WINLOG_FIELDS } from './winlog-fields.generated.js';

/** Types an own-field table may use (the formats engineers' OWN_FIELDS tables). */
export type OwnFieldTable = Readonly<Record<string, string>>;

export interface SetupOptions {
  readonly namespace: string;
  /** Own fields (`microsoft.exchange.*`, `casguard.*`, ...) keyed by dotted name. */
  readonly ownFields: OwnFieldTable;
  /** Days before ILM deletes a backing index. Default 90. */
  readonly retentionDays?: number;
  /** Index template priority; must differ from any other template matching our patterns. Default 150. */
  readonly priority?: number;
  /**
   * Version of the target cluster (`8.15.3`, `9.1.0`): bodies leave out what that version does not know. Default:
   * a version that knows everything casguard sends (8.5 or later).
   */
  readonly esVersion?: string;
}

export type AssetKind = 'ilm_policy' | 'component_template' | 'index_template' | 'data_stream' | 'index';

export interface Asset {
  readonly kind: AssetKind;
  readonly name: string;
  /** Request body (for data streams: empty). */
  readonly body: Record<string, unknown>;
  /** Hash of the body stored in `_meta.casguard_hash` (templates, policies). */
  readonly hash?: string;
}

export const ILM_POLICY = 'casguard-logs';
export const MANAGED_BY = 'casguard';

/** First Elasticsearch version that knows the `index.mode` index setting without a feature flag. */
export const INDEX_MODE_SINCE: readonly [number, number] = [8, 5];

/** `major.minor[.patch][-qualifier]` → [major, minor]; throws a SETUP_FAILED error for anything else. */
export function parseEsVersion(version: string): [number, number] {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?(?:-[0-9A-Za-z.-]+)?$/.exec(version.trim());
  if (!m) {
    throw new CasguardError(
      'SETUP_FAILED',
      `Elasticsearch version ${JSON.stringify(version)} is not of the form MAJOR.MINOR[.PATCH], e.g. 8.15.0`,
    );
  }
  return [Number(m[1]), Number(m[2])];
}

/** Whether a cluster of this version knows the `index.mode` setting (undefined = assume a current cluster). */
export function knowsIndexMode(esVersion: string | undefined): boolean {
  if (esVersion === undefined) return true;
  const [major, minor] = parseEsVersion(esVersion);
  return major > INDEX_MODE_SINCE[0] || (major === INDEX_MODE_SINCE[0] && minor >= INDEX_MODE_SINCE[1]);
}

const OWN_TYPES = new Set([
  'keyword',
  'long',
  'integer',
  'boolean',
  'date',
  'ip',
  'text',
  'float',
  'object',
  'match_only_text',
  'wildcard',
  'flattened',
  'double',
  'short',
  'constant_keyword',
]);

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function hashBody(body: unknown): string {
  return createHash('sha256').update(canonical(body)).digest('hex').slice(0, 32);
}

function fieldMapping(def: FieldDef): Record<string, unknown> {
  const m: Record<string, unknown> = { type: def.type };
  if (def.ignore_above !== undefined) m.ignore_above = def.ignore_above;
  if (def.index !== undefined) m.index = def.index;
  if (def.doc_values !== undefined) m.doc_values = def.doc_values;
  if (def.scaling_factor !== undefined) m.scaling_factor = def.scaling_factor;
  if (def.value !== undefined) m.value = def.value;
  if (def.multi_fields && def.multi_fields.length > 0) {
    m.fields = Object.fromEntries(def.multi_fields.map((f) => [f.name, { type: f.type }]));
  }
  return m;
}

/** Dotted field table → nested `properties`. Throws when a leaf is also used as an object. */
export function buildProperties(fields: Readonly<Record<string, FieldDef>>): Record<string, unknown> {
  const root: Record<string, Record<string, unknown>> = {};
  const names = Object.keys(fields).sort();
  for (const name of names) {
    const def = fields[name]!;
    const parts = name.split('.');
    let props = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts[i]!;
      let node = props[key];
      if (node === undefined) {
        node = { properties: {} };
        props[key] = node;
      } else if (node.type !== undefined && node.type !== 'object' && node.type !== 'nested') {
        throw new CasguardError(
          'SETUP_FAILED',
          `field ${name} needs ${parts.slice(0, i + 1).join('.')} to be an object, but it is mapped as ${JSON.stringify(node.type)}`,
        );
      }
      if (node.type === 'object') delete node.type;
      node.properties ??= {};
      props = node.properties as Record<string, Record<string, unknown>>;
    }
    const leaf = parts[parts.length - 1]!;
    const existing = props[leaf];
    if (existing !== undefined) {
      if (def.type === 'object' || def.type === 'nested') {
        if (def.type === 'nested') existing.type = 'nested';
        continue;
      }
      throw new CasguardError(
        'SETUP_FAILED',
        `field ${name} is mapped as ${def.type} but also has sub-fields`,
      );
    }
    props[leaf] =
      def.type === 'object'
        ? { type: 'object' }
        : def.type === 'nested'
          ? { type: 'nested' }
          : fieldMapping(def);
  }
  // `{type: object}` leaves that gained children were turned into `{properties}` above; plain object leaves
  // stay `{type: object}` (open for dynamic keys such as winlog.event_data.*).
  return root;
}

/** Own-field table → field defs; checks types and that no own field redefines an ECS or winlog field. */
export function ownFieldDefs(table: OwnFieldTable): Record<string, FieldDef> {
  const out: Record<string, FieldDef> = {};
  for (const [name, type] of Object.entries(table)) {
    if (!OWN_TYPES.has(type))
      throw new CasguardError('SETUP_FAILED', `own field ${name}: unsupported type ${type}`);
    const ecs = ECS_FIELDS[name] ?? WINLOG_FIELDS[name];
    if (ecs && ecs.type !== type) {
      throw new CasguardError(
        'SETUP_FAILED',
        `own field ${name} is declared ${type} but ECS/winlog defines it as ${ecs.type}`,
      );
    }
    if (ecs) continue;
    out[name] = type === 'keyword' ? { type, ignore_above: 1024 } : { type };
  }
  return out;
}

/** Merge own-field tables from several formats; the same name with two types is an error. */
export function mergeOwnFieldTables(...tables: OwnFieldTable[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tables) {
    for (const [k, v] of Object.entries(t)) {
      if (out[k] !== undefined && out[k] !== v) {
        throw new CasguardError('SETUP_FAILED', `own field ${k} is declared both ${out[k]} and ${v}`);
      }
      out[k] = v;
    }
  }
  return out;
}

export function dataStreamName(dataset: 'activesync' | 'application', namespace: string): string {
  return `logs-exchange.${dataset}-${namespace}`;
}

export function alertsIndexName(namespace: string): string {
  return `casguard-alerts-${namespace}`;
}

// Strings nobody declared (e.g. winlog.event_data.<any>, positional paramN) become keywords, as ecs@mappings
// does, instead of text + keyword multi-fields. With `date_detection: false` (below) a date-looking string in
// such an open object is a keyword like any other, so a later plain string in the same field still indexes.
const DYNAMIC_TEMPLATES = [
  {
    strings_as_keyword: {
      match_mapping_type: 'string',
      mapping: { type: 'keyword', ignore_above: 1024 },
    },
  },
];

function withMeta(
  kind: AssetKind,
  name: string,
  body: Record<string, unknown>,
  metaKey: 'top' | 'policy',
): Asset {
  const hash = hashBody(body);
  const meta = { managed_by: MANAGED_BY, casguard_hash: hash };
  if (metaKey === 'policy') {
    const policy = { ...(body.policy as Record<string, unknown>), _meta: meta };
    return { kind, name, body: { policy }, hash };
  }
  return { kind, name, body: { ...body, _meta: meta }, hash };
}

/**
 * The data stream's constant fields (src/pipeline/stream-constants.ts) as constant_keyword with their value, and
 * `data_stream.namespace` as constant_keyword set by the first document (one template serves every namespace).
 * The Elasticsearch output leaves the valued ones out of its documents (issue 16); this index template's own
 * mappings override the ECS component's keyword for them.
 */
export function streamConstantProperties(dataset: DataStreamKind): Record<string, unknown> {
  const fields: Record<string, FieldDef> = { 'data_stream.namespace': { type: 'constant_keyword' } };
  for (const [name, value] of Object.entries(STREAM_CONSTANTS[dataset]))
    fields[name] = { type: 'constant_keyword', value };
  return buildProperties(fields);
}

/** Everything setup installs, in dependency order. */
/** The array shares index of a namespace (or its pattern with `*`); src/outputs/array/array.config.ts agrees. */
export function sharesIndexPattern(namespace: string): string {
  return `casguard-alert-shares-${namespace}`;
}

export function clusterAssets(opts: SetupOptions): Asset[] {
  const priority = opts.priority ?? 150;
  const retention = opts.retentionDays ?? 90;
  const own = ownFieldDefs(mergeOwnFieldTables(opts.ownFields));
  const assets: Asset[] = [];

  assets.push(
    withMeta(
      'ilm_policy',
      ILM_POLICY,
      {
        policy: {
          phases: {
            hot: {
              min_age: '0ms',
              actions: { rollover: { max_primary_shard_size: '50gb', max_age: '30d' } },
            },
            delete: { min_age: `${retention}d`, actions: { delete: {} } },
          },
        },
      },
      'policy',
    ),
  );
  const component = (name: string, template: Record<string, unknown>): Asset =>
    withMeta('component_template', name, { template }, 'top');
  assets.push(
    component('casguard@settings', {
      settings: {
        'index.lifecycle.name': ILM_POLICY,
        // Standard mode on purpose (see the top of this file); only where the cluster knows the setting.
        ...(knowsIndexMode(opts.esVersion) ? { 'index.mode': 'standard' } : {}),
        // A wrong-typed value is refused (400) and dead-lettered with the reason, never dropped into `_ignored`.
        'index.mapping.ignore_malformed': false,
        'index.mapping.total_fields.limit': 5000,
      },
    }),
    component('casguard-ecs@mappings', {
      mappings: {
        // Every field casguard emits is mapped explicitly; the first date-looking value of an undeclared string
        // (winlog.event_data.*) must not fix that field as `date` for the life of the backing index.
        date_detection: false,
        dynamic_templates: DYNAMIC_TEMPLATES,
        properties: buildProperties(ECS_FIELDS),
      },
    }),
    component('casguard-winlog@mappings', { mappings: { properties: buildProperties(WINLOG_FIELDS) } }),
    component('casguard-exchange@mappings', { mappings: { properties: buildProperties(own) } }),
  );
  const mappingsOf = ['casguard-ecs@mappings', 'casguard-winlog@mappings', 'casguard-exchange@mappings'];
  for (const dataset of ['activesync', 'application'] as const) {
    assets.push(
      withMeta(
        'index_template',
        `logs-exchange.${dataset}`,
        {
          index_patterns: [`logs-exchange.${dataset}-*`],
          data_stream: {},
          allow_auto_create: true,
          priority,
          composed_of: ['casguard@settings', ...mappingsOf],
          template: { mappings: { properties: streamConstantProperties(dataset) } },
        },
        'top',
      ),
    );
  }
  assets.push(
    withMeta(
      'index_template',
      'casguard-alerts',
      {
        index_patterns: ['casguard-alerts-*'],
        allow_auto_create: true,
        priority,
        composed_of: mappingsOf,
        template: {
          // Not a `logs-*-*` data stream: no index mode is forced on it, so none is set.
          settings: { 'index.mapping.ignore_malformed': false, 'index.mapping.total_fields.limit': 5000 },
          // Alerts are not data-stream documents: data_stream.* stays plain keyword here.
          mappings: {
            properties: {
              data_stream: {
                properties: {
                  type: { type: 'keyword' },
                  dataset: { type: 'keyword' },
                  namespace: { type: 'keyword' },
                },
              },
            },
          },
        },
      },
      'top',
    ),
  );
  // The agents' status index (src/setup/agent-status-fields.ts): its template only; the index is created by the
  // first status document, so the writer may still choose a data stream instead.
  assets.push(
    withMeta(
      'index_template',
      'casguard-agents',
      {
        index_patterns: [AGENTS_INDEX_PATTERN],
        // Created by the first status document: auto-created from this template even where
        // `action.auto_create_index` is false, like the other templates.
        allow_auto_create: true,
        priority,
        template: {
          settings: { 'index.mapping.ignore_malformed': false },
          // Its own fields only (no ECS component): unknown fields are kept in _source, not mapped or guessed.
          mappings: {
            dynamic: false,
            date_detection: false,
            properties: buildProperties(AGENT_STATUS_FIELDS),
          },
        },
      },
      'top',
    ),
  );
  // Array mode's shares documents (src/outputs/array/alert-share.ts): one per alert, each agent's contribution
  // read and written by id with optimistic concurrency, never searched by content: only the few fields an operator
  // filters on are mapped; the shares and the base alert are stored, not indexed.
  assets.push(
    withMeta(
      'index_template',
      'casguard-alert-shares',
      {
        index_patterns: [sharesIndexPattern('*')],
        allow_auto_create: true,
        priority,
        template: {
          settings: { 'index.mapping.ignore_malformed': false },
          mappings: {
            dynamic: false,
            date_detection: false,
            properties: {
              array: { type: 'keyword' },
              alert_id: { type: 'keyword' },
              rule_id: { type: 'keyword' },
              raised: { type: 'boolean' },
              raised_at: { type: 'date' },
              updated_at: { type: 'date' },
              base_agent: { type: 'keyword' },
              base: { type: 'keyword', index: false, doc_values: false },
              shares: { type: 'object', enabled: false },
            },
          },
        },
      },
      'top',
    ),
  );
  assets.push({ kind: 'data_stream', name: dataStreamName('activesync', opts.namespace), body: {} });
  assets.push({ kind: 'data_stream', name: dataStreamName('application', opts.namespace), body: {} });
  assets.push({ kind: 'index', name: alertsIndexName(opts.namespace), body: {} });
  return assets;
}
