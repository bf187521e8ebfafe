// What commands may touch of the process: printing and the exit code. Tests pass their own.

import { redactText } from '../pipeline/redact.js';
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  setExitCode(code: number): void;
  readonly env: Record<string, string | undefined>;
}

/**
 * The same io with every printed line redacted (the site's redactor once the configuration is loaded): error
 * messages, summaries and alert lines can quote a record, a URL or a server's answer.
 */
export function redactingIo(io: CliIo): CliIo {
  return {
    out: (line) => io.out(redactText(line)),
    err: (line) => io.err(redactText(line)),
    setExitCode: (code) => io.setExitCode(code),
    get env() {
      return io.env;
    },
  };
}

export const processIo: CliIo = {
  out: (line) => {
    process.stdout.write(line + '\n');
  },
  err: (line) => {
    process.stderr.write(line + '\n');
  },
  setExitCode: (code) => {
    process.exitCode = code;
  },
  env: process.env,
};
