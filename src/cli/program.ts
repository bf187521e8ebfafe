// The command tree. Each command lives in src/cli/commands/ and registers itself here.

import { Command, CommanderError } from 'commander';
import { loadRules } from '../config/rules-loader.js';
import { CASGUARD_VERSION } from '../pipeline/agent-metadata.types.js';
import { registerExport } from './commands/export-command.js';
import { registerExportDashboards } from './commands/export-dashboards-command.js';
import { registerReplay } from './commands/replay-command.js';
import { registerReport } from './commands/report-command.js';
import { registerRulesExport } from './commands/rules-export-command.js';
import { defaultOwnFields, registerSetup } from './commands/setup-command.js';
import { registerTestOutput } from './commands/test-output-command.js';
import { registerRun } from './commands/run-command.js';
import { registerStatus } from './commands/status-command.js';
import { registerTestConfig } from './commands/test-config-command.js';
import { EXIT } from './exit-codes.js';
import { redactingIo, type CliIo } from './io.js';

/** `casguard --version`: the version every document carries as `agent.version`. */
export const VERSION = CASGUARD_VERSION;

export function buildProgram(raw: CliIo): Command {
  // Everything printed is redacted, except what `rules export` writes: rule files, which are data.
  const io = redactingIo(raw);
  const program = new Command('casguard')
    .description(
      'Exchange CAS/Mailbox log agent: tails ActiveSync and Windows event logs, maps them to ECS, ' +
        'detects the KB 2851708 iOS 7 Provision storm locally and ships to Elasticsearch.',
    )
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  registerRun(program, io);
  registerReplay(program, io);
  const test = program.command('test').description('check the configuration or the output connection');
  registerTestConfig(test, io);
  registerTestOutput(test, io);
  registerSetup(program, io);
  // `export` prints setup bodies and `rules export` rule files: data, printed as they are.
  registerExport(program, raw);
  registerRulesExport(program, (dir) => loadRules(dir).rules, raw);
  registerExportDashboards(program, io, defaultOwnFields);
  registerReport(program, io, VERSION);
  registerStatus(program, io);
  return program;
}

/** Parse argv and run; returns the exit code (usage errors → 2). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number | undefined;
  const tracking: CliIo = {
    ...io,
    setExitCode: (c) => {
      code = c;
      io.setExitCode(c);
    },
  };
  const program = buildProgram(tracking);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return EXIT.OK;
      return EXIT.USAGE;
    }
    throw err;
  }
  return code ?? EXIT.OK;
}
