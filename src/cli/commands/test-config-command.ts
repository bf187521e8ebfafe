// `casguard test config`: validate the configuration and print every problem with its key path and line.

import type { Command } from 'commander';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../config/load-config.js';
import { loadRules, RulesError } from '../../config/rules-loader.js';
import { CasguardError } from '../../pipeline/errors.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export function registerTestConfig(test: Command, io: CliIo): void {
  test
    .command('config')
    .description('validate the configuration file and print every problem (exit 0 valid, 1 invalid)')
    .option('-c, --config <file>', 'config file (default: $CASGUARD_CONFIG or the embedded default)')
    .action((opts: { config?: string }) => {
      io.setExitCode(testConfig(opts.config, io));
    });
}

export function testConfig(file: string | undefined, io: CliIo): number {
  try {
    const loaded = loadConfig(file === undefined ? { env: io.env } : { file, env: io.env });
    io.out(`config OK: ${loaded.file ?? 'embedded default'}`);
    for (const n of loaded.notes) io.out(`  note: ${n}`);
    io.out(`  inputs: ${loaded.config.inputs.map((i) => `${i.id} (${i.format})`).join(', ')}`);
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
