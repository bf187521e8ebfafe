// The mapping parameters each field type accepts, as Elasticsearch's field mappers declare them in
// `Builder#getParameters()` (elastic/elasticsearch, server/src/main/java/org/elasticsearch/index/mapper/:
// KeywordFieldMapper, TextFieldMapper, NumberFieldMapper, BooleanFieldMapper, DateFieldMapper, IpFieldMapper,
// GeoPointFieldMapper, BinaryFieldMapper, flattened/FlattenedFieldMapper; modules/mapper-extras:
// MatchOnlyTextFieldMapper, ScaledFloatFieldMapper; x-pack: WildcardFieldMapper, ConstantKeywordFieldMapper,
// UnsignedLongFieldMapper, VersionStringFieldMapper), as of 8.15-9.x. Every field mapper also takes `fields`,
// `copy_to` and `synthetic_source_keep` (FieldMapper.Builder#parse); `boost` is refused on indices created by
// 8.0+ ("Unknown parameter [boost] on mapper [x]"). Objects (ObjectMapper.TypeParser) take `dynamic`, `enabled`,
// `subobjects`, `properties` and refuse the rest with "Mapping definition for [x] has unsupported parameters".
//
// A parameter missing from a type's list is refused with
//   mapper_parsing_exception: unknown parameter [ignore_above] on mapper [n] of type [long]
// (FieldMapper.Builder#parse). Types Elasticsearch knows but the test server does not check in detail
// (vectors, shapes, ranges...) accept any parameter: see UNCHECKED_TYPES.

export type ParamKind = 'bool' | 'int' | 'string' | 'number' | 'any';

const COMMON_NUMERIC: Record<string, ParamKind> = {
  index: 'bool',
  doc_values: 'bool',
  store: 'bool',
  ignore_malformed: 'bool',
  coerce: 'bool',
  null_value: 'any',
  script: 'any',
  on_script_error: 'string',
  meta: 'any',
  time_series_dimension: 'bool',
  time_series_metric: 'string',
};

/** Field type → parameter → kind of value. */
export const FIELD_PARAMS: Readonly<Record<string, Readonly<Record<string, ParamKind>>>> = {
  keyword: {
    index: 'bool',
    doc_values: 'bool',
    store: 'bool',
    null_value: 'string',
    eager_global_ordinals: 'bool',
    ignore_above: 'int',
    index_options: 'string',
    norms: 'bool',
    similarity: 'string',
    normalizer: 'string',
    split_queries_on_whitespace: 'bool',
    script: 'any',
    on_script_error: 'string',
    meta: 'any',
    time_series_dimension: 'bool',
  },
  constant_keyword: { value: 'string', meta: 'any' },
  wildcard: { ignore_above: 'int', null_value: 'string', meta: 'any' },
  version: { meta: 'any' },
  text: {
    index: 'bool',
    store: 'bool',
    index_phrases: 'bool',
    index_prefixes: 'any',
    norms: 'bool',
    term_vector: 'string',
    similarity: 'string',
    analyzer: 'string',
    search_analyzer: 'string',
    search_quote_analyzer: 'string',
    position_increment_gap: 'int',
    fielddata: 'bool',
    fielddata_frequency_filter: 'any',
    eager_global_ordinals: 'bool',
    index_options: 'string',
    meta: 'any',
  },
  match_only_text: { meta: 'any' },
  long: COMMON_NUMERIC,
  integer: COMMON_NUMERIC,
  short: COMMON_NUMERIC,
  byte: COMMON_NUMERIC,
  double: COMMON_NUMERIC,
  float: COMMON_NUMERIC,
  half_float: COMMON_NUMERIC,
  scaled_float: { ...COMMON_NUMERIC, scaling_factor: 'number' },
  unsigned_long: {
    index: 'bool',
    doc_values: 'bool',
    store: 'bool',
    ignore_malformed: 'bool',
    null_value: 'any',
    meta: 'any',
    time_series_dimension: 'bool',
    time_series_metric: 'string',
  },
  boolean: {
    index: 'bool',
    doc_values: 'bool',
    store: 'bool',
    null_value: 'any',
    script: 'any',
    on_script_error: 'string',
    ignore_malformed: 'bool',
    meta: 'any',
    time_series_dimension: 'bool',
  },
  date: {
    index: 'bool',
    doc_values: 'bool',
    store: 'bool',
    format: 'string',
    locale: 'string',
    null_value: 'string',
    ignore_malformed: 'bool',
    script: 'any',
    on_script_error: 'string',
    meta: 'any',
  },
  ip: {
    index: 'bool',
    doc_values: 'bool',
    store: 'bool',
    ignore_malformed: 'bool',
    null_value: 'string',
    script: 'any',
    on_script_error: 'string',
    meta: 'any',
    time_series_dimension: 'bool',
  },
  geo_point: {
    index: 'bool',
    doc_values: 'bool',
    store: 'bool',
    ignore_malformed: 'bool',
    ignore_z_value: 'bool',
    null_value: 'any',
    script: 'any',
    on_script_error: 'string',
    meta: 'any',
    time_series_metric: 'string',
  },
  binary: { doc_values: 'bool', store: 'bool', meta: 'any' },
  flattened: {
    index: 'bool',
    doc_values: 'bool',
    depth_limit: 'int',
    null_value: 'string',
    eager_global_ordinals: 'bool',
    ignore_above: 'int',
    index_options: 'string',
    similarity: 'string',
    split_queries_on_whitespace: 'bool',
    meta: 'any',
    time_series_dimensions: 'any',
  },
};
// date_nanos is DateFieldMapper with another resolution: the same parameters.
(FIELD_PARAMS as Record<string, Readonly<Record<string, ParamKind>>>).date_nanos = FIELD_PARAMS.date!;

