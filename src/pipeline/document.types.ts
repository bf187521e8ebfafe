// Documents are plain nested objects in the shape Elasticsearch stores (ECS dotted names expanded into
// objects). Every document carries its deterministic `_id` next to it, never inside it.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export interface EcsDocument {
  '@timestamp': string;
  [field: string]: JsonValue | undefined;
}

/** The logical destination; outputs turn it into a data stream or index name. */
export type DocumentStream = 'activesync' | 'application' | 'alerts';

export interface ShippableDocument {
  /** Deterministic id: the same record always yields the same id, so a replay never duplicates. */
  readonly id: string;
  readonly stream: DocumentStream;
  /**
   * `create` for events (data streams are append-only; a 409 means "already there", i.e. delivered);
   * `index` for alerts, whose later versions replace earlier ones under the same id.
   */
  readonly op: 'create' | 'index';
  readonly doc: EcsDocument;
}
