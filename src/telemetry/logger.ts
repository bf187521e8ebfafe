// The agent's own logs (winston): JSON lines to a daily/size-rotated file under <dataDir>/logs and a readable
// console format. Secrets are scrubbed at logger level, before any transport sees a line
// (../shared/reference/dependencies.md §2.7): by key name, and in string values (Basic/Bearer/ApiKey values,
// user:pass@ in URLs).

import path from 'node:path';
import { createLogger as createWinston, format, transports, type Logger as WinstonLogger } from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import type TransportStream from 'winston-transport';
import type { LoggingConfig } from './logging.config.js';
import type { LogMeta, Logger } from './logger.types.js';

const SECRET_KEY = /^(password|passwd|secret|token|api_?key|apikey|authorization|cookie|credentials?|auth)$/i;
const SECRET_VALUE_RES: readonly [RegExp, string][] = [
  [/\b(Basic|Bearer|ApiKey)\s+[A-Za-z0-9+/=._~-]{6,}/g, '$1 [REDACTED]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi, '$1[REDACTED]@'],
];

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const [re, rep] of SECRET_VALUE_RES) out = out.replace(re, rep);
    return out;
  }
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY.test(k) ? '[REDACTED]' : scrubValue(v, depth + 1);
  }
  return out;
}

/** Copies the info object (never mutates shared nested objects) with secrets replaced. */
export const redactFormat = format((info) => {
  for (const key of Object.keys(info)) {
    const v = info[key];
    info[key] = SECRET_KEY.test(key) ? '[REDACTED]' : scrubValue(v, 0);
  }
  return info;
});

export function scrubForLog(value: unknown): unknown {
  return scrubValue(value, 0);
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

export function createAgentLogger(cfg: LoggingConfig, dataDir: string | undefined): AgentLogger {
  const ts: TransportStream[] = [];
  let fileTransport: DailyRotateFile | undefined;
  if (cfg.file && dataDir !== undefined) {
    const dir = path.join(dataDir, 'logs');
    fileTransport = new DailyRotateFile({
      dirname: dir,
      filename: 'casguard-%DATE%.log',
      datePattern: 'YYYY-MM-DD',
      utc: true,
      maxSize: cfg.maxFileBytes,
      maxFiles: cfg.maxFiles,
      auditFile: path.join(dir, 'casguard-audit.json'),
      format: format.json(),
    });
    // Since 5.0.0 filesystem failures are 'error' events; without a listener they crash the process.
    fileTransport.on('error', () => undefined);
    ts.push(fileTransport);
  }
  if (cfg.console !== 'off') {
    ts.push(
      new transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format:
          cfg.console === 'json'
            ? format.json()
            : // Colour only on a terminal. Not colorize({ level: isTTY }): logform colours the level whenever
              // its `message` option is unset, so that form coloured redirected output too (service logs).
              process.stderr.isTTY === true
              ? format.combine(format.colorize({ level: true }), pretty)
              : pretty,
      }),
    );
  }
  const w = createWinston({
    level: cfg.level,
    format: format.combine(format.errors({ stack: true, cause: true }), format.timestamp(), redactFormat()),
    transports: ts,
    exitOnError: false,
  });
  const base = wrap(w);
  return {
    ...base,
    close: (timeoutMs = 3000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        // The transport's own 'finish' fires once lines are handed to its file stream, not once they are on
        // disk (dependencies.md §2.4), so after the logger finishes, end that stream and wait for it.
        w.once('finish', () => {
          const stream = (
            fileTransport as unknown as { logStream?: { end(cb: () => void): void } } | undefined
          )?.logStream;
          if (stream) stream.end(done);
          else done();
        });
        w.end();
      }),
  };
}
