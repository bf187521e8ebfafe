// One entry point for `casguard rules export`: rules → the files of one format (pure; the CLI writes them).

import type { Rule } from '../rule.schema.js';
import { toKibanaNdjson, toKibanaRule } from './kibana-export.js';
import { toSigmaYaml } from './sigma-export.js';
import { toDetectionRulesToml } from './toml-export.js';

export const EXPORT_FORMATS = ['kibana', 'toml', 'sigma'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportedFile {
  /** Path relative to the output folder. */
  readonly path: string;
  readonly content: string;
}

/** The NDJSON import file's name (Kibana > Security > Rules > Import, or the _import API). */
export const KIBANA_NDJSON = 'casguard-rules.ndjson';

export function exportRules(rules: readonly Rule[], format: ExportFormat): ExportedFile[] {
  switch (format) {
    case 'kibana':
      return [
        ...rules.map((r) => ({
          path: `${r.id}.json`,
          content: JSON.stringify(toKibanaRule(r), null, 2) + '\n',
        })),
        { path: KIBANA_NDJSON, content: toKibanaNdjson(rules) },
      ];
    case 'toml':
      return rules.map((r) => ({ path: `${r.id}.toml`, content: toDetectionRulesToml(r) }));
    case 'sigma':
      return rules.map((r) => ({ path: `${r.id}.yml`, content: toSigmaYaml(r) }));
  }
}

/** What `rules export` prints without --out: one stream a tool can read (NDJSON, TOML files, YAML documents). */
export function exportToStdout(rules: readonly Rule[], format: ExportFormat): string {
  if (format === 'kibana') return toKibanaNdjson(rules);
  if (format === 'toml') return rules.map(toDetectionRulesToml).join('\n');
  return rules.map(toSigmaYaml).join('---\n');
}
