// `casguard export dashboards [--out FILE.ndjson|DIR] [--space ID]`: the Kibana saved objects `setup --kibana`
// installs (data views, Lens panels, the dashboard), as the NDJSON file Kibana's Stack Management > Saved objects
// > Import (or the _import API) takes, for those who import by hand. Registered under `casguard export`, which
// other subcommands share (the parent is created by whichever registers first).

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describeError } from '../../pipeline/errors.js';
import { clusterAssets, type OwnFieldTable } from '../../setup/cluster-assets.js';
import { checkSavedObjects } from '../../setup/kibana/saved-object-check.js';
import {
  DASHBOARDS_NDJSON,
  kibanaSavedObjects,
  savedObjectsNdjson,
} from '../../setup/kibana/saved-objects.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { examples } from '../help-examples.js';

export function registerExportDashboards(program: Command, io: CliIo, ownFields: () => OwnFieldTable): void {
  const exp =
    program.commands.find((c) => c.name() === 'export') ??
    program.command('export').description('write what casguard installs, for those who install it by hand');
  exp
    .command('dashboards')
    .addHelpText(
      'after',
      examples([
        'casguard export dashboards --out casguard-kibana.ndjson',
        "curl -u elastic -H 'kbn-xsrf: true' -F file=@casguard-kibana.ndjson \\",
        "  'https://kibana:5601/api/saved_objects/_import?overwrite=true'",
      ]),
    )
    .description('write the Kibana data views, Lens panels and dashboard as an NDJSON import file')
    .option(
      '-o, --out <path>',
      `a .ndjson file, or a folder to write ${DASHBOARDS_NDJSON} into (default: stdout)`,
    )
    .option(
      '--space <id>',
      'Kibana space the file is meant for (ids get a suffix outside the default space)',
      'default',
    )
    .action((o: { out?: string; space: string }) => {
      io.setExitCode(exportDashboards(o, io, ownFields()));
    });
}

export function exportDashboards(
  o: { out?: string; space: string },
  io: CliIo,
  ownFields: OwnFieldTable,
): number {
  if (!/^[a-z0-9_-]{1,1024}$/.test(o.space)) {
    io.err(`--space must be a Kibana space id (lower-case letters, digits, _ and -), got ${o.space}`);
    return EXIT.USAGE;
  }
  let text: string;
  let count: number;
  try {
    const objects = kibanaSavedObjects(clusterAssets({ namespace: 'default', ownFields }), o.space);
    const problems = checkSavedObjects(objects);
    if (problems.length > 0) throw new Error(problems.join('; '));
    text = savedObjectsNdjson(objects);
    count = objects.length;
  } catch (e) {
    io.err(`export FAILED: ${describeError(e)}`);
    return EXIT.FAILURE;
  }
  if (o.out === undefined) {
    io.out(text.trimEnd());
    return EXIT.OK;
  }
  const file = o.out.toLowerCase().endsWith('.ndjson') ? o.out : path.join(o.out, DASHBOARDS_NDJSON);
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  } catch (e) {
    io.err(`export FAILED: cannot write ${file}: ${describeError(e)}`);
    return EXIT.FAILURE;
  }
  io.err(`wrote ${count} saved objects to ${file} (Kibana: Stack Management > Saved objects > Import)`);
  return EXIT.OK;
}
