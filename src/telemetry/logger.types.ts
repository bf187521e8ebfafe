// The logger interface every component receives (a winston child logger in the agent, a recording logger in
// tests). Components never log per record; they call named telemetry events (STYLE.md rule 9).

export type LogMeta = Record<string, unknown>;

export interface Logger {
  error(message: string, meta?: LogMeta): void;
  warn(message: string, meta?: LogMeta): void;
  info(message: string, meta?: LogMeta): void;
  debug(message: string, meta?: LogMeta): void;
  child(meta: LogMeta): Logger;
}

/** A logger that drops everything (for tests and library use). */
export const nullLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => nullLogger,
};

export interface RecordedLine {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly message: string;
  readonly meta: LogMeta;
}

/** A logger that keeps every line in memory, for tests that assert on telemetry. */
export function recordingLogger(
  lines: RecordedLine[] = [],
  base: LogMeta = {},
): Logger & { lines: RecordedLine[] } {
  const at =
    (level: RecordedLine['level']) =>
    (message: string, meta: LogMeta = {}): void => {
      lines.push({ level, message, meta: { ...base, ...meta } });
    };
  return {
    lines,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (meta) => recordingLogger(lines, { ...base, ...meta }),
  };
}
