// Every Kibana saved object casguard installs, generated from the assets `casguard setup` installs in
// Elasticsearch (pure: the CLI prints or uploads the result). Order: data views, then the Lens panels that
// reference them, then the dashboard that references the panels, as an export lists them.

import type { Asset } from '../cluster-assets.js';
import { DATA_VIEWS, dataViewObject } from './data-views.js';
import { kbDashboardObject, kbDashboardPanels, kbLensObjects } from './kb-dashboard.js';
import type { SavedObject } from './saved-object.types.js';

export function kibanaSavedObjects(assets: readonly Asset[], space = 'default'): SavedObject[] {
  const panels = kbDashboardPanels(assets);
  const objects = [
    ...Object.values(DATA_VIEWS).map(dataViewObject),
    ...kbLensObjects(panels),
    kbDashboardObject(panels),
  ];
  return space === 'default' ? objects : objects.map((o) => inSpace(o, space));
}

/**
 * Ids for a space other than `default`. Kibana's data views, Lens and dashboards are multiple-isolated types:
 * an id is unique across ALL spaces, and importing an id that exists in another space creates a copy under a
 * random new id, which a re-import would copy again. A suffix per space keeps every space's objects fixed, so
 * each space is overwritten in place.
 */
export function spaceObjectId(id: string, space: string): string {
  return space === 'default' ? id : `${id}-${space}`;
}

function inSpace(o: SavedObject, space: string): SavedObject {
  return {
    ...o,
    id: spaceObjectId(o.id, space),
    references: o.references.map((r) => ({ ...r, id: spaceObjectId(r.id, space) })),
  };
}

/** The file name Kibana's import wants (it refuses any other extension). */
export const DASHBOARDS_NDJSON = 'casguard-kibana.ndjson';

/**
 * The import file: one object per line, then the export-details line Kibana writes at the end of an export (the
 * importer skips it), and a final newline.
 */
export function savedObjectsNdjson(objects: readonly SavedObject[]): string {
  const details = {
    excludedObjects: [],
    excludedObjectsCount: 0,
    exportedCount: objects.length,
    missingRefCount: 0,
    missingReferences: [],
  };
  return [...objects, details].map((o) => JSON.stringify(o)).join('\n') + '\n';
}
