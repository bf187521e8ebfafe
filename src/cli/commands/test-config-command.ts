// `casguard test config`: validate the configuration and print every problem with its key path and line; for a
// valid one, also say how many files each input's paths match right now (with the same matcher `run` uses, so
// a Windows path typed in another case than the folder on disk is checked the way the agent will see it).

import type { Command } from 'commander';
import path from 'node:path';
import { ConfigError, loadConfig, type LoadedConfig } from '../../config/load-config.js';
import { loadRules, RulesError } from '../../config/rules-loader.js';
import { Discovery } from '../../inputs/discovery.js';
import { AGENT_OWN_DESCRIPTORS, fitOpenFiles, openFileLimit } from '../../inputs/open-file-budget.js';
import { CasguardError } from '../../pipeline/errors.js';
import { isCredentialName } from '../../pipeline/redact.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { examples } from '../help-examples.js';

export function registerTestConfig(test: Command, io: CliIo): void {
  test
    .command('config')
    .addHelpText(
      'after',
      examples([
        'casguard test config -c casguard.yml',
        'casguard test config --print                           the resolved config, secrets masked, with sources',
      ]),
    )
    .description('validate the configuration file and print every problem (exit 0 valid, 1 invalid)')
    .option('-c, --config <file>', 'config file (default: $CASGUARD_CONFIG or the embedded default)')
    .option(
      '--print',
      'print the resolved configuration (defaults filled in, secrets masked) with where each value came from',
    )
    .action(async (opts: { config?: string; print?: boolean }) => {
      io.setExitCode(await testConfig(opts.config, io, opts.print === true));
    });
}

/** `key: value   # source` per leaf of the resolved configuration; credentials masked. */
export function resolvedLines(loaded: LoadedConfig): string[] {
  const lines: string[] = [];
  const walk = (v: unknown, keyPath: string): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) lines.push(`${keyPath}: {}   # ${loaded.origin?.(keyPath) ?? '?'}`);
      for (const [k, x] of entries) walk(x, keyPath === '' ? k : `${keyPath}.${k}`);
      return;
    }
    if (Array.isArray(v) && v.some((x) => x !== null && typeof x === 'object')) {
      v.forEach((x, i) => walk(x, `${keyPath}[${i}]`));
      return;
    }
    const last = keyPath.split('.').pop() ?? keyPath;
    const secret = isCredentialName(last, 'field') || /apikey|password|username/i.test(last);
    const shown = secret ? '[MASKED]' : JSON.stringify(v);
    lines.push(`${keyPath}: ${shown}   # ${loaded.origin?.(keyPath) ?? '?'}`);
  };
  walk(loaded.config, '');
  return lines;
}

export async function testConfig(file: string | undefined, io: CliIo, print = false): Promise<number> {
  try {
    const loaded = loadConfig(file === undefined ? { env: io.env } : { file, env: io.env });
    if (print) {
      io.out(
        `# resolved configuration of ${loaded.file ?? 'the embedded default'}; # says where each value came from`,
      );
      for (const line of resolvedLines(loaded)) io.out(line);
    }
    io.out(`config OK: ${loaded.file ?? 'embedded default'}`);
    for (const n of loaded.notes) io.out(`  note: ${n}`);
    io.out(`  inputs: ${loaded.config.inputs.map((i) => `${i.id} (${i.format})`).join(', ')}`);
    for (const line of await matchedFiles(loaded)) io.out(`    ${line}`);
    const openFiles = openFilesWarning(
      loaded.config.inputs.map((i) => i.maxOpenFiles),
      openFileLimit(),
    );
    if (openFiles) io.out(`  warning: ${openFiles}`);
    const outs = Object.entries(loaded.config.outputs)
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k);
    io.out(`  outputs: ${outs.join(', ')}`);
    const rules = loadRules(
      loaded.config.rules === undefined ? undefined : path.resolve(loaded.baseDir, loaded.config.rules),
    );
    io.out(`  rules: ${rules.rules.length} from ${rules.source}`);
    return EXIT.OK;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`config INVALID: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
      io.err(err.message);
      return EXIT.CONFIG_INVALID;
    }
    if (err instanceof RulesError) {
      io.err(`rules INVALID: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
      io.err(err.message);
      return EXIT.CONFIG_INVALID;
    }
    if (err instanceof CasguardError) {
      io.err(`config INVALID: ${err.message}`);
      return EXIT.CONFIG_INVALID;
    }
    throw err;
  }
}

/**
 * What `run` would say at start about the inputs' `maxOpenFiles` under `limit` (this process's `ulimit -n`), or
 * undefined when they fit. The limit is the shell's: a service has its own (the systemd unit's LimitNOFILE).
 */
export function openFilesWarning(
  requested: readonly number[],
  limit: number | undefined,
): string | undefined {
  const budget = fitOpenFiles(requested, limit);
  if (budget.perInput === undefined) return undefined;
  const total = requested.reduce((a, b) => a + b, 0);
  return (
    `the inputs may hold ${total} open files (maxOpenFiles), more than this shell's open-file limit of ${limit} ` +
    `(ulimit -n) allows with ${AGENT_OWN_DESCRIPTORS} kept for the agent's own files: started from here, each ` +
    `input would hold at most ${budget.perInput}. Raise ulimit -n or lower inputs[].maxOpenFiles; the service has ` +
    `its own limit (LimitNOFILE in the systemd unit).`
  );
}

/**
 * One line per input: how many files its paths match now. Not an error when none do (a new server may not have
 * written its first log yet); unreadable folders are named, since the service account may lack the rights.
 */
async function matchedFiles(loaded: LoadedConfig): Promise<string[]> {
  const lines: string[] = [];
  for (const input of loaded.config.inputs) {
    const errors: string[] = [];
    const discovery = new Discovery({
      patterns: input.paths,
      exclude: input.exclude,
      baseDir: loaded.baseDir,
      usePolling: input.usePolling,
      pollIntervalMs: input.pollIntervalMs,
      onHint: () => undefined,
      onError: (message) => errors.push(message),
    });
    const n = (await discovery.scan()).length;
    const where = input.paths.join(', ');
    lines.push(
      n === 0
        ? `${input.id}: no file matches ${where} yet (it is read once one appears)`
        : `${input.id}: ${n} file${n === 1 ? '' : 's'} match${n === 1 ? 'es' : ''} ${where}`,
    );
    for (const e of errors) lines.push(`${input.id}: cannot read ${e}`);
  }
  return lines;
}
