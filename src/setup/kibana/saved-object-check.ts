// Structural checks of Kibana saved objects, independent of the code that generates them: every reference
// resolves within the set (or to an object the caller says exists), JSON-in-string attributes parse, Lens layers
// have their data view reference and their accessors name real columns, dashboard panels resolve through
// `<panelIndex>:<panelRefName>`, and every field a panel, a column filter or a query names exists in the data
// view's installed mappings with a type the column's operation accepts. Works on real Kibana exports too (minus
// the field check, which needs the mappings), which is how the tests hold it to Kibana's own shapes.

import type { InstalledField } from './installed-fields.js';
import { OPERATION_FIELD_TYPES, RANKABLE, RECORDS } from './lens.js';

export interface ObjectLike {
  readonly type: string;
  readonly id: string;
  readonly attributes: Record<string, unknown>;
  readonly references?: readonly { id: string; name: string; type: string }[];
}

export interface CheckOptions {
  /** Fields of each data view by data view id; without it fields are not checked. */
  readonly fieldsByDataView?: ReadonlyMap<string, ReadonlyMap<string, InstalledField>>;
  /** Objects that exist already (type:id), so references to them resolve. */
  readonly existing?: ReadonlySet<string>;
}

/** Fields named in a KQL string: every `field :` comparison. */
export function kqlStringFields(query: string): string[] {
  const out: string[] = [];
  // Quoted values may contain anything, a colon included: drop them first.
  const bare = query.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of bare.matchAll(/(?:^|[\s(])([A-Za-z_@][\w.@]*)\s*:/g)) out.push(m[1]!);
  return out;
}

function parseJsonAttr(problems: string[], where: string, value: unknown): unknown {
  if (typeof value !== 'string') {
    problems.push(`${where} is not a JSON string`);
    return undefined;
  }
  try {
    return JSON.parse(value) as unknown;
  } catch (e) {
    problems.push(`${where} does not parse: ${(e as Error).message}`);
    return undefined;
  }
}

const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

function checkField(
  problems: string[],
  where: string,
  fields: ReadonlyMap<string, InstalledField> | undefined,
  field: string,
  op: string | undefined,
  dataType?: unknown,
): void {
  if (fields === undefined) return;
  const def = fields.get(field);
  if (def === undefined) {
    problems.push(`${where}: field ${field} is not mapped`);
    return;
  }
  if (op === undefined) return; // a query or filter may name any mapped field
  const accepted = OPERATION_FIELD_TYPES[op];
  if (accepted === undefined) {
    problems.push(`${where}: unknown operation ${op}`);
    return;
  }
  if (!def.aggregatable)
    problems.push(`${where}: ${op} on ${field}, which is not aggregatable (${def.esType})`);
  else if (!accepted.includes(def.kibanaType))
    problems.push(`${where}: ${op} does not accept ${field} of type ${def.kibanaType} (${def.esType})`);
  if (
    dataType !== undefined &&
    (op === 'terms' || op === 'last_value' || op === 'date_histogram') &&
    dataType !== def.kibanaType
  )
    problems.push(`${where}: column dataType ${JSON.stringify(dataType)} but ${field} is ${def.kibanaType}`);
}

function checkIndexPattern(
  problems: string[],
  o: ObjectLike,
  fields: ReadonlyMap<string, InstalledField> | undefined,
): void {
  const a = o.attributes;
  if (typeof a.title !== 'string' || a.title === '') problems.push(`index-pattern ${o.id}: no title`);
  for (const k of ['fields', 'fieldFormatMap', 'fieldAttrs', 'runtimeFieldMap', 'sourceFilters']) {
    if (a[k] !== undefined) parseJsonAttr(problems, `index-pattern ${o.id} attributes.${k}`, a[k]);
  }
  if (typeof a.timeFieldName === 'string' && fields !== undefined) {
    const t = fields.get(a.timeFieldName);
    if (t?.kibanaType !== 'date')
      problems.push(`index-pattern ${o.id}: time field ${a.timeFieldName} is not a mapped date`);
  }
}

