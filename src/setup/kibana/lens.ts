// Lens visualizations (by reference: one `lens` saved object per panel) from a small declarative spec, in the
// attribute shape Kibana 8.9+ saves (`state.datasourceStates.formBased.layers.<layerId>`, one data view reference
// per layer named `indexpattern-datasource-layer-<layerId>`; compare ../shared/corpus/kibana/). Column data types
// come from the installed mappings, and building fails on a field the data view's indices do not map or an
// operation its type does not support, so an impossible panel cannot be generated.

import { createHash } from 'node:crypto';
import { CasguardError } from '../../pipeline/errors.js';
import type { InstalledField, KibanaFieldType } from './installed-fields.js';
import { kqlFields, renderKql, type Kql } from './kql.js';
import { savedObject, type SavedObject } from './saved-object.types.js';

/** The document-count pseudo field Lens uses for `count` without a field. */
export const RECORDS = '___records___';

export type Column =
  | { readonly op: 'count'; readonly label?: string }
  | { readonly op: 'date_histogram'; readonly field: string; readonly label?: string }
  | { readonly op: 'terms'; readonly field: string; readonly size: number; readonly label?: string }
  | {
      readonly op: 'max' | 'min' | 'sum' | 'unique_count' | 'last_value';
      readonly field: string;
      readonly label?: string;
    };

export type Chart =
  | {
      readonly kind: 'xy';
      readonly series: 'bar_stacked' | 'bar_horizontal' | 'line';
      readonly x: Column;
      readonly split?: Column;
      readonly y: readonly Column[];
    }
  | { readonly kind: 'table'; readonly rows: readonly Column[]; readonly metrics: readonly Column[] }
  | { readonly kind: 'heatmap'; readonly x: Column; readonly y: Column; readonly value: Column };

export interface DataViewRef {
  readonly id: string;
  readonly pattern: string;
  readonly fields: ReadonlyMap<string, InstalledField>;
}

export interface LensSpec {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly dataView: DataViewRef;
  readonly query?: Kql;
  readonly chart: Chart;
}

/**
 * Which Kibana field types each Lens (formBased) operation accepts, after Kibana's operation definitions
 * (`x-pack/plugins/lens/public/datasources/form_based/operations/definitions/`): terms on strings, numbers, IPs
 * and booleans; date histograms on dates; numeric metrics on numbers; unique count and last value on any
 * aggregatable type. Every operation needs an aggregatable field (doc values).
 */
export const OPERATION_FIELD_TYPES: Readonly<Record<string, readonly KibanaFieldType[]>> = {
  terms: ['string', 'number', 'ip', 'boolean'],
  date_histogram: ['date'],
  max: ['number'],
  min: ['number'],
  sum: ['number'],
  average: ['number'],
  median: ['number'],
  unique_count: ['string', 'number', 'ip', 'boolean', 'date'],
  last_value: ['string', 'number', 'ip', 'boolean', 'date'],
  count: ['string', 'number', 'ip', 'boolean', 'date'],
};

