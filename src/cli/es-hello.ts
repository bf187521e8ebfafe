// One request when `run` starts with an Elasticsearch output: GET / with the output's own settings, to log
// which cluster it talks to (name and version), or why it cannot yet (with a hint). Delivery does not wait
// for it: the output retries on its own and reports outages as named events.

import type { ElasticsearchOutputConfig } from '../outputs/elasticsearch/elasticsearch.config.js';
import { createEsClient, describeEsError } from '../outputs/elasticsearch/es-client.js';
import type { Logger } from '../telemetry/logger.types.js';

/**
 * Starts the request; the returned function cancels it (at stop: neither the request nor a late log line may
 * outlive the agent, whose logger is closed by then).
 */
export function logClusterHello(cfg: ElasticsearchOutputConfig, logger: Logger): () => void {
  const abort = new AbortController();
  void hello(cfg, logger, abort.signal);
  return () => abort.abort();
}

async function hello(cfg: ElasticsearchOutputConfig, logger: Logger, signal: AbortSignal): Promise<void> {
  const { client, scrub } = createEsClient(cfg, logger);
  try {
    const info = await client.info({}, { requestTimeout: 10_000, maxRetries: 0, signal });
    if (signal.aborted) return;
    logger.info('Elasticsearch output connected', {
      event: 'output_connected',
      cluster: info.cluster_name,
      version: info.version.number,
    });
  } catch (err) {
    if (signal.aborted) return;
    logger.warn('Elasticsearch output cannot connect yet; documents are kept and retried', {
      event: 'output_not_connected',
      reason: describeEsError(err, scrub).reason,
    });
  } finally {
    await client.close().catch(() => undefined);
  }
}
