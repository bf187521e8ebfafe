// The Kibana data views (saved object type `index-pattern`) casguard installs: one per family of indices it
// writes, over every namespace, with fixed ids so a re-import overwrites them. Attributes are the ones Kibana's
// data view schema accepts since 8.x (the content-management schema forbids unknown keys); JSON-valued
// attributes are strings, as Kibana stores them.

import { AGENTS_INDEX_PATTERN } from '../agent-status-fields.js';
import type { Asset } from '../cluster-assets.js';
import { installedFields } from './installed-fields.js';
import type { DataViewRef } from './lens.js';
import { savedObject, type SavedObject } from './saved-object.types.js';

export interface DataViewSpec {
  readonly id: string;
  readonly pattern: string;
  readonly name: string;
}

export const DATA_VIEWS = {
  activesync: {
    id: 'casguard-logs-exchange-activesync',
    pattern: 'logs-exchange.activesync-*',
    name: 'casguard: Exchange ActiveSync (IIS, HttpProxy, mailbox logs)',
  },
  application: {
    id: 'casguard-logs-exchange-application',
    pattern: 'logs-exchange.application-*',
    name: 'casguard: Exchange Windows events',
  },
  alerts: { id: 'casguard-alerts', pattern: 'casguard-alerts-*', name: 'casguard: alerts' },
  agents: { id: 'casguard-agents', pattern: AGENTS_INDEX_PATTERN, name: 'casguard: agents' },
} as const satisfies Record<string, DataViewSpec>;

export type DataViewName = keyof typeof DATA_VIEWS;

export const TIME_FIELD = '@timestamp';

export function dataViewObject(spec: DataViewSpec): SavedObject {
  return savedObject('index-pattern', spec.id, {
    title: spec.pattern,
    name: spec.name,
    timeFieldName: TIME_FIELD,
    // Kibana reads the fields from the indices (field caps) when the data view is opened.
    fields: '[]',
    fieldFormatMap: '{}',
    fieldAttrs: '{}',
    runtimeFieldMap: '{}',
    sourceFilters: '[]',
    // The agents' index appears with the first status document; a data view over no index is still valid.
    allowNoIndex: true,
  });
}

/** Each data view with the fields its indices get from the installed templates. */
export function dataViewRefs(assets: readonly Asset[]): Record<DataViewName, DataViewRef> {
  const ref = (name: DataViewName): DataViewRef => ({
    id: DATA_VIEWS[name].id,
    pattern: DATA_VIEWS[name].pattern,
    fields: installedFields(assets, DATA_VIEWS[name].pattern),
  });
  return {
    activesync: ref('activesync'),
    application: ref('application'),
    alerts: ref('alerts'),
    agents: ref('agents'),
  };
}
