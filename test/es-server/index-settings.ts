// Index settings as Elasticsearch keeps them: flattened to dotted keys, prefixed with `index.`
// (Settings.Builder#normalizePrefix), values as strings; validated against the index-scoped settings Elasticsearch
// registers (IndexScopedSettings.BUILT_IN_INDEX_SETTINGS plus the x-pack ones casguard and the built-in
// templates use). An unknown key is refused as AbstractScopedSettings#validate words it:
//   unknown setting [index.foo] please check that any required plugins are installed, or check the breaking
//   changes documentation for removed settings
// or, when a known key is close (Lucene LevenshteinDistance > 0.7), "unknown setting [x] did you mean [y]?".
// A private setting (index.uuid, index.creation_date...) is refused with "private index setting [x] can not be
// set explicitly". Values of boolean, integer, time and enumerated settings are parsed as Elasticsearch does.

type Kind = 'bool' | 'int' | 'time' | 'size' | 'string' | 'list' | readonly string[];

const KNOWN: Readonly<Record<string, Kind>> = {
  'index.number_of_shards': 'int',
  'index.number_of_replicas': 'int',
  'index.number_of_routing_shards': 'int',
  'index.auto_expand_replicas': 'string',
  'index.refresh_interval': 'time',
  'index.max_result_window': 'int',
  'index.max_inner_result_window': 'int',
  'index.max_rescore_window': 'int',
  'index.max_docvalue_fields_search': 'int',
  'index.max_script_fields': 'int',
  'index.max_ngram_diff': 'int',
  'index.max_shingle_diff': 'int',
  'index.max_refresh_listeners': 'int',
  'index.max_terms_count': 'int',
  'index.max_regex_length': 'int',
  'index.max_slices_per_scroll': 'int',
  'index.analyze.max_token_count': 'int',
  'index.highlight.max_analyzed_offset': 'int',
  'index.routing_partition_size': 'int',
  'index.routing.allocation.enable': ['all', 'primaries', 'new_primaries', 'none'],
  'index.routing.rebalance.enable': ['all', 'primaries', 'replicas', 'none'],
  'index.routing.allocation.total_shards_per_node': 'int',
  'index.blocks.read_only': 'bool',
  'index.blocks.read_only_allow_delete': 'bool',
  'index.blocks.read': 'bool',
  'index.blocks.write': 'bool',
  'index.blocks.metadata': 'bool',
  'index.codec': ['default', 'best_compression', 'lucene_default'],
  'index.hidden': 'bool',
  'index.mode': ['standard', 'logsdb', 'time_series', 'lookup'],
  'index.routing_path': 'list',
  'index.sort.field': 'list',
  'index.sort.order': 'list',
  'index.sort.mode': 'list',
  'index.sort.missing': 'list',
  'index.lifecycle.name': 'string',
  'index.lifecycle.rollover_alias': 'string',
  'index.lifecycle.parse_origination_date': 'bool',
  'index.lifecycle.origination_date': 'int',
  'index.lifecycle.indexing_complete': 'bool',
  'index.lifecycle.step.wait_time_threshold': 'time',
  'index.lifecycle.skip': 'bool',
  'index.lifecycle.prefer_ilm': 'bool',
  'index.default_pipeline': 'string',
  'index.final_pipeline': 'string',
  'index.mapping.total_fields.limit': 'int',
  'index.mapping.total_fields.ignore_dynamic_beyond_limit': 'bool',
  'index.mapping.depth.limit': 'int',
  'index.mapping.nested_fields.limit': 'int',
  'index.mapping.nested_objects.limit': 'int',
  'index.mapping.field_name_length.limit': 'int',
  'index.mapping.dimension_fields.limit': 'int',
  'index.mapping.ignore_malformed': 'bool',
  'index.mapping.coerce': 'bool',
  'index.mapping.ignore_above': 'int',
  'index.mapping.source.mode': ['stored', 'synthetic', 'disabled'],
  'index.mapping.synthetic_source_keep': ['none', 'arrays', 'all'],
  'index.query.default_field': 'list',
  'index.query_string.lenient': 'bool',
  'index.translog.durability': ['request', 'async'],
  'index.translog.sync_interval': 'time',
  'index.translog.flush_threshold_size': 'size',
  'index.soft_deletes.enabled': 'bool',
  'index.soft_deletes.retention_lease.period': 'time',
  'index.shard.check_on_startup': ['false', 'true', 'checksum'],
  'index.load_fixed_bitset_filters_eagerly': 'bool',
  'index.gc_deletes': 'time',
  'index.write.wait_for_active_shards': 'string',
  'index.priority': 'int',
  'index.search.idle.after': 'time',
  'index.unassigned.node_left.delayed_timeout': 'time',
  'index.time_series.start_time': 'string',
  'index.time_series.end_time': 'string',
  'index.look_ahead_time': 'time',
  'index.look_back_time': 'time',
  'index.store.type': 'string',
  'index.store.preload': 'list',
  'index.queries.cache.enabled': 'bool',
  'index.requests.cache.enable': 'bool',
  'index.frozen': 'bool',
  'index.search.throttled': 'bool',
  'index.data_path': 'string',
  'index.fast_refresh': 'bool',
  'index.logsdb.sort_on_host_name': 'bool',
  'index.logsdb.add_host_name_field': 'bool',
  'index.logsdb.route_on_sort_fields': 'bool',
  'index.recovery.type': 'string',
  'index.merge.scheduler.max_thread_count': 'int',
  'index.merge.scheduler.max_merge_count': 'int',
  'index.merge.scheduler.auto_throttle': 'bool',
};

