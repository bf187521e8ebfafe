// `casguard rules export --format kibana|toml|sigma [--out DIR] [--rules DIR]`: the rules the agent evaluates,
// in the formats a SOC imports. Without --out the export goes to stdout (Kibana: the NDJSON import file).
// With --out: Kibana writes one JSON body per rule plus casguard-rules.ndjson; TOML and Sigma one file per rule.

import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { RulesError } from '../../config/rules-loader.js';
import {
  EXPORT_FORMATS,
  exportRules,
  exportToStdout,
  type ExportFormat,
} from '../../detect/export/rules-export.js';
import type { Rule } from '../../detect/rule.schema.js';
import { EXIT } from '../exit-codes.js';
import { processIo, type CliIo } from '../io.js';
import { examples } from '../help-examples.js';

/** `loadRules(dir)` returns the rules of a folder, or the configured / built-in set when dir is undefined. */
export type RulesSource = (rulesDir?: string) => readonly Rule[];

export function registerRulesExport(program: Command, loadRules: RulesSource, io: CliIo = processIo): void {
  const rules =
    program.commands.find((c) => c.name() === 'rules') ??
    program.command('rules').description('detection rules');
  rules
    .command('export')
    .addHelpText(
      'after',
      examples([
        'casguard rules export --format kibana --out ./rules    JSON files and an NDJSON import file',
        'casguard rules export --format sigma --out ./sigma',
        'casguard rules export --format toml                    detection-rules TOML on stdout',
      ]),
    )
    .description(
      'export the detection rules for Kibana (JSON + NDJSON import file), detection-rules TOML or Sigma',
    )
    .addOption(
      new Option('-f, --format <format>', 'output format').choices([...EXPORT_FORMATS]).makeOptionMandatory(),
    )
    .option('-o, --out <dir>', 'write files into this folder instead of printing to stdout')
    .option(
      '-r, --rules <dir>',
      'rule folder (default: the configured rules, else the built-in KB 2851708 set)',
    )
    .action((opts: { format: ExportFormat; out?: string; rules?: string }) => {
      io.setExitCode(rulesExport(opts, loadRules, io));
    });
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'a folder on the way cannot be created',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
};

/**
 * mkdir -p, one level at a time. Node's recursive mkdirSync loops forever on some paths of virtual file
 * systems (`/proc/x`: mkdir answers ENOENT while the parent exists), so each missing level is created alone
 * and any error ends it.
 */
function makeFolder(dir: string): void {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  for (;;) {
    try {
      if (!statSync(cur).isDirectory())
        throw Object.assign(new Error(`${cur} is not a folder`), { code: 'ENOTDIR' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    missing.unshift(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const m of missing) mkdirSync(m);
}

export function rulesExport(
  opts: { format: ExportFormat; out?: string; rules?: string },
  loadRules: RulesSource,
  io: CliIo,
): number {
  let rules: readonly Rule[];
  try {
    rules = loadRules(opts.rules);
  } catch (err) {
    if (err instanceof RulesError) {
      io.err(`rules INVALID: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
      io.err(err.message);
      return EXIT.CONFIG_INVALID;
    }
    throw err;
  }
  if (opts.out === undefined) {
    io.out(exportToStdout(rules, opts.format).trimEnd());
    return EXIT.OK;
  }
  const files = exportRules(rules, opts.format);
  try {
    makeFolder(opts.out);
    for (const f of files) writeFileSync(path.join(opts.out, f.path), f.content);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    io.err(
      `casguard rules export: cannot write to ${opts.out} (${e.code ?? 'error'}: ${WHY[e.code ?? ''] ?? e.message}); ` +
        'choose a folder you can write to with --out, or leave --out out to print to stdout',
    );
    return EXIT.FAILURE;
  }
  io.err(
    `wrote ${files.length} file${files.length === 1 ? '' : 's'} (${rules.length} rules, ${opts.format}) to ${opts.out}`,
  );
  return EXIT.OK;
}
