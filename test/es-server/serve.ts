// Runs the Elasticsearch test server standalone (for manual runs, other engineers' crash tests, benches):
//   node --import tsx test/es-server/serve.ts [--port 9200] [--version 8.15.0] [--faults '{"item429Rate":0.1}'] [--no-store] [--fast]
// Prints the URL on the first line of stdout; stops on SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { startEsTestServer } from './es-test-server.js';
import type { EsFaults } from './es-test-server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    version: { type: 'string', default: '8.15.0' },
    faults: { type: 'string', default: '{}' },
    'no-store': { type: 'boolean', default: false },
    /** Bench mode: no mapping check, no sources kept, sources not even parsed. */
    fast: { type: 'boolean', default: false },
  },
});
const es = await startEsTestServer({
  port: Number(values.port),
  version: values.version,
  faults: JSON.parse(values.faults) as EsFaults,
  storeSources: !values['no-store'] && !values.fast,
  checkMappings: !values.fast,
});
console.log(es.url);
const stop = (): void => {
  console.error(`stopping: ${es.totalDocs()} documents stored, stats ${JSON.stringify(es.stats)}`);
  void es.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
