// Child process of unreadable.test.ts, run as an unprivileged user (root reads a `chmod 000` file anyway): tails
// <logs>/**/*.log into a sink that prints each document, prints every log line that carries an event, and
// prints the /health conditions and the unreadable-paths gauge every 100 ms, as JSON lines on stdout. It stops
// when its stdin closes.

import path from 'node:path';
import { FileInput, Registry } from '../../src/inputs/index.js';
import { healthConditions } from '../../src/telemetry/health.js';
import type { Logger, LogMeta } from '../../src/telemetry/logger.types.js';
import { metricsRegistry } from '../../src/telemetry/metrics.js';
import { MemoryDeadLetters, inputConfig, testHandlers, FakeSink } from './helpers.js';

const [logs, data] = process.argv.slice(2) as [string, string];
const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const logger = (base: LogMeta = {}): Logger => {
  const at =
    (level: string) =>
    (message: string, meta: LogMeta = {}): void => {
      if (meta['event'] !== undefined) out({ log: { level, message, ...base, ...meta } });
    };
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (m) => logger({ ...base, ...m }),
  };
};

class PrintingSink extends FakeSink {
  override push(...args: Parameters<FakeSink['push']>): boolean {
    const ok = super.push(...args);
    out({ doc: this.docs[this.docs.length - 1]!.text });
    return ok;
  }
}

const input = new FileInput(inputConfig({ paths: [path.join(logs, '**/*.log')] }), {
  baseDir: logs,
  handlerFactory: testHandlers('lines'),
  sink: new PrintingSink(),
  deadLetters: new MemoryDeadLetters(),
  registry: await Registry.open(data, logger()),
  logger: logger(),
});
await input.start();
const timer = setInterval(() => {
  void metricsRegistry()
    .getSingleMetricAsString('casguard_input_unreadable_paths')
    .then((gauge) => out({ status: { health: healthConditions(), gauge } }));
}, 100);
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer);
  void input.stop().then(() => process.exit(0));
});
