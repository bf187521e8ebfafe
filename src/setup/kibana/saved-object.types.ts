// Kibana saved objects as the export/import NDJSON carries them (`POST /api/saved_objects/_import`), and the
// version stamps casguard puts on them.
//
// Stamps: an object is migrated on import from the version it carries up to the importing Kibana's latest; an
// object stamped NEWER than the importing Kibana knows is refused ("belongs to a more recent version of Kibana").
// So objects carry the versions of the oldest Kibana casguard supports, 8.11, whose latest migrations are
// `index-pattern` 8.0.0, `lens` 8.9.0 and `dashboard` 8.9.0 (the dashboard type's `schemas: {'8.9.0': ...}` and
// the last legacy migrations in Kibana's source; model versions 10.x came later), with `coreMigrationVersion`
// 8.8.0 (the last core migration; every export since 8.8 carries it, see ../shared/corpus/kibana/). A 9.x Kibana
// migrates them forward (dashboard model versions 1-3 add mappings only). Objects without a stamp would get every
// migration again, which rewrites a Lens state already in the 8.6+ `formBased` shape; so every object is stamped.

export const OLDEST_KIBANA = '8.11.0';
export const CORE_MIGRATION_VERSION = '8.8.0';

export const TYPE_MIGRATION_VERSION = {
  'index-pattern': '8.0.0',
  lens: '8.9.0',
  dashboard: '8.9.0',
} as const;

export type SavedObjectType = keyof typeof TYPE_MIGRATION_VERSION;

export interface SavedObjectReference {
  readonly id: string;
  readonly name: string;
  readonly type: string;
}

export interface SavedObject {
  readonly type: SavedObjectType;
  readonly id: string;
  readonly attributes: Record<string, unknown>;
  readonly references: SavedObjectReference[];
  readonly coreMigrationVersion: string;
  readonly typeMigrationVersion: string;
  readonly managed: boolean;
}

/** The envelope every generated object gets. */
export function savedObject(
  type: SavedObjectType,
  id: string,
  attributes: Record<string, unknown>,
  references: SavedObjectReference[] = [],
): SavedObject {
  return {
    type,
    id,
    attributes,
    references,
    coreMigrationVersion: CORE_MIGRATION_VERSION,
    typeMigrationVersion: TYPE_MIGRATION_VERSION[type],
    // Not managed: a SOC may edit or copy the panels; a re-import (overwrite) restores casguard's version.
    managed: false,
  };
}
