// The command tree. Each command lives in src/cli/commands/ and registers itself here.

import { Command, CommanderError, Option } from 'commander';
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

const EXAMPLES = `
Examples:
  casguard run                                 the embedded default: ./inbox → ./data/out, alerts printed
  casguard run -c /etc/casguard/casguard.yml --log-level debug
  casguard replay /logs/W3SVC1/u_ex2609*.log   backfill files once, with progress and a summary
  casguard replay --dead-letters               re-send dead-lettered documents once the cause is fixed
  casguard test config --print                 the resolved configuration, secrets masked, with sources
  casguard test output                         connect to Elasticsearch and check the privileges
  casguard setup --retention-days 30           install templates and the lifecycle policy
  casguard rules export --format kibana --out ./rules
  casguard report                              the HTML incident report from ./data/out

Exit codes: 0 ok; 1 invalid configuration; 2 wrong command line; 3 runtime failure;
4 replay: some records dead-lettered; 5 replay: a named file missing, unreadable or not recognised.
Each command has its own --help.`;

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
    .addOption(
      new Option(
        '--log-level <level>',
        "the agent's log level (overrides logging.level and CASGUARD_LOG_LEVEL)",
      ).choices(['error', 'warn', 'info', 'debug']),
    )
    .hook('preAction', (cmd) => {
      const level = cmd.opts<{ logLevel?: string }>().logLevel;
      // Through the environment, so that it reaches the config loader as CASGUARD_LOG_LEVEL does.
      if (level !== undefined) raw.env['CASGUARD_LOG_LEVEL'] = level;
    })
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  registerRun(program, io);
  registerReplay(program, io);
  const test = program
    .command('test')
    .description('check the configuration or the output connection')
    .addHelpText(
      'after',
      '\nExamples:\n  casguard test config -c casguard.yml\n  casguard test config --print   the resolved configuration and where each value came from\n  casguard test output -c casguard.yml',
    );
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
      // `casguard`, `casguard test`, `casguard rules` alone print their help as an error (exit 2); --help is 0.
      if (err.code === 'commander.help' && err.exitCode !== 0) return EXIT.USAGE;
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
