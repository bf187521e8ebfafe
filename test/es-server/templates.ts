// Component templates, composable index templates, ILM policies and ingest pipelines: storage, validation on PUT
// (body-validation.ts, mapping-validate.ts) and resolution for a new index (MetadataIndexTemplateService:
// findV2Template = the highest-priority template whose patterns match; resolveSettings / collectMappings =
// component templates in `composed_of` order, then the template's own, with `@timestamp: date` first for data
// stream templates).

import {
  compositeTemplateError,
  componentTemplateNameError,
  componentTemplateSettingsError,
  indexTemplateSettingsError,
  parseComponentTemplate,
  parseIndexTemplate,
  parseLifecyclePolicy,
} from './body-validation.js';
import { EsError, cause, illegalArgument } from './errors.js';
import { normalizeSettings } from './index-settings.js';
import type { FlatSettings } from './index-settings.js';
import { mappingError } from './mapping-validate.js';
import { emptyMappingState, mergeMappings } from './mapping-state.js';
import type { IndexMappingState } from './mapping-state.js';
import { globMatch } from './glob.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether two index patterns can match a common name (MetadataIndexTemplateService#findConflictingV2Templates). */
function patternsOverlap(a: string, b: string): boolean {
  return globMatch(a, b.replace(/\*/g, 'x')) || globMatch(b, a.replace(/\*/g, 'x'));
}

export interface ResolvedTemplate {
  name: string;
  template: Record<string, unknown>;
  settings: FlatSettings;
  mapping: IndexMappingState;
  failureStore: boolean;
}

export class TemplateStore {
  readonly componentTemplates = new Map<string, Record<string, unknown>>();
  readonly indexTemplates = new Map<string, Record<string, unknown>>();
  readonly ilmPolicies = new Map<string, Record<string, unknown>>();
  readonly pipelines = new Map<string, Record<string, unknown>>();

  /** Install a built-in body without validation (the stack registry's own templates). */
  installBuiltin(
    kind: 'component' | 'index' | 'ilm' | 'pipeline',
    name: string,
    body: Record<string, unknown>,
  ): void {
    if (kind === 'component') this.componentTemplates.set(name, body);
    else if (kind === 'index') this.indexTemplates.set(name, body);
    else if (kind === 'pipeline') this.pipelines.set(name, body);
    else
      this.ilmPolicies.set(name, {
        version: 1,
        modified_date: new Date().toISOString(),
        policy: body,
        in_use_by: { indices: [], data_streams: [], composable_templates: [] },
      });
  }

  putComponentTemplate(name: string, body: Record<string, unknown>, raw: string, create: boolean): void {
    if (create && this.componentTemplates.has(name))
      throw illegalArgument(`component template [${name}] already exists`);
    const parsed = parseComponentTemplate(body, raw);
    const template = body.template as Record<string, unknown>;
    const se = componentTemplateSettingsError(parsed.settings);
    if (se) throw se;
    const me = mappingError(template.mappings);
    if (me) throw me;
    const ne = componentTemplateNameError(name);
    if (ne) throw ne;
    // Every composable template using this component must stay valid (#addComponentTemplate).
    const previous = this.componentTemplates.get(name);
    this.componentTemplates.set(name, {
      ...body,
      template: { ...template, ...(template.settings ? { settings: nestSettings(parsed.settings) } : {}) },
    });
    for (const [tname, t] of this.indexTemplates) {
      if (!((t.composed_of as string[] | undefined) ?? []).includes(name)) continue;
      const err = this.compositeError(tname, t);
      if (err) {
        if (previous) this.componentTemplates.set(name, previous);
        else this.componentTemplates.delete(name);
        throw new EsError(
          400,
          'illegal_argument_exception',
          `updating component template [${name}] results in invalid composable template [${tname}] after templates are merged`,
          {},
          err.toCause(),
        );
      }
    }
  }

  deleteComponentTemplate(name: string): void {
    const matching = [...this.componentTemplates.keys()].filter((k) => globMatch(name, k));
    if (matching.length === 0) throw new EsError(404, 'resource_not_found_exception', name);
    const users = [...this.indexTemplates].filter(([, t]) =>
      ((t.composed_of as string[] | undefined) ?? []).some((c) => matching.includes(c)),
    );
    if (users.length > 0)
      throw illegalArgument(
        `component templates [${matching.join(', ')}] cannot be removed as they are still in use by index templates [${users.map(([n]) => n).join(', ')}]`,
      );
    for (const m of matching) this.componentTemplates.delete(m);
  }

  /** The composed mapping must parse, and a data stream template must map @timestamp as a date. */
  private compositeError(name: string, t: Record<string, unknown>): EsError | undefined {
    const composedOf = (t.composed_of as string[] | undefined) ?? [];
    const bodies: unknown[] = [];
    for (const c of composedOf) {
      const ct = this.componentTemplates.get(c);
      if (ct) bodies.push((ct.template as Record<string, unknown> | undefined)?.mappings);
    }
    bodies.push((t.template as Record<string, unknown> | undefined)?.mappings);
    for (const b of bodies) {
      const e = mappingError(b);
      if (e) return compositeTemplateError(name, composedOf, e.toCause());
    }
    if (t.data_stream !== undefined) {
      const state = emptyMappingState();
      mergeMappings(state, { properties: { '@timestamp': { type: 'date' } } });
      for (const b of bodies) mergeMappings(state, b);
      const ts = state.fields.get('@timestamp');
      if (ts && ts.type !== 'date' && ts.type !== 'date_nanos')
        return compositeTemplateError(
          name,
          composedOf,
          cause(
            'illegal_argument_exception',
            `data stream timestamp field [@timestamp] is of type [${ts.type}], but [date,date_nanos] is expected`,
          ),
        );
    }
    return undefined;
  }

