// The Elasticsearch types casguard's own (non-ECS, non-winlog) fields may have. Each format area lists its own
// fields with one of these (src/normalize/*/…-own-fields.ts); `casguard setup` maps them explicitly.
// `flattened` is for open-ended key → string maps (decoded `&Log=` tokens, request headers).
export type OwnFieldType =
  | 'keyword'
  | 'long'
  | 'integer'
  | 'boolean'
  | 'date'
  | 'ip'
  | 'text'
  | 'float'
  | 'object'
  | 'match_only_text'
  | 'wildcard'
  | 'flattened';
