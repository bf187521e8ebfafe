// The fields an index pattern gets from what `casguard setup` installs, read back from the very asset bodies setup
// sends (the index template matching the pattern plus its component templates, in composition order). Kibana's
// saved objects are generated against this, so a panel can never name a field the mappings lack.
//
// Kibana field types (what Lens checks operations against) follow Kibana's own mapping of Elasticsearch types
// (`@kbn/field-types`, `es_to_kbn_types`): keyword-like → string, numeric → number, date → date, ip, boolean;
// text-like fields are strings but not aggregatable.

import { CasguardError } from '../../pipeline/errors.js';
import type { Asset } from '../cluster-assets.js';

export type KibanaFieldType = 'string' | 'number' | 'date' | 'ip' | 'boolean' | 'geo_point' | 'unknown';

export interface InstalledField {
  /** Elasticsearch mapping type. */
  readonly esType: string;
  readonly kibanaType: KibanaFieldType;
  /** Has doc values (terms, date histograms, metrics work on it). */
  readonly aggregatable: boolean;
}

const NUMERIC = new Set([
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
const STRING_AGG = new Set(['keyword', 'constant_keyword', 'wildcard', 'version', 'flattened']);
const STRING_TEXT = new Set(['text', 'match_only_text']);

export function describeEsType(esType: string, docValues = true): InstalledField {
  let kibanaType: KibanaFieldType = 'unknown';
  let aggregatable = docValues;
  if (STRING_AGG.has(esType)) kibanaType = 'string';
  else if (STRING_TEXT.has(esType)) {
    kibanaType = 'string';
    aggregatable = false;
  } else if (NUMERIC.has(esType)) kibanaType = 'number';
  else if (esType === 'date' || esType === 'date_nanos') kibanaType = 'date';
  else if (esType === 'ip') kibanaType = 'ip';
  else if (esType === 'boolean') kibanaType = 'boolean';
  else if (esType === 'geo_point') kibanaType = 'geo_point';
  else aggregatable = false;
  return { esType, kibanaType, aggregatable };
}

type Props = Record<string, Record<string, unknown>>;

function flatten(props: Props, prefix: string, out: Map<string, InstalledField>): void {
  for (const [name, node] of Object.entries(props)) {
    const full = prefix === '' ? name : `${prefix}.${name}`;
    const children = node.properties as Props | undefined;
    if (children !== undefined) {
      flatten(children, full, out);
      continue;
    }
    const type = node.type as string | undefined;
    if (type === undefined || type === 'object' || type === 'nested') continue; // open objects carry no field
    out.set(full, describeEsType(type, node.doc_values !== false && node.index !== false));
    const multi = node.fields as Props | undefined;
    if (multi !== undefined) {
      for (const [sub, def] of Object.entries(multi)) {
        out.set(`${full}.${sub}`, describeEsType(String(def.type)));
      }
    }
  }
}

function mappingsOf(body: Record<string, unknown>): Props | undefined {
  const template = body.template as { mappings?: { properties?: Props } } | undefined;
  return template?.mappings?.properties;
}

/**
 * Every leaf field of the indices matching `indexPattern`, as the installed templates map them. The pattern must
 * be one of an installed index template's `index_patterns` (that is the template Elasticsearch applies).
 */
export function installedFields(assets: readonly Asset[], indexPattern: string): Map<string, InstalledField> {
  const template = assets.find(
    (a) =>
      a.kind === 'index_template' &&
      Array.isArray(a.body.index_patterns) &&
      (a.body.index_patterns as unknown[]).includes(indexPattern),
  );
  if (template === undefined) {
    throw new CasguardError('SETUP_FAILED', `no installed index template matches ${indexPattern}`);
  }
  const out = new Map<string, InstalledField>();
  for (const name of (template.body.composed_of as string[] | undefined) ?? []) {
    const component = assets.find((a) => a.kind === 'component_template' && a.name === name);
    if (component === undefined) {
      throw new CasguardError(
        'SETUP_FAILED',
        `index template ${template.name} is composed of ${name}, which setup does not install`,
      );
    }
    const props = mappingsOf(component.body);
    if (props) flatten(props, '', out);
  }
  // The index template's own mappings come last and win, as in Elasticsearch.
  const own = mappingsOf(template.body);
  if (own) flatten(own, '', out);
  return out;
}
