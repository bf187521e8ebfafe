// What commands may touch of the process: printing and the exit code. Tests pass their own.
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  setExitCode(code: number): void;
  readonly env: Record<string, string | undefined>;
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
