// Validation of the setup request bodies as Elasticsearch parses and validates them:
// - component templates (ComponentTemplate.PARSER, Template.PARSER; MetadataIndexTemplateService#addComponentTemplate),
// - composable index templates (ComposableIndexTemplate.PARSER; MetadataIndexTemplateService#validateV2TemplateRequest,
//   #validateIndexTemplateV2, #validateCompositeTemplate),
// - ILM policies (PutLifecycleRequest, LifecyclePolicy, Phase parsers; TimeseriesLifecycleType#validate),
// - index creation bodies (CreateIndexRequest#source) and settings (index-settings.ts).
// Unknown fields of a body are x_content_parse_exception ("[1:12] [index_template] unknown field [foo]"), nested
// in "failed to parse field [x]" causes as ObjectParser reports them; the line:column is found in the raw body.

import { EsError, cause } from './errors.js';
import type { EsCause } from './errors.js';
import { normalizeSettings, settingsErrors } from './index-settings.js';
import type { FlatSettings } from './index-settings.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Finds `"key"` in the raw body and returns "[1:col]" of its value (Elasticsearch's token location). */
export function locator(raw: string): (key: string) => string {
  return (key) => {
    const at = raw.indexOf(JSON.stringify(key));
    if (at < 0) return '[1:2]';
    const line = raw.slice(0, at).split('\n').length;
    const col = at - raw.lastIndexOf('\n', at - 1);
    return `[${line}:${col}]`;
  };
}

/** A chain of ObjectParser failures: outer parsers first, the innermost problem last. */
function xContentChain(
  loc: (k: string) => string,
  path: [parser: string, field: string][],
  inner: EsCause,
): EsError {
  let c = inner;
  for (let i = path.length - 1; i >= 1; i--) {
    const [parser, field] = path[i]!;
    c = cause('x_content_parse_exception', `${loc(field)} [${parser}] failed to parse field [${field}]`, c);
  }
  if (path.length === 0) return new EsError(400, c.type, c.reason, {}, c.caused_by);
  const [parser, field] = path[0]!;
  return new EsError(
    400,
    'x_content_parse_exception',
    `${loc(field)} [${parser}] failed to parse field [${field}]`,
    {},
    c,
  );
}

function unknownField(
  loc: (k: string) => string,
  parser: string,
  obj: Record<string, unknown>,
  allowed: readonly string[],
): EsCause | undefined {
  for (const k of Object.keys(obj))
    if (!allowed.includes(k))
      return cause('x_content_parse_exception', `${loc(k)} [${parser}] unknown field [${k}]`);
  return undefined;
}

