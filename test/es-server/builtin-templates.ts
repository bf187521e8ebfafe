// Elasticsearch's built-in `logs` index template, its component templates, ILM policy and default pipeline, loaded
// from the copies in test/fixtures/elasticsearch/builtin-templates/ (see SOURCES.md there) as
// StackTemplateRegistry installs them: placeholders filled, `logs@settings-logsdb.json` in place of
// `logs@settings.json` when cluster.logsdb.enabled, the failure store of `logs@settings.json` only from 9.2.0.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'elasticsearch',
  'builtin-templates',
);

/** StackTemplateRegistry.REGISTRY_VERSION in the registry read (x-pack/plugin/stack). */
export const STACK_REGISTRY_VERSION = 14;

function load(file: string): Record<string, unknown> {
  const text = readFileSync(path.join(DIR, file), 'utf8')
    .replaceAll('${xpack.stack.template.version}', String(STACK_REGISTRY_VERSION))
    .replaceAll('${xpack.stack.template.deprecated}', 'false');
  return JSON.parse(text) as Record<string, unknown>;
}

export interface BuiltinLogsAssets {
  indexTemplates: Record<string, Record<string, unknown>>;
  componentTemplates: Record<string, Record<string, unknown>>;
  ilmPolicies: Record<string, Record<string, unknown>>;
  /** Ingest pipelines by name (the test server runs only the `set @timestamp if missing` step of the default). */
  pipelines: Record<string, Record<string, unknown>>;
}

export function builtinLogsAssets(opts: {
  logsdb: boolean;
  major: number;
  minor: number;
}): BuiltinLogsAssets {
  const settings = load(opts.logsdb ? 'logs@settings-logsdb.json' : 'logs@settings.json');
  const atLeast92 = opts.major > 9 || (opts.major === 9 && opts.minor >= 2);
  if (!atLeast92) delete (settings.template as Record<string, unknown>).data_stream_options;
  return {
    indexTemplates: { logs: load('logs@template.json') },
    componentTemplates: {
      'logs@mappings': load('logs@mappings.json'),
      'logs@settings': settings,
      'ecs@mappings': load('ecs@mappings.json'),
    },
    ilmPolicies: { 'logs@lifecycle': load('logs@lifecycle.json') },
    pipelines: { 'logs@default-pipeline': load('logs@default-pipeline.json') },
  };
}
