// The Kibana half of `casguard setup`: generates the saved objects from the same field tables the Elasticsearch
// half installs, exports the detection rules, imports both into the configured Kibana space and prints one line
// per object that is new or failed (overwritten objects are counted, not listed, so a second run says "nothing
// new"). Credentials: the `kibana` block's own, else the Elasticsearch output's (as the Beats do), never printed.

import type { Rule } from '../../detect/rule.schema.js';
import { KIBANA_NDJSON } from '../../detect/export/rules-export.js';
import { toKibanaNdjson } from '../../detect/export/kibana-export.js';
import type { ElasticsearchOutputConfig } from '../../outputs/elasticsearch/elasticsearch.config.js';
import { KibanaClient } from '../../outputs/kibana/kibana-client.js';
import { importKibanaContent, type ObjectResult } from '../../outputs/kibana/kibana-import.js';
import {
  KibanaConfig,
  type KibanaConfigInput,
  type KibanaSettings,
} from '../../outputs/kibana/kibana.config.js';
import { describeError } from '../../pipeline/errors.js';
import { clusterAssets, type OwnFieldTable } from '../../setup/cluster-assets.js';
import {
  DASHBOARDS_NDJSON,
  kibanaSavedObjects,
  savedObjectsNdjson,
} from '../../setup/kibana/saved-objects.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/**
 * The Kibana settings `setup` uses: the config's `kibana` block, with `--kibana URL` / `--space` on top; without
 * a block, the URL from the flag and the Elasticsearch output's credentials. Undefined when there is no Kibana.
 */
export function resolveKibanaConfig(
  configured: KibanaSettings | undefined,
  flags: { kibana?: string; space?: string },
  es: ElasticsearchOutputConfig | undefined,
): { config: KibanaConfig; note?: string } | { error: string } | undefined {
  if (configured === undefined && flags.kibana === undefined) return undefined;
  if (configured?.url === undefined && flags.kibana === undefined)
    return { error: 'kibana.url: no Kibana URL (set kibana.url, CASGUARD_KIBANA_URL or --kibana URL)' };
  const ownCredentials = configured?.apiKey !== undefined || configured?.username !== undefined;
  const input: KibanaConfigInput = {
    ...(configured ?? {}),
    url: (flags.kibana ?? configured?.url)!,
    ...(ownCredentials
      ? {}
      : {
          ...(es?.apiKey !== undefined ? { apiKey: es.apiKey } : {}),
          ...(es?.username !== undefined ? { username: es.username, password: es.password } : {}),
        }),
  };
  if (flags.space !== undefined) input.space = flags.space;
  const parsed = KibanaConfig.safeParse(input);
  if (!parsed.success) {
    return {
      error: parsed.error.issues
        .map((i) => `kibana${i.path.length ? '.' : ''}${i.path.join('.')}: ${i.message}`)
        .join('\n'),
    };
  }
  const borrowed =
    !ownCredentials && (es?.apiKey !== undefined || es?.username !== undefined)
      ? "using the Elasticsearch output's credentials for Kibana (set a kibana block for its own)"
      : undefined;
  return { config: parsed.data, ...(borrowed ? { note: borrowed } : {}) };
}

function line(r: ObjectResult): string {
  const what = `${r.type} ${r.id} "${r.title}"`;
  switch (r.outcome) {
    case 'created':
      return `created     ${what}`;
    case 'overwritten':
      return `overwritten ${what}`;
    case 'failed':
      return `FAILED      ${what}: ${r.reason ?? ''}`;
    case 'not imported':
      return `NOT IMPORTED ${what}: ${r.reason ?? ''}`;
  }
}

export async function setupKibana(
  cfg: KibanaConfig,
  io: CliIo,
  ownFields: OwnFieldTable,
  rules: readonly Rule[],
): Promise<number> {
  let objects;
  try {
    objects = kibanaSavedObjects(clusterAssets({ namespace: 'default', ownFields }), cfg.space);
  } catch (e) {
    io.err(`kibana setup FAILED: ${describeError(e)}`);
    return EXIT.FAILURE;
  }
  let client: KibanaClient;
  try {
    client = new KibanaClient(cfg);
  } catch (e) {
    io.err(`kibana setup FAILED: ${describeError(e)}`);
    return EXIT.CONFIG_INVALID;
  }
  try {
    const report = await importKibanaContent(client, {
      savedObjects: {
        ndjson: savedObjectsNdjson(objects),
        fileName: DASHBOARDS_NDJSON,
        objects: objects.map((o) => ({ type: o.type, id: o.id, title: String(o.attributes.title) })),
      },
      rules: {
        ndjson: toKibanaNdjson(rules),
        fileName: KIBANA_NDJSON,
        rules: rules.map((r) => ({ ruleId: r.uuid, name: r.name })),
      },
    });
    io.out(`kibana ${client.displayUrl} (Kibana ${report.version}), space "${report.space}"`);
    const count = (type: (r: ObjectResult) => boolean, outcome: ObjectResult['outcome']): number =>
      report.results.filter((r) => type(r) && r.outcome === outcome).length;
    for (const r of report.results) if (r.outcome !== 'overwritten') io.out(line(r));
    const isRule = (r: ObjectResult): boolean => r.type === 'rule';
    const isObject = (r: ObjectResult): boolean => r.type !== 'rule';
    const failed = report.results.filter((r) => r.outcome === 'failed' || r.outcome === 'not imported');
    const objectsTotal = report.results.filter(isObject).length;
    const rulesTotal = report.results.filter(isRule).length;
    const summary =
      `${objectsTotal} saved objects (${count(isObject, 'created')} new, ${count(isObject, 'overwritten')} overwritten), ` +
      `${rulesTotal} detection rules (${count(isRule, 'created')} new, ${count(isRule, 'overwritten')} replaced)`;
    if (failed.length > 0) {
      io.err(
        `kibana setup FAILED: ${failed.length} of ${report.results.length} objects not in place; ${summary}`,
      );
      return EXIT.FAILURE;
    }
    const fresh = count(() => true, 'created');
    io.out(`kibana setup OK: ${summary}${fresh === 0 ? ': nothing new' : ''}`);
    io.out(
      `dashboard: ${client.displayUrl}${report.space === 'default' ? '' : `/s/${report.space}`}/app/dashboards#/view/${objects.at(-1)!.id}`,
    );
    return EXIT.OK;
  } catch (e) {
    io.err(`kibana setup FAILED: ${client.scrub(describeError(e))}`);
    return EXIT.FAILURE;
  } finally {
    client.close();
  }
}
