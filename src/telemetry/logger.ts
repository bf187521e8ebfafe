// The agent's own logs (winston): JSON lines to a daily/size-rotated file under <dataDir>/logs (log-file.ts) and
// a readable console format, coloured only on a terminal. Secrets are scrubbed at logger level, before any
// transport sees a line (../shared/reference/dependencies.md §2.7): by key name, and in string values. The agent
// passes casguard's redactor (src/pipeline/redaction, the same table as for documents; telemetry may not import the
// pipeline); without one a minimal built-in scrub applies (Basic/Bearer/ApiKey values, user:pass@ in URLs).
// A log file that cannot be written never stops the agent: its lines go to stderr meanwhile (when the console
// does not show them already), and the outage is one named event (disk-events.ts, path `log`).

import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { createLogger as createWinston, format, transports, type Logger as WinstonLogger } from 'winston';
import type TransportStream from 'winston-transport';
import { colourWanted } from './colour.js';
import { diskOutageEnded, diskOutageStarted } from './disk-events.js';
import { RotatingLogFile } from './log-file.js';
import type { LogFileIo } from './log-file.js';
import type { LoggingConfig } from './logging.config.js';
import type { LogMeta, Logger } from './logger.types.js';

const nodeLogFileIo: LogFileIo = {
  openSync: (p, flags) => openSync(p, flags),
  writeSync: (fd, buf, off, len) => writeSync(fd, buf, off, len),
  ftruncateSync: (fd, len) => ftruncateSync(fd, len),
  fstatSync: (fd) => fstatSync(fd),
  closeSync: (fd) => closeSync(fd),
  readdirSync: (p) => readdirSync(p),
  unlinkSync: (p) => unlinkSync(p),
  mkdirSync: (p, o) => {
    mkdirSync(p, o);
  },
};

const SECRET_KEY = /^(password|passwd|secret|token|api_?key|apikey|authorization|cookie|credentials?|auth)$/i;
const SECRET_VALUE_RES: readonly [RegExp, string][] = [
  [/\b(Basic|Bearer|ApiKey)\s+[A-Za-z0-9+/=._~-]{6,}/g, '$1 [REDACTED]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi, '$1[REDACTED]@'],
];

/** How log lines are redacted: a text function and a key test (both default to the built-in scrub). */
export interface LogRedaction {
  readonly redact?: (text: string) => string;
  readonly isSecretKey?: (key: string) => boolean;
}

function builtInRedact(text: string): string {
  let out = text;
  for (const [re, rep] of SECRET_VALUE_RES) out = out.replace(re, rep);
  return out;
}

function builtInSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function scrubValue(value: unknown, depth: number, r: Required<LogRedaction>): unknown {
  if (typeof value === 'string') return r.redact(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1, r));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) || r.isSecretKey(k) ? '[REDACTED]' : scrubValue(v, depth + 1, r);
  }
  return out;
}

function resolved(r: LogRedaction | undefined): Required<LogRedaction> {
  return { redact: r?.redact ?? builtInRedact, isSecretKey: r?.isSecretKey ?? builtInSecretKey };
}

/** Copies the info object (never mutates shared nested objects) with secrets replaced. */
export const redactFormat = format((info, opts?: unknown) => {
  const r = resolved(opts as LogRedaction | undefined);
  for (const key of Object.keys(info)) {
    const v = info[key];
    info[key] = SECRET_KEY.test(key) || r.isSecretKey(key) ? '[REDACTED]' : scrubValue(v, 0, r);
  }
  return info;
});

export function scrubForLog(value: unknown, redaction?: LogRedaction): unknown {
  return scrubValue(value, 0, resolved(redaction));
}

export interface AgentLogger extends Logger {
  /** Ends every transport and waits (bounded) until lines are on disk. */
  close(timeoutMs?: number): Promise<void>;
}