/** Prefixes of affix and group settings (routing filters, slowlogs, merge policy, analysis, similarity...). */
const KNOWN_PREFIXES = [
  'index.routing.allocation.include.',
  'index.routing.allocation.exclude.',
  'index.routing.allocation.require.',
  'index.routing.allocation.initial_recovery.',
  'index.search.slowlog.',
  'index.indexing.slowlog.',
  'index.merge.policy.',
  'index.translog.retention.',
  'index.analysis.',
  'index.similarity.',
  'index.sort.',
];

/** Settings Elasticsearch sets itself (IndexMetadata: Property.PrivateIndex). */
const PRIVATE = new Set([
  'index.uuid',
  'index.creation_date',
  'index.version.created',
  'index.version.compatibility',
  'index.provided_name',
  'index.resize.source.uuid',
  'index.resize.source.name',
  'index.history.uuid',
]);

/** Static settings (Property.Final or not Dynamic): refused on an open index by PUT _settings. */
export const STATIC_SETTINGS = new Set([
  'index.number_of_shards',
  'index.number_of_routing_shards',
  'index.routing_partition_size',
  'index.codec',
  'index.mode',
  'index.routing_path',
  'index.sort.field',
  'index.sort.order',
  'index.sort.mode',
  'index.sort.missing',
  'index.mapping.source.mode',
  'index.soft_deletes.enabled',
  'index.store.type',
  'index.hidden',
]);

export type FlatSettings = Record<string, string | string[]>;

/** Nested or dotted settings → flat, `index.`-prefixed, string values (null values are dropped). */
export function normalizeSettings(settings: unknown): FlatSettings {
  const out: FlatSettings = {};
  const walk = (v: unknown, prefix: string): void => {
    if (v === null || v === undefined) return;
    if (typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>))
        walk(x, prefix ? `${prefix}.${k}` : k);
      return;
    }
    const key = prefix.startsWith('index.') ? prefix : `index.${prefix}`;
    out[key] = Array.isArray(v) ? v.map((x) => String(x as string)) : String(v as string | number | boolean);
  };
  walk(settings, '');
  return out;
}

/** Lucene's LevenshteinDistance#getDistance: 1 - edit distance / longest length. */
function similarity(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) return m === n ? 1 : 0;
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      cur[j] = Math.min(cur[j - 1]! + 1, prev[j]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return 1 - prev[n]! / Math.max(m, n);
}

function unknownMessage(key: string): string {
  const close = Object.keys(KNOWN)
    .map((k) => [k, similarity(key, k)] as const)
    .filter(([, d]) => d > 0.7)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k]) => k);
  if (close.length === 1) return `unknown setting [${key}] did you mean [${close[0]}]?`;
  if (close.length > 1) return `unknown setting [${key}] did you mean any of [${close.join(', ')}]?`;
  return `unknown setting [${key}] please check that any required plugins are installed, or check the breaking changes documentation for removed settings`;
}

const TIME_RE = /^-1$|^0$|^\d+(\.\d+)?(nanos|micros|ms|s|m|h|d)$/;
const SIZE_RE = /^-1$|^0$|^\d+(\.\d+)?(b|kb|mb|gb|tb|pb)?$/i;

function valueError(key: string, kind: Kind, v: string | string[]): string | undefined {
  if (Array.isArray(v))
    return kind === 'list' ? undefined : `Failed to parse value [${v.join(',')}] for setting [${key}]`;
  if (kind === 'bool' && v !== 'true' && v !== 'false')
    return `Failed to parse value [${v}] as only [true] or [false] are allowed.`;
  if (kind === 'int' && !/^-?\d+$/.test(v)) return `Failed to parse value [${v}] for setting [${key}]`;
  if (kind === 'int' && key === 'index.number_of_shards' && Number(v) < 1)
    return `Failed to parse value [${v}] for setting [${key}] must be >= 1`;
  if (kind === 'int' && key.startsWith('index.mapping.') && Number(v) < 0)
    return `Failed to parse value [${v}] for setting [${key}] must be >= 0`;
  if (kind === 'time' && !TIME_RE.test(v))
    return `failed to parse setting [${key}] with value [${v}] as a time value: unit is missing or unrecognized`;
  if (kind === 'size' && !SIZE_RE.test(v))
    return `failed to parse setting [${key}] with value [${v}] as a size in bytes: unit is missing or unrecognized`;
  if (Array.isArray(kind) && !kind.includes(v)) {
    if (key === 'index.mode') return `No enum constant org.elasticsearch.index.IndexMode.${v.toUpperCase()}`;
    if (key === 'index.codec')
      return `unknown value for [index.codec] must be one of [default, lucene_default, best_compression] but was: ${v}`;
    return `illegal value [${v}] for setting [${key}]`;
  }
  return undefined;
}

/** Every problem with the settings, in Elasticsearch's words (empty when valid). */
export function settingsErrors(flat: FlatSettings): string[] {
  const errors: string[] = [];
  for (const [key, v] of Object.entries(flat)) {
    if (PRIVATE.has(key)) {
      errors.push(`private index setting [${key}] can not be set explicitly`);
      continue;
    }
    const kind = KNOWN[key];
    if (kind === undefined) {
      if (KNOWN_PREFIXES.some((p) => key.startsWith(p))) continue;
      errors.push(unknownMessage(key));
      continue;
    }
    const e = valueError(key, kind, v);
    if (e) errors.push(e);
  }
  return errors;
}

export function boolSetting(flat: FlatSettings, key: string): boolean | undefined {
  const v = flat[key];
  return v === undefined ? undefined : v === 'true';
}

export function intSetting(flat: FlatSettings, key: string): number | undefined {
  const v = flat[key];
  return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : undefined;
}