  putIndexTemplate(name: string, body: Record<string, unknown>, raw: string, create: boolean): void {
    const parsed = parseIndexTemplate(body, raw);
    // MetadataIndexTemplateService#validateV2TemplateRequest: missing component templates.
    const missing = parsed.composedOf.filter(
      (c) => !this.componentTemplates.has(c) && !parsed.ignoreMissing.includes(c),
    );
    if (missing.length > 0)
      throw new EsError(
        400,
        'invalid_index_template_exception',
        parsed.ignoreMissing.length === 0
          ? `index_template [${name}] invalid, cause [index template [${name}] specifies component templates [${missing.join(', ')}] that do not exist]`
          : `index_template [${name}] invalid, cause [index template [${name}] specifies a missing component templates [${missing.join(', ')}] that does not exist and is not part of 'ignore_missing_component_templates']`,
      );
    if (create && this.indexTemplates.has(name))
      throw illegalArgument(`index template [${name}] already exists`);
    // #v2TemplateOverlaps: another template with the same priority and overlapping patterns.
    const overlaps: [string, string[]][] = [];
    for (const [other, t] of this.indexTemplates) {
      if (other === name || Number(t.priority ?? 0) !== parsed.priority) continue;
      const op = (t.index_patterns as string[]) ?? [];
      if (parsed.patterns.some((p) => op.some((q) => patternsOverlap(p, q)))) overlaps.push([other, op]);
    }
    if (overlaps.length > 0)
      throw illegalArgument(
        `index template [${name}] has index patterns [${parsed.patterns.join(', ')}] matching patterns from existing templates [${overlaps.map(([n]) => n).join(',')}] with patterns (${overlaps.map(([n, p]) => `${n} => [${p.join(', ')}]`).join(',')}) that have the same priority [${parsed.priority}], multiple index templates may not match during index creation, please use a different priority`,
      );
    // #validateIndexTemplateV2: settings of the composition, then the composed mappings.
    const composedSettings: FlatSettings = {};
    for (const c of parsed.composedOf) {
      const ct = this.componentTemplates.get(c);
      Object.assign(
        composedSettings,
        normalizeSettings((ct?.template as Record<string, unknown> | undefined)?.settings ?? {}),
      );
    }
    Object.assign(composedSettings, parsed.settings);
    const se = indexTemplateSettingsError(name, parsed.patterns, composedSettings);
    if (se) throw se;
    const own = body.template as Record<string, unknown> | undefined;
    const stored = {
      ...body,
      index_patterns: parsed.patterns,
      ...(own?.settings !== undefined
        ? { template: { ...own, settings: nestSettings(parsed.settings) } }
        : {}),
    };
    const ce = this.compositeError(name, stored);
    if (ce) throw ce;
    this.indexTemplates.set(name, stored);
  }

  putLifecyclePolicy(name: string, body: Record<string, unknown>, raw: string): void {
    const policy = parseLifecyclePolicy(body, raw);
    const prev = this.ilmPolicies.get(name);
    this.ilmPolicies.set(name, {
      version: ((prev?.version as number | undefined) ?? 0) + 1,
      modified_date: new Date().toISOString(),
      policy,
      in_use_by: { indices: [], data_streams: [], composable_templates: [] },
    });
  }

  /** findV2Template: the matching template with the highest priority. */
  findTemplate(indexName: string): [string, Record<string, unknown>] | undefined {
    let best: [string, Record<string, unknown>] | undefined;
    for (const [tname, t] of this.indexTemplates) {
      const pats = (t.index_patterns as string[]) ?? [];
      if (!pats.some((p) => globMatch(p, indexName))) continue;
      if (!best || Number(t.priority ?? 0) > Number(best[1].priority ?? 0)) best = [tname, t];
    }
    return best;
  }

  /** Settings, mappings and data stream options of an index created from template `name`. */
  resolve(name: string, t: Record<string, unknown>): ResolvedTemplate {
    const mapping = emptyMappingState();
    const settings: FlatSettings = {};
    let failureStore = false;
    if (t.data_stream !== undefined)
      mergeMappings(mapping, { properties: { '@timestamp': { type: 'date' } } });
    const apply = (tpl: Record<string, unknown> | undefined): void => {
      if (!tpl) return;
      mergeMappings(mapping, tpl.mappings);
      Object.assign(settings, normalizeSettings(tpl.settings ?? {}));
      const dso = tpl.data_stream_options as { failure_store?: { enabled?: boolean } } | undefined;
      if (dso?.failure_store?.enabled !== undefined) failureStore = dso.failure_store.enabled;
    };
    for (const c of (t.composed_of as string[] | undefined) ?? []) {
      const ct = this.componentTemplates.get(c);
      apply(ct?.template as Record<string, unknown> | undefined);
    }
    apply(t.template as Record<string, unknown> | undefined);
    return { name, template: t, settings, mapping, failureStore };
  }
}

/** Flat `index.x.y` settings back to the nested form GET _component_template shows. */
export function nestSettings(flat: FlatSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flat)) {
    const parts = k.split('.');
    let node = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = node[parts[i]!];
      if (!isPlainObject(next)) node[parts[i]!] = {};
      node = node[parts[i]!] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]!] = v;
  }
  return out;
}
