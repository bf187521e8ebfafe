// Loading the configuration for a command: on any problem, print every one of them and set exit code 1.

import { ConfigError, loadConfig, type LoadedConfig } from '../../config/load-config.js';
import type { ElasticsearchOutputConfig } from '../../outputs/elasticsearch/elasticsearch.config.js';
import { CasguardError } from '../../pipeline/errors.js';
import { installRedaction } from '../../pipeline/redact.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';

/**
 * The loaded configuration, or undefined after printing every problem. Installs the site's redaction
 * additions before anything else runs, so no log line, document or printed line escapes them.
 */
export function loadOrReport(file: string | undefined, io: CliIo): LoadedConfig | undefined {
  try {
    const loaded = loadConfig(file === undefined ? { env: io.env } : { file, env: io.env });
    installRedaction(loaded.config.redaction);
    return loaded;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CasguardError) {
      io.err(`config INVALID:\n${err.message}`);
      io.setExitCode(EXIT.CONFIG_INVALID);
      return undefined;
    }
    throw err;
  }
}

/** The Elasticsearch output settings, or undefined after saying why there are none (`what`: what we would do). */
export function elasticsearchOrReport(
  file: string | undefined,
  io: CliIo,
  what: string,
): ElasticsearchOutputConfig | undefined {
  const loaded = loadOrReport(file, io);
  if (!loaded) return undefined;
  const cfg = loaded.config.outputs.elasticsearch;
  if (!cfg) {
    io.err(`no outputs.elasticsearch in the configuration (nor CASGUARD_ES_HOSTS): nothing to ${what}`);
    io.setExitCode(EXIT.CONFIG_INVALID);
  }
  return cfg;
}