/** A stable UUID-shaped id (Kibana's own ids are v4 UUIDs; ours must not change between runs). */
export function stableUuid(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function fieldOf(spec: LensSpec, field: string, op: string): InstalledField {
  const def = spec.dataView.fields.get(field);
  if (def === undefined) {
    throw new CasguardError(
      'SETUP_FAILED',
      `Lens "${spec.title}": field ${field} is not mapped in ${spec.dataView.pattern}`,
    );
  }
  const accepted = OPERATION_FIELD_TYPES[op] ?? [];
  if (!def.aggregatable || !accepted.includes(def.kibanaType)) {
    throw new CasguardError(
      'SETUP_FAILED',
      `Lens "${spec.title}": ${op} cannot use ${field} (${def.esType}${def.aggregatable ? '' : ', not aggregatable'})`,
    );
  }
  return def;
}

function defaultLabel(c: Column): string {
  switch (c.op) {
    case 'count':
      return 'Count of records';
    case 'date_histogram':
      return c.field;
    case 'terms':
      return `Top ${c.size} values of ${c.field}`;
    case 'unique_count':
      return `Unique count of ${c.field}`;
    case 'last_value':
      return `Last value of ${c.field}`;
    default:
      return `${c.op[0]!.toUpperCase()}${c.op.slice(1)} of ${c.field}`;
  }
}

/** One column in Lens' persisted form; `orderColumnId` is the metric a terms column ranks by. */
function persistColumn(
  spec: LensSpec,
  c: Column,
  orderColumnId: string | undefined,
): Record<string, unknown> {
  const label = c.label ?? defaultLabel(c);
  const custom = c.label !== undefined ? { customLabel: true } : {};
  switch (c.op) {
    case 'count':
      return {
        label,
        ...custom,
        dataType: 'number',
        operationType: 'count',
        isBucketed: false,
        scale: 'ratio',
        sourceField: RECORDS,
        params: { emptyAsNull: true },
      };
    case 'date_histogram':
      fieldOf(spec, c.field, 'date_histogram');
      return {
        label,
        ...custom,
        dataType: 'date',
        operationType: 'date_histogram',
        isBucketed: true,
        scale: 'interval',
        sourceField: c.field,
        params: { interval: 'auto', includeEmptyRows: true, dropPartials: false },
      };
    case 'terms': {
      const def = fieldOf(spec, c.field, 'terms');
      return {
        label,
        ...custom,
        dataType: def.kibanaType,
        operationType: 'terms',
        isBucketed: true,
        scale: 'ordinal',
        sourceField: c.field,
        params: {
          size: c.size,
          orderBy:
            orderColumnId !== undefined
              ? { type: 'column', columnId: orderColumnId }
              : { type: 'alphabetical' },
          orderDirection: orderColumnId !== undefined ? 'desc' : 'asc',
          otherBucket: true,
          missingBucket: false,
          parentFormat: { id: 'terms' },
          include: [],
          exclude: [],
          includeIsRegex: false,
          excludeIsRegex: false,
        },
      };
    }
    case 'last_value': {
      const def = fieldOf(spec, c.field, 'last_value');
      return {
        label,
        ...custom,
        dataType: def.kibanaType,
        operationType: 'last_value',
        isBucketed: false,
        scale: def.kibanaType === 'number' ? 'ratio' : 'ordinal',
        sourceField: c.field,
        // Lens adds this filter itself: the last value among documents that have the field.
        filter: { query: `${c.field} : *`, language: 'kuery' },
        params: { sortField: '@timestamp', showArrayValues: true },
      };
    }
    default: {
      fieldOf(spec, c.field, c.op);
      return {
        label,
        ...custom,
        dataType: 'number',
        operationType: c.op,
        isBucketed: false,
        scale: 'ratio',
        sourceField: c.field,
        params: { emptyAsNull: true },
      };
    }
  }
}

/** Metrics a terms column may rank by. */
export const RANKABLE = new Set(['count', 'max', 'min', 'sum', 'unique_count', 'average', 'median']);

const isBucket = (c: Column): boolean => c.op === 'terms' || c.op === 'date_histogram';

export function lensObject(spec: LensSpec): SavedObject {
  const layerId = stableUuid(spec.id, 'layer');
  const colId = (role: string): string => stableUuid(spec.id, 'column', role);
  // Buckets first, in nesting order (a terms column before the date histogram ranks over the whole range).
  const named: { role: string; column: Column }[] = [];
  const chart = spec.chart;
  let visualization: Record<string, unknown>;
  let visualizationType: string;
  if (chart.kind === 'xy') {
    if (chart.split) named.push({ role: 'split', column: chart.split });
    named.push({ role: 'x', column: chart.x });
    chart.y.forEach((c, i) => named.push({ role: `y${i}`, column: c }));
    visualizationType = 'lnsXY';
    visualization = {
      title: 'Empty XY chart',
      legend: { isVisible: true, position: 'right' },
      valueLabels: 'hide',
      fittingFunction: 'None',
      preferredSeriesType: chart.series,
      axisTitlesVisibilitySettings: { x: true, yLeft: true, yRight: true },
      layers: [
        {
          layerId,
          layerType: 'data',
          seriesType: chart.series,
          xAccessor: colId('x'),
          ...(chart.split ? { splitAccessor: colId('split') } : {}),
          accessors: chart.y.map((_, i) => colId(`y${i}`)),
        },
      ],
    };
  } else if (chart.kind === 'table') {
    chart.rows.forEach((c, i) => named.push({ role: `row${i}`, column: c }));
    chart.metrics.forEach((c, i) => named.push({ role: `metric${i}`, column: c }));
    visualizationType = 'lnsDatatable';
    visualization = {
      layerId,
      layerType: 'data',
      columns: named.map(({ role }) => ({ columnId: colId(role), isTransposed: false })),
    };
  } else {
    named.push(
      { role: 'y', column: chart.y },
      { role: 'x', column: chart.x },
      { role: 'value', column: chart.value },
    );
    visualizationType = 'lnsHeatmap';
    visualization = {
      shape: 'heatmap',
      layerId,
      layerType: 'data',
      xAccessor: colId('x'),
      yAccessor: colId('y'),
      valueAccessor: colId('value'),
      legend: { isVisible: true, position: 'right', type: 'heatmap_legend', maxLines: 1 },
      gridConfig: {
        type: 'heatmap_grid',
        isCellLabelVisible: true,
        isXAxisLabelVisible: true,
        isXAxisTitleVisible: true,
        isYAxisLabelVisible: true,
        isYAxisTitleVisible: true,
      },
    };
  }
  // Terms rank by the first metric Elasticsearch can order buckets by (not last_value, which is a top hit);
  // without one they sort alphabetically.
  const rankBy = named.find((n) => RANKABLE.has(n.column.op));
  const orderId = rankBy ? colId(rankBy.role) : undefined;
  const ordered = [...named.filter((n) => isBucket(n.column)), ...named.filter((n) => !isBucket(n.column))];
  const columns: Record<string, unknown> = {};
  for (const { role, column } of ordered) columns[colId(role)] = persistColumn(spec, column, orderId);
  for (const f of spec.query ? kqlFields(spec.query) : []) {
    if (!spec.dataView.fields.has(f)) {
      throw new CasguardError(
        'SETUP_FAILED',
        `Lens "${spec.title}": the query names ${f}, which is not mapped in ${spec.dataView.pattern}`,
      );
    }
  }
  const attributes = {
    title: spec.title,
    description: spec.description,
    visualizationType,
    state: {
      datasourceStates: {
        formBased: {
          layers: {
            [layerId]: {
              columns,
              columnOrder: ordered.map(({ role }) => colId(role)),
              incompleteColumns: {},
              sampling: 1,
            },
          },
        },
      },
      visualization,
      query: { language: 'kuery', query: spec.query ? renderKql(spec.query) : '' },
      filters: [],
      internalReferences: [],
      adHocDataViews: {},
    },
  };
  return savedObject('lens', spec.id, attributes, [
    { type: 'index-pattern', id: spec.dataView.id, name: `indexpattern-datasource-layer-${layerId}` },
  ]);
}