/** MetadataIndexTemplateService#validate: the template's name and patterns. */
function nameErrors(name: string, patterns: string[]): string[] {
  const errors: string[] = [];
  if (name.includes(' ')) errors.push('name must not contain a space');
  if (name.includes(',')) errors.push("name must not contain a ','");
  if (name.includes('#')) errors.push("name must not contain a '#'");
  if (name.includes('*')) errors.push("name must not contain a '*'");
  if (name.startsWith('_')) errors.push("name must not start with '_'");
  if (name.toLowerCase() !== name) errors.push('name must be lower cased');
  for (const p of patterns) {
    if (p.includes(' ')) errors.push(`index_patterns [${p}] must not contain a space`);
    if (p.includes(',')) errors.push(`index_pattern [${p}] must not contain a ','`);
    if (p.includes('#')) errors.push(`index_pattern [${p}] must not contain a '#'`);
    if (p.includes(':')) errors.push(`index_pattern [${p}] must not contain a ':'`);
    if (p.startsWith('_')) errors.push(`index_pattern [${p}] must not start with '_'`);
    if (/[\\/?"<>|]/.test(p))
      errors.push(
        `index_pattern [${p}] must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]`,
      );
  }
  return errors;
}

/** InvalidIndexTemplateException with ValidationException's message. */
function invalidTemplate(name: string, errors: string[]): EsError {
  const msg = `Validation Failed: ${errors.map((e, i) => `${i + 1}: ${e};`).join('')}`;
  return new EsError(
    400,
    'invalid_index_template_exception',
    `index_template [${name}] invalid, cause [${msg}]`,
  );
}

const TEMPLATE_FIELDS = ['settings', 'mappings', 'aliases', 'lifecycle', 'data_stream_options'];

/** Parses a `template` object; returns its normalized settings or throws. */
function checkInnerTemplate(loc: (k: string) => string, outer: string, template: unknown): FlatSettings {
  if (template === undefined) return {};
  if (!isPlainObject(template))
    throw xContentChain(
      loc,
      [[outer, 'template']],
      cause(
        'x_content_parse_exception',
        `${loc('template')} [template] template doesn't support values of type: VALUE_STRING`,
      ),
    );
  const u = unknownField(loc, 'template', template, TEMPLATE_FIELDS);
  if (u) throw xContentChain(loc, [[outer, 'template']], u);
  if (template.settings !== undefined && !isPlainObject(template.settings))
    throw xContentChain(
      loc,
      [
        [outer, 'template'],
        ['template', 'settings'],
      ],
      cause('illegal_state_exception', 'settings must be an object'),
    );
  return normalizeSettings(template.settings ?? {});
}

export interface ParsedComponentTemplate {
  body: Record<string, unknown>;
  settings: FlatSettings;
}

/** PUT _component_template/<name>: parse and the name/settings validation (mappings are checked by the caller). */
export function parseComponentTemplate(body: Record<string, unknown>, raw: string): ParsedComponentTemplate {
  const loc = locator(raw);
  const u = unknownField(loc, 'component_template', body, ['template', 'version', '_meta', 'deprecated']);
  if (u) throw new EsError(400, u.type, u.reason);
  if (body.template === undefined)
    throw new EsError(400, 'x_content_parse_exception', `[1:2] Required [template]`);
  const settings = checkInnerTemplate(loc, 'component_template', body.template);
  return { body, settings };
}

/**
 * PUT _component_template: TransportPutComponentTemplateAction validates the settings before anything else
 * (IndexScopedSettings#validate: an IllegalArgumentException), then MetadataIndexTemplateService#validate checks
 * the name (InvalidIndexTemplateException).
 */
export function componentTemplateSettingsError(settings: FlatSettings): EsError | undefined {
  return indexSettingsError(settings);
}

export function componentTemplateNameError(name: string): EsError | undefined {
  const errors = nameErrors(name, []);
  return errors.length > 0 ? invalidTemplate(name, errors) : undefined;
}

const INDEX_TEMPLATE_FIELDS = [
  'index_patterns',
  'template',
  'composed_of',
  'priority',
  'version',
  '_meta',
  'data_stream',
  'allow_auto_create',
  'ignore_missing_component_templates',
  'deprecated',
];

export interface ParsedIndexTemplate {
  patterns: string[];
  priority: number;
  composedOf: string[];
  ignoreMissing: string[];
  settings: FlatSettings;
}

/** PUT _index_template/<name>: parsing and request validation (before the cluster-state checks). */
export function parseIndexTemplate(body: Record<string, unknown>, raw: string): ParsedIndexTemplate {
  const loc = locator(raw);
  const u = unknownField(loc, 'index_template', body, INDEX_TEMPLATE_FIELDS);
  if (u) throw new EsError(400, u.type, u.reason);
  const pats = body.index_patterns;
  // ComposableIndexTemplate.PARSER: index_patterns is a required constructor argument.
  if (pats === undefined)
    throw new EsError(
      400,
      'x_content_parse_exception',
      `[1:${raw.trimEnd().length}] Required [index_patterns]`,
    );
  const patterns = (Array.isArray(pats) ? pats : [pats]).map((p) => String(p as string));
  if (body.priority !== undefined && (typeof body.priority !== 'number' || !Number.isInteger(body.priority)))
    throw new EsError(
      400,
      'x_content_parse_exception',
      `${loc('priority')} [index_template] failed to parse field [priority]`,
    );
  const priority = Number(body.priority ?? 0);
  if (priority < 0)
    throw new EsError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: index template priority must be >= 0;',
    );
  if (body.data_stream !== undefined) {
    if (!isPlainObject(body.data_stream))
      throw xContentChain(
        loc,
        [['index_template', 'data_stream']],
        cause(
          'x_content_parse_exception',
          `${loc('data_stream')} [data_stream_template] data_stream_template doesn't support values of type: VALUE_STRING`,
        ),
      );
    const du = unknownField(loc, 'data_stream_template', body.data_stream, [
      'hidden',
      'allow_custom_routing',
      'failure_store',
    ]);
    if (du) throw xContentChain(loc, [['index_template', 'data_stream']], du);
  }
  if (body.allow_auto_create !== undefined && typeof body.allow_auto_create !== 'boolean')
    throw new EsError(
      400,
      'x_content_parse_exception',
      `${loc('allow_auto_create')} [index_template] failed to parse field [allow_auto_create]`,
    );
  const settings = checkInnerTemplate(loc, 'index_template', body.template);
  const composedOf = Array.isArray(body.composed_of) ? body.composed_of.map(String) : [];
  const ignoreMissing = Array.isArray(body.ignore_missing_component_templates)
    ? body.ignore_missing_component_templates.map(String)
    : [];
  return { patterns, priority, composedOf, ignoreMissing, settings };
}

export function indexTemplateSettingsError(
  name: string,
  patterns: string[],
  settings: FlatSettings,
): EsError | undefined {
  // TransportPutComposableIndexTemplateAction.Request#validateIndexTemplate
  if (patterns.some((p) => p === '*') && settings['index.hidden'] !== undefined)
    return new EsError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: global composable templates may not specify the setting index.hidden;',
    );
  const errors = [...nameErrors(name, patterns), ...settingsErrors(settings)];
  return errors.length > 0 ? invalidTemplate(name, errors) : undefined;
}

