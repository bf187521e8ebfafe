// Runs the Elasticsearch test server standalone (for manual runs, other engineers' crash tests, benches):
//   node --import tsx test/es-server/serve.ts [flags]
// Flags:
//   --port N            listen on 127.0.0.1:N (default 0: any free port)
//   --version X.Y.Z     the version to behave as (default 8.15.0; 9.x turns logsdb on for logs-*-* streams)
//   --faults JSON       fault injection, e.g. '{"item429Rate":0.1}' (see faults.ts)
//   --max-content-length BYTES   http.max_content_length (default 100 MB): larger requests get 413 + close
//   --auth-api-key KEY  require credentials: this encoded API key (id:key in base64) is accepted
//   --auth-user U:P     require credentials: this user (role superuser) is accepted
//   --no-logsdb / --logsdb       force cluster.logsdb.enabled
//   --no-auto-create    action.auto_create_index: false
//   --no-builtin        do not install Elasticsearch's built-in logs templates
//   --no-store          keep ids only, not sources
//   --fast              bench mode: no mapping check, no sources kept, sources not even parsed
// Prints the URL on the first line of stdout; stops on SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { startEsTestServer } from './es-test-server.js';
import type { EsFaults } from './es-test-server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    version: { type: 'string', default: '8.15.0' },
    faults: { type: 'string', default: '{}' },
    'max-content-length': { type: 'string' },
    'auth-api-key': { type: 'string' },
    'auth-user': { type: 'string' },
    logsdb: { type: 'boolean' },
    'no-logsdb': { type: 'boolean', default: false },
    'no-auto-create': { type: 'boolean', default: false },
    'no-builtin': { type: 'boolean', default: false },
    'no-store': { type: 'boolean', default: false },
    fast: { type: 'boolean', default: false },
  },
});
const user = values['auth-user']?.split(':');
const auth =
  values['auth-api-key'] !== undefined || user !== undefined
    ? {
        ...(values['auth-api-key'] !== undefined ? { apiKey: values['auth-api-key'] } : {}),
        ...(user ? { username: user[0]!, password: user.slice(1).join(':') } : {}),
      }
    : undefined;
const es = await startEsTestServer({
  port: Number(values.port),
  version: values.version,
  faults: JSON.parse(values.faults) as EsFaults,
  storeSources: !values['no-store'] && !values.fast,
  checkMappings: !values.fast,
  ...(values['max-content-length'] !== undefined
    ? { maxContentLength: Number(values['max-content-length']) }
    : {}),
  ...(auth ? { auth } : {}),
  ...(values.logsdb ? { logsdb: true } : values['no-logsdb'] ? { logsdb: false } : {}),
  ...(values['no-auto-create'] ? { autoCreateIndex: false } : {}),
  ...(values['no-builtin'] ? { builtinLogsTemplate: false } : {}),
});
console.log(es.url);
const stop = (): void => {
  console.error(`stopping: ${es.totalDocs()} documents stored, stats ${JSON.stringify(es.stats)}`);
  void es.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