/** Parameters every field mapper takes on top of its own (FieldMapper.Builder#parse). */
export const FIELD_COMMON_PARAMS = new Set(['type', 'fields', 'copy_to', 'synthetic_source_keep']);

/** Object and nested mappers (ObjectMapper.TypeParser, NestedObjectMapper.TypeParser). */
export const OBJECT_PARAMS = new Set([
  'type',
  'properties',
  'dynamic',
  'enabled',
  'subobjects',
  'synthetic_source_keep',
]);
export const NESTED_PARAMS = new Set([...OBJECT_PARAMS, 'include_in_parent', 'include_in_root']);

/** Root object (RootObjectMapper.TypeParser + the metadata fields a mapping may configure). */
export const ROOT_PARAMS = new Set([
  'properties',
  'dynamic',
  'enabled',
  'subobjects',
  'date_detection',
  'numeric_detection',
  'dynamic_date_formats',
  'dynamic_templates',
  'runtime',
  '_meta',
  '_source',
  '_routing',
  '_field_names',
  '_data_stream_timestamp',
  '_doc_count',
  'synthetic_source_keep',
]);

/**
 * Types Elasticsearch's default distribution registers that the test server accepts without checking their
 * parameters (it never indexes into them in casguard's tests).
 */
export const UNCHECKED_TYPES = new Set([
  'dense_vector',
  'sparse_vector',
  'rank_feature',
  'rank_features',
  'completion',
  'search_as_you_type',
  'token_count',
  'histogram',
  'aggregate_metric_double',
  'geo_shape',
  'shape',
  'point',
  'integer_range',
  'long_range',
  'float_range',
  'double_range',
  'date_range',
  'ip_range',
  'percolator',
  'join',
  'semantic_text',
  'counted_keyword',
  'passthrough',
  'annotated_text',
]);

/** Every type name a `type` may carry. */
export function isKnownType(type: string): boolean {
  return (
    type in FIELD_PARAMS ||
    UNCHECKED_TYPES.has(type) ||
    type === 'object' ||
    type === 'nested' ||
    type === 'alias' ||
    type === 'runtime'
  );
}

/** The keyword family (ignore_above applies, values are strings). */
export const KEYWORD_FAMILY = new Set(['keyword', 'constant_keyword', 'wildcard']);
export const NUMERIC_TYPES = new Set([
  'long',
  'integer',
  'short',
  'byte',
  'double',
  'float',
  'half_float',
  'scaled_float',
  'unsigned_long',
]);
/** Types whose mapper honours ignore_malformed (the ignore_malformed docs page lists them). */
export const IGNORE_MALFORMED_TYPES = new Set([
  ...NUMERIC_TYPES,
  'date',
  'date_nanos',
  'ip',
  'geo_point',
  'boolean',
]);