/** The composite failure: IllegalArgumentException chain of #validateIndexTemplateV2 / #validateCompositeTemplate. */
export function compositeTemplateError(name: string, composedOf: string[], inner: EsCause): EsError {
  return new EsError(
    400,
    'illegal_argument_exception',
    `composable template [${name}] template after composition ${composedOf.length > 0 ? `with component templates [${composedOf.join(', ')}] ` : ''}is invalid`,
    {},
    cause('illegal_argument_exception', `invalid composite mappings for [${name}]`, inner),
  );
}

// ILM: the actions each phase allows (TimeseriesLifecycleType.VALID_*_ACTIONS) and each action's fields.
const PHASE_ACTIONS: Record<string, string[]> = {
  hot: [
    'set_priority',
    'unfollow',
    'rollover',
    'readonly',
    'downsample',
    'shrink',
    'forcemerge',
    'searchable_snapshot',
  ],
  warm: ['set_priority', 'unfollow', 'readonly', 'downsample', 'allocate', 'migrate', 'shrink', 'forcemerge'],
  cold: [
    'set_priority',
    'unfollow',
    'readonly',
    'downsample',
    'searchable_snapshot',
    'allocate',
    'migrate',
    'freeze',
  ],
  frozen: ['unfollow', 'searchable_snapshot'],
  delete: ['wait_for_snapshot', 'delete'],
};
const ACTION_FIELDS: Record<string, string[]> = {
  rollover: [
    'max_size',
    'max_primary_shard_size',
    'max_age',
    'max_docs',
    'max_primary_shard_docs',
    'min_size',
    'min_primary_shard_size',
    'min_age',
    'min_docs',
    'min_primary_shard_docs',
  ],
  delete: ['delete_searchable_snapshot'],
  set_priority: ['priority'],
  forcemerge: ['max_num_segments', 'index_codec'],
  shrink: ['number_of_shards', 'max_primary_shard_size', 'allow_write_after_shrink'],
  allocate: ['number_of_replicas', 'total_shards_per_node', 'include', 'exclude', 'require'],
  readonly: [],
  unfollow: [],
  freeze: [],
  migrate: ['enabled'],
  searchable_snapshot: ['snapshot_repository', 'force_merge_index', 'total_shards_per_node', 'replicate_for'],
  downsample: ['fixed_interval', 'wait_timeout', 'force_merge_index', 'sampling_method'],
  wait_for_snapshot: ['policy'],
};
const HOT_NEEDS_ROLLOVER = ['forcemerge', 'shrink', 'searchable_snapshot', 'downsample'];
const TIME_RE = /^-1$|^0$|^\d+(\.\d+)?(nanos|micros|ms|s|m|h|d)$/;