function checkLens(problems: string[], o: ObjectLike, opts: CheckOptions, refs: Map<string, string>): void {
  const where = `lens ${o.id}`;
  const state = asRecord(o.attributes.state);
  if (state === undefined) {
    problems.push(`${where}: attributes.state is missing`);
    return;
  }
  const formBased = asRecord(asRecord(state.datasourceStates)?.formBased);
  const layers = asRecord(formBased?.layers);
  if (layers === undefined || Object.keys(layers).length === 0) {
    problems.push(`${where}: no formBased layers`);
    return;
  }
  const allColumns = new Set<string>();
  for (const [layerId, layerValue] of Object.entries(layers)) {
    const refName = `indexpattern-datasource-layer-${layerId}`;
    const dataViewId = refs.get(refName);
    if (dataViewId === undefined) problems.push(`${where}: layer ${layerId} has no reference ${refName}`);
    const fields = dataViewId !== undefined ? opts.fieldsByDataView?.get(dataViewId) : undefined;
    if (opts.fieldsByDataView !== undefined && dataViewId !== undefined && fields === undefined)
      problems.push(`${where}: no installed fields for data view ${dataViewId}`);
    const layer = asRecord(layerValue) ?? {};
    const columns = asRecord(layer.columns) ?? {};
    const order = Array.isArray(layer.columnOrder) ? (layer.columnOrder as string[]) : [];
    if ([...order].sort().join() !== Object.keys(columns).sort().join())
      problems.push(`${where}: columnOrder does not list exactly the layer's columns`);
    for (const [colId, colValue] of Object.entries(columns)) {
      allColumns.add(colId);
      const col = asRecord(colValue) ?? {};
      const cw = `${where} column "${String(col.label)}"`;
      const op = typeof col.operationType === 'string' ? col.operationType : undefined;
      const field = typeof col.sourceField === 'string' ? col.sourceField : undefined;
      if (op === undefined) problems.push(`${cw}: no operationType`);
      if (field !== undefined && !(op === 'count' && field === RECORDS))
        checkField(problems, cw, fields, field, op, col.dataType);
      const params = asRecord(col.params) ?? {};
      const orderBy = asRecord(params.orderBy);
      if (orderBy?.type === 'column') {
        const target = typeof orderBy.columnId === 'string' ? asRecord(columns[orderBy.columnId]) : undefined;
        if (target === undefined) problems.push(`${cw}: orders by a column that is not in the layer`);
        else if (!RANKABLE.has(String(target.operationType)))
          problems.push(
            `${cw}: ranks by a ${String(target.operationType)} column, which cannot order buckets`,
          );
      }
      if (op === 'last_value') {
        const sort = params.sortField;
        if (typeof sort !== 'string') problems.push(`${cw}: last_value without sortField`);
        else if (fields !== undefined && fields.get(sort)?.kibanaType !== 'date')
          problems.push(`${cw}: sortField ${sort} is not a mapped date`);
      }
      const filter = asRecord(col.filter);
      if (typeof filter?.query === 'string')
        for (const f of kqlStringFields(filter.query))
          checkField(problems, `${cw} filter`, fields, f, undefined);
    }
    const query = asRecord(state.query);
    if (typeof query?.query === 'string')
      for (const f of kqlStringFields(query.query))
        checkField(problems, `${where} query`, fields, f, undefined);
  }
  // Every accessor the visualization names must be a column.
  const vis = asRecord(state.visualization) ?? {};
  const accessors: unknown[] = [];
  const visLayers = Array.isArray(vis.layers) ? vis.layers.map(asRecord) : [vis];
  for (const l of visLayers) {
    if (l === undefined) continue;
    for (const k of ['xAccessor', 'yAccessor', 'valueAccessor', 'splitAccessor'])
      if (l[k] !== undefined) accessors.push(l[k]);
    if (Array.isArray(l.accessors)) accessors.push(...(l.accessors as unknown[]));
    if (Array.isArray(l.metrics)) accessors.push(...(l.metrics as unknown[]));
    if (Array.isArray(l.primaryGroups)) accessors.push(...(l.primaryGroups as unknown[]));
    if (Array.isArray(l.columns)) accessors.push(...l.columns.map((c) => asRecord(c)?.columnId));
    if (l.layerId !== undefined && !(typeof l.layerId === 'string' && l.layerId in layers))
      problems.push(`${where}: visualization layer ${JSON.stringify(l.layerId)} is not a datasource layer`);
  }
  if (accessors.length === 0) problems.push(`${where}: the visualization shows no column`);
  for (const a of accessors)
    if (typeof a !== 'string' || !allColumns.has(a))
      problems.push(`${where}: the visualization names column ${String(a)}, which no layer has`);
}