function wrap(w: WinstonLogger): Logger {
  return {
    error: (m: string, meta?: LogMeta) => void w.error(m, meta),
    warn: (m: string, meta?: LogMeta) => void w.warn(m, meta),
    info: (m: string, meta?: LogMeta) => void w.info(m, meta),
    debug: (m: string, meta?: LogMeta) => {
      if (w.isDebugEnabled()) w.debug(m, meta);
    },
    child: (meta: LogMeta) => wrap(w.child(meta)),
  };
}

const pretty = format.printf((info) => {
  const { level, message, timestamp, component, ...rest } = info as Record<string, unknown>;
  const extras = Object.entries(rest)
    .filter(([k]) => typeof k === 'string' && k !== 'stack')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const comp = typeof component === 'string' ? ` [${component}]` : '';
  return `${String(timestamp)} ${String(level)}${comp} ${String(message)}${extras ? ` ${extras}` : ''}`;
});

export interface AgentLoggerOptions {
  /** casguard's redactor for log lines (default: the built-in scrub). */
  readonly redaction?: LogRedaction;
  /** Tests inject a failing disk for the log file. */
  readonly io?: LogFileIo;
  /** Where log lines go while the file fails and the console is off (default: stderr). */
  readonly stderr?: (line: Buffer) => void;
  readonly retryMs?: number;
}

export function createAgentLogger(
  cfg: LoggingConfig,
  dataDir: string | undefined,
  opts: AgentLoggerOptions = {},
): AgentLogger {
  const ts: TransportStream[] = [];
  let file: RotatingLogFile | undefined;
  // Set below; the log file reports its outages through the logger it belongs to.
  const ref: { self?: Logger } = {};
  if (cfg.file && dataDir !== undefined) {
    const stderr = opts.stderr ?? ((line: Buffer) => void process.stderr.write(line));
    file = new RotatingLogFile({
      dir: path.join(dataDir, 'logs'),
      maxFileBytes: cfg.maxFileBytes,
      maxFiles: cfg.maxFiles,
      io: opts.io ?? nodeLogFileIo,
      // With a console transport the lines are on stderr already.
      ...(cfg.console === 'off' ? { fallback: stderr } : {}),
      ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}),
      onOutage: (o) => {
        const self = ref.self;
        if (!self) return;
        if (o.failed) {
          const code = (o.error as { code?: unknown } | undefined)?.code;
          diskOutageStarted(self, {
            path: 'log',
            file: o.file,
            code: typeof code === 'string' ? code : 'EUNKNOWN',
            reason: o.error instanceof Error ? o.error.message : String(o.error),
          });
        } else {
          diskOutageEnded(self, {
            path: 'log',
            file: o.file,
            durationMs: o.durationMs,
            failedWrites: o.linesElsewhere,
          });
        }
      },
    });
    ts.push(new transports.Stream({ stream: file, format: format.json(), eol: '\n' }));
  }
  if (cfg.console !== 'off') {
    ts.push(
      new transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format:
          cfg.console === 'json'
            ? format.json()
            : // Colour only on a terminal, and not with NO_COLOR, FORCE_COLOR=0 or TERM=dumb (colour.ts). Not colorize({ level: isTTY }): logform colours the level whenever
              // its `message` option is unset, so that form coloured redirected output too (service logs).
              colourWanted(process.stderr)
              ? format.combine(format.colorize({ level: true }), pretty)
              : pretty,
      }),
    );
  }
  const w = createWinston({
    level: cfg.level,
    format: format.combine(
      format.errors({ stack: true, cause: true }),
      format.timestamp(),
      redactFormat(opts.redaction ?? {}),
    ),
    transports: ts,
    exitOnError: false,
  });
  const base = wrap(w);
  ref.self = base;
  return {
    ...base,
    close: (timeoutMs = 3000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        // Lines are written to the file synchronously as winston hands them over: at 'finish' they are there.
        w.once('finish', () => {
          clearTimeout(timer);
          if (file && !file.writableEnded) file.end(() => resolve());
          else resolve();
        });
        w.end();
      }),
  };
}