/** PUT _ilm/policy/<name>. Throws Elasticsearch's error; returns the policy body to store. */
export function parseLifecyclePolicy(body: Record<string, unknown>, raw: string): Record<string, unknown> {
  const loc = locator(raw);
  const u = unknownField(loc, 'put_lifecycle_request', body, ['policy']);
  if (u) throw new EsError(400, u.type, u.reason);
  const policy = body.policy;
  if (!isPlainObject(policy)) throw new EsError(400, 'x_content_parse_exception', '[1:2] Required [policy]');
  const top: [string, string][] = [['put_lifecycle_request', 'policy']];
  const pu = unknownField(loc, 'lifecycle_policy', policy, ['phases', '_meta', 'deprecated']);
  if (pu) throw xContentChain(loc, top, pu);
  const phases = policy.phases;
  if (!isPlainObject(phases))
    throw xContentChain(loc, top, cause('x_content_parse_exception', `${loc('policy')} Required [phases]`));
  for (const [phaseName, phase] of Object.entries(phases)) {
    const at: [string, string][] = [...top, ['lifecycle_policy', 'phases']];
    if (!isPlainObject(phase))
      throw xContentChain(
        loc,
        at,
        cause(
          'x_content_parse_exception',
          `${loc(phaseName)} [phase] phase doesn't support values of type: VALUE_STRING`,
        ),
      );
    const phu = unknownField(loc, 'phase', phase, ['min_age', 'actions']);
    if (phu) throw xContentChain(loc, at, phu);
    if (phase.min_age !== undefined && !TIME_RE.test(String(phase.min_age as string)))
      throw new EsError(
        400,
        'illegal_argument_exception',
        `failed to parse setting [min_age] with value [${String(phase.min_age as string)}] as a time value: unit is missing or unrecognized`,
      );
    const actions = phase.actions ?? {};
    if (!isPlainObject(actions))
      throw xContentChain(
        loc,
        [...at, ['phase', 'actions']],
        cause('illegal_argument_exception', 'ordered actions are not supported'),
      );
    for (const [actionName, action] of Object.entries(actions)) {
      const fields = ACTION_FIELDS[actionName];
      // NamedXContentRegistry#parseNamedObject: an action no LifecycleAction parser is registered for.
      if (!fields)
        throw xContentChain(
          loc,
          [...at, ['phase', 'actions']],
          cause('named_object_not_found_exception', `${loc(actionName)} unknown field [${actionName}]`),
        );
      if (!isPlainObject(action))
        throw xContentChain(
          loc,
          [...at, ['phase', 'actions']],
          cause(
            'x_content_parse_exception',
            `${loc(actionName)} [${actionName}] ${actionName} doesn't support values of type: VALUE_STRING`,
          ),
        );
      const au = unknownField(loc, actionName, action, fields);
      if (au) throw xContentChain(loc, [...at, ['phase', 'actions']], au);
      if (actionName === 'rollover' && !Object.keys(action).some((k) => k.startsWith('max_')))
        throw new EsError(
          400,
          'illegal_argument_exception',
          'At least one max_* rollover condition must be set.',
        );
    }
  }
  // TimeseriesLifecycleType#validate
  for (const [phaseName, phase] of Object.entries(phases)) {
    const allowed = PHASE_ACTIONS[phaseName];
    if (!allowed)
      throw new EsError(
        400,
        'illegal_argument_exception',
        `Timeseries lifecycle does not support phase [${phaseName}]`,
      );
    for (const actionName of Object.keys(((phase as Record<string, unknown>).actions ?? {}) as object))
      if (!allowed.includes(actionName))
        throw new EsError(
          400,
          'illegal_argument_exception',
          `invalid action [${actionName}] defined in phase [${phaseName}]`,
        );
  }
  const hot = phases.hot as { actions?: Record<string, unknown> } | undefined;
  if (hot?.actions && hot.actions.rollover === undefined) {
    const bad = Object.keys(hot.actions).filter((a) => HOT_NEEDS_ROLLOVER.includes(a));
    if (bad.length > 0)
      throw new EsError(
        400,
        'illegal_argument_exception',
        `the [${bad.join(', ')}] action(s) may not be used in the [hot] phase without an accompanying [rollover] action`,
      );
  }
  return policy;
}

/** PUT <index>: CreateIndexRequest#source. */
export function parseCreateIndexBody(body: Record<string, unknown>): FlatSettings {
  for (const k of Object.keys(body))
    if (!['settings', 'mappings', 'aliases'].includes(k))
      throw new EsError(400, 'parse_exception', `unknown key [${k}] for create index`);
  return normalizeSettings(body.settings ?? {});
}

/**
 * Settings of an index creation or update: IndexScopedSettings#validate throws an IllegalArgumentException for the
 * first unknown key or bad value (the others suppressed); private settings are then refused by
 * MetadataCreateIndexService#validateIndexSettings as a ValidationException.
 */
export function indexSettingsError(flat: FlatSettings): EsError | undefined {
  const errors = settingsErrors(flat);
  if (errors.length === 0) return undefined;
  const priv = errors.filter((e) => e.startsWith('private index setting'));
  const other = errors.filter((e) => !e.startsWith('private index setting'));
  if (other.length === 0)
    return new EsError(
      400,
      'validation_exception',
      `Validation Failed: ${priv.map((e, i) => `${i + 1}: ${e};`).join('')}`,
    );
  const suppressed = other.slice(1).map((r) => ({ type: 'illegal_argument_exception', reason: r }));
  return new EsError(
    400,
    'illegal_argument_exception',
    other[0]!,
    suppressed.length > 0 ? { suppressed } : {},
  );
}