interface Grid {
  x: number;
  y: number;
  w: number;
  h: number;
  i?: unknown;
}

function checkDashboard(
  problems: string[],
  o: ObjectLike,
  refsByName: Map<string, { id: string; type: string }>,
): void {
  const where = `dashboard ${o.id}`;
  const a = o.attributes;
  const panels = parseJsonAttr(problems, `${where} attributes.panelsJSON`, a.panelsJSON);
  parseJsonAttr(problems, `${where} attributes.optionsJSON`, a.optionsJSON);
  parseJsonAttr(
    problems,
    `${where} attributes.kibanaSavedObjectMeta.searchSourceJSON`,
    asRecord(a.kibanaSavedObjectMeta)?.searchSourceJSON,
  );
  const control = asRecord(a.controlGroupInput);
  if (control !== undefined)
    for (const k of ['panelsJSON', 'ignoreParentSettingsJSON'])
      if (control[k] !== undefined) parseJsonAttr(problems, `${where} controlGroupInput.${k}`, control[k]);
  if (!Array.isArray(panels)) {
    if (panels !== undefined) problems.push(`${where}: panelsJSON is not an array`);
    return;
  }
  const grids: (Grid & { p: string })[] = [];
  for (const raw of panels) {
    const p = asRecord(raw) ?? {};
    const pi = String(p.panelIndex);
    const grid = asRecord(p.gridData) as Grid | undefined;
    if (grid === undefined) problems.push(`${where} panel ${pi}: no gridData`);
    else {
      if (grid.i !== p.panelIndex) problems.push(`${where} panel ${pi}: gridData.i differs from panelIndex`);
      if (grid.x < 0 || grid.w < 1 || grid.x + grid.w > 48 || grid.y < 0 || grid.h < 1)
        problems.push(`${where} panel ${pi}: gridData outside the 48-column grid`);
      grids.push({ ...grid, p: pi });
    }
    if (typeof p.panelRefName === 'string') {
      // Kibana looks for `<panelIndex>:<panelRefName>` first, then for the bare name.
      const ref = refsByName.get(`${pi}:${p.panelRefName}`) ?? refsByName.get(p.panelRefName);
      if (ref === undefined) problems.push(`${where} panel ${pi}: reference ${p.panelRefName} not found`);
      else if (typeof p.type === 'string' && ref.type !== p.type)
        problems.push(`${where} panel ${pi}: panel type ${p.type} but its reference is a ${ref.type}`);
    } else if (asRecord(p.embeddableConfig)?.attributes === undefined) {
      problems.push(`${where} panel ${pi}: neither by reference nor by value`);
    }
  }
  for (let i = 0; i < grids.length; i++)
    for (let j = i + 1; j < grids.length; j++) {
      const g = grids[i]!;
      const h = grids[j]!;
      if (g.x < h.x + h.w && h.x < g.x + g.w && g.y < h.y + h.h && h.y < g.y + g.h)
        problems.push(`${where}: panels ${g.p} and ${h.p} overlap`);
    }
}

/** Every problem found, as sentences naming the object; empty when the set is sound. */
export function checkSavedObjects(objects: readonly ObjectLike[], opts: CheckOptions = {}): string[] {
  const problems: string[] = [];
  const present = new Set(objects.map((o) => `${o.type}:${o.id}`));
  const seen = new Set<string>();
  for (const o of objects) {
    const key = `${o.type}:${o.id}`;
    if (seen.has(key)) problems.push(`${key} appears twice`);
    seen.add(key);
    const refs = o.references ?? [];
    const refNames = new Map<string, string>();
    const refsByName = new Map<string, { id: string; type: string }>();
    for (const r of refs) {
      if (refsByName.has(r.name)) problems.push(`${key}: two references named ${r.name}`);
      refsByName.set(r.name, r);
      refNames.set(r.name, r.id);
      const target = `${r.type}:${r.id}`;
      if (!present.has(target) && !opts.existing?.has(target))
        problems.push(`${key}: reference ${r.name} points to ${target}, which is not there`);
    }
    switch (o.type) {
      case 'index-pattern':
        checkIndexPattern(problems, o, opts.fieldsByDataView?.get(o.id));
        break;
      case 'lens':
        checkLens(problems, o, opts, refNames);
        break;
      case 'dashboard':
        checkDashboard(problems, o, refsByName);
        break;
      default:
        break;
    }
  }
  return problems;
}
