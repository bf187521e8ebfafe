// `casguard export [template|ilm-policy|component-template|index-template] [NAME]`: the bodies `casguard setup`
// would send, following the Beats' `export` command. `casguard export` lists every request setup sends (with
// the ones that have no body: the data streams and the alerts index). With a kind and a NAME, the body alone is
// printed, ready for `curl -X PUT ... --data-binary @-`; without a NAME, one JSON object maps each request path
// to its body, in install order. `--out DIR` writes one file per body instead, `DIR/<kind>/<name>.json` (the
// Beats' layout). No cluster is contacted: `--es-version` says which version the bodies are for.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { clusterAssets, parseEsVersion } from '../../setup/cluster-assets.js';
import type { Asset, OwnFieldTable } from '../../setup/cluster-assets.js';
import {
  EXPORT_KINDS,
  exportableRequests,
  exportJson,
  exportKindOf,
  exportListing,
} from '../../setup/export-assets.js';
import type { ExportKind } from '../../setup/export-assets.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { defaultOwnFields } from './setup-command.js';
import { examples } from '../help-examples.js';

export interface ExportOptions {
  readonly esVersion?: string;
  readonly retentionDays: string;
  readonly namespace: string;
  readonly out?: string;
}

/** As `outputs.elasticsearch.namespace` allows. */
const NAMESPACE = /^[a-z0-9_]{1,100}$/;

const KIND_HELP: Record<ExportKind | 'template', string> = {
  template: 'every body setup sends (ILM policy, component and index templates), or the one named',
  'ilm-policy': 'the ILM policy',
  'component-template': 'the component templates (mappings and settings)',
  'index-template': 'the index templates (data streams and the alerts index)',
};

export function registerExport(program: Command, io: CliIo, opts: { ownFields?: OwnFieldTable } = {}): void {
  const own = (): OwnFieldTable => opts.ownFields ?? defaultOwnFields();
  // The listing names the data streams and the alerts index (namespace); the bodies depend on the version and
  // the retention only. Parent and kinds share no option name, so commander cannot hand one to the wrong one.
  const exp = program
    .command('export')
    .addHelpText(
      'after',
      examples([
        'casguard export                                        list every request setup sends',
        'casguard export template --out ./bodies                every body as DIR/<kind>/<name>.json',
        'casguard export index-template logs-exchange.activesync  one body on stdout',
        'casguard export template --es-version 8.4              bodies for an 8.0-8.4 cluster',
      ]),
    )
    .description('list what `casguard setup` sends; `export <kind> [name]` prints the bodies')
    .option('--namespace <name>', 'namespace of the data streams and alerts index in the listing', 'default')
    .action((o: { namespace: string }) => {
      io.setExitCode(exportCommand(undefined, undefined, { retentionDays: '90', ...o }, own(), io));
    });
  for (const kind of ['template', ...EXPORT_KINDS] as const) {
    exp
      .command(`${kind} [name]`)
      .description(`print ${KIND_HELP[kind]} as JSON`)
      .option(
        '--es-version <version>',
        'Elasticsearch version the bodies are for (default: 8.5 or later; 8.0-8.4 do not know index.mode)',
      )
      .option(
        '--retention-days <days>',
        'as for setup: delete backing indices this many days after rollover',
        '90',
      )
      .option('-o, --out <dir>', 'write one file per body, <dir>/<kind>/<name>.json, instead of printing')
      .action((name: string | undefined, o: Omit<ExportOptions, 'namespace'>) => {
        io.setExitCode(exportCommand(kind, name, { namespace: 'default', ...o }, own(), io));
      });
  }
}

/** Runs one export; returns the exit code. `kind` undefined = the listing. */
export function exportCommand(
  kind: ExportKind | 'template' | undefined,
  name: string | undefined,
  o: ExportOptions,
  ownFields: OwnFieldTable,
  io: CliIo,
): number {
  const days = Number(o.retentionDays);
  if (!Number.isInteger(days) || days < 1) {
    io.err(`--retention-days must be a whole number of days >= 1, got ${o.retentionDays}`);
    return EXIT.USAGE;
  }
  if (!NAMESPACE.test(o.namespace)) {
    io.err(
      `--namespace must be lower-case letters, digits and underscores (as outputs.elasticsearch.namespace), got ${JSON.stringify(o.namespace)}`,
    );
    return EXIT.USAGE;
  }
  let assets: Asset[];
  try {
    if (o.esVersion !== undefined) parseEsVersion(o.esVersion);
    assets = clusterAssets({
      namespace: o.namespace,
      ownFields,
      retentionDays: days,
      ...(o.esVersion !== undefined ? { esVersion: o.esVersion } : {}),
    });
  } catch (e) {
    io.err(`export FAILED: ${e instanceof Error ? e.message : String(e)}`);
    return o.esVersion !== undefined ? EXIT.USAGE : EXIT.FAILURE;
  }
  if (kind === undefined) {
    io.out('What `casguard setup` sends, in order (`casguard export <kind> <name>` prints a body):');
    for (const line of exportListing(assets)) io.out(`  ${line}`);
    return EXIT.OK;
  }
  let reqs = exportableRequests(assets, kind === 'template' ? undefined : kind);
  if (name !== undefined) {
    const one = reqs.filter((r) => r.name === name);
    if (one.length === 0) {
      io.err(
        `export: no ${kind === 'template' ? 'body' : kind} named ${JSON.stringify(name)}; ` +
          `there are: ${reqs.map((r) => r.name).join(', ')}`,
      );
      return EXIT.USAGE;
    }
    reqs = one;
  }
  if (o.out === undefined) {
    io.out(
      (name !== undefined
        ? exportJson(reqs[0]!.body)
        : exportJson(Object.fromEntries(reqs.map((r) => [r.path, r.body])))
      ).trimEnd(),
    );
    return EXIT.OK;
  }
  for (const r of reqs) {
    const dir = path.join(o.out, exportKindOf(r.kind)!);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${r.name}.json`), exportJson(r.body));
  }
  io.err(`wrote ${reqs.length} file${reqs.length === 1 ? '' : 's'} to ${o.out}`);
  return EXIT.OK;
}
