// What `casguard export` prints: the request bodies `casguard setup` would send, addressed the way an admin
// sends them by hand (`PUT <path>` with the body), so they can be reviewed, diffed, or installed with other
// tooling (Beats' `export template|ilm-policy` convention). Pure: the CLI prints or writes the result.

import type { Asset, AssetKind } from './cluster-assets.js';

/** Export kinds, named as on the command line (Beats style: `ilm-policy`, `index-template`, ...). */
export const EXPORT_KINDS = ['ilm-policy', 'component-template', 'index-template'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

export interface SetupRequest {
  readonly kind: AssetKind;
  readonly name: string;
  readonly method: 'PUT';
  /** Path below the cluster URL, without a leading slash. */
  readonly path: string;
  /** The body `setup` sends; undefined for requests without one (data streams, the alerts index). */
  readonly body?: Record<string, unknown>;
}

const EXPORT_KIND_OF: Partial<Record<AssetKind, ExportKind>> = {
  ilm_policy: 'ilm-policy',
  component_template: 'component-template',
  index_template: 'index-template',
};

export function exportKindOf(kind: AssetKind): ExportKind | undefined {
  return EXPORT_KIND_OF[kind];
}

function pathOf(a: Asset): string {
  // Names are Elasticsearch resource names (no `/`, `?`, `#`, space); `@` is legal in a URL path as it is.
  const n = a.name;
  switch (a.kind) {
    case 'ilm_policy':
      return `_ilm/policy/${n}`;
    case 'component_template':
      return `_component_template/${n}`;
    case 'index_template':
      return `_index_template/${n}`;
    case 'data_stream':
      return `_data_stream/${n}`;
    case 'index':
      return n;
  }
}

/** Every request `setup` sends to create what is missing, in its order (dependencies first). */
export function setupRequests(assets: readonly Asset[]): SetupRequest[] {
  return assets.map((a) => ({
    kind: a.kind,
    name: a.name,
    method: 'PUT',
    path: pathOf(a),
    ...(exportKindOf(a.kind) !== undefined ? { body: a.body } : {}),
  }));
}

/** The requests with a body, optionally of one kind only. */
export function exportableRequests(assets: readonly Asset[], kind?: ExportKind): SetupRequest[] {
  return setupRequests(assets).filter(
    (r) => r.body !== undefined && (kind === undefined || exportKindOf(r.kind) === kind),
  );
}

/** Pretty JSON as written to stdout and to files (2 spaces, trailing newline). */
export function exportJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The human listing of `casguard export`: every request setup sends, with its export kind and path. */
export function exportListing(assets: readonly Asset[]): string[] {
  const reqs = setupRequests(assets);
  const w = Math.max(...reqs.map((r) => r.name.length));
  return reqs.map((r) => {
    const kind = exportKindOf(r.kind) ?? '(no body)';
    return `${kind.padEnd(18)}  ${r.name.padEnd(w)}  ${r.method} ${r.path}`;
  });
}
