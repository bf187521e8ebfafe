// A stand-in for an Elasticsearch cluster on another machine: answers every `_bulk` request 200 with one
// `created` item per action line (as Elasticsearch writes it with a `filter_path`, when the request has one), counting lines without parsing the documents, so the sink itself costs
// almost no CPU on the machine under test. For measuring the agent's own throughput when its cores are its own
// (e.g. `processing.worker`); the shared harness's sink (which parses and validates) is the one to compare
// with other shippers.
// Usage: node bench/null-bulk-sink.mjs [--port 9298]   (prints the documents acknowledged at exit, Ctrl-C)
// `GET /_sink/stats`: documents acknowledged and uncompressed body bytes received so far.
import { createServer } from 'node:http';
import { createGunzip } from 'node:zlib';

const pi = process.argv.indexOf('--port');
const port = pi > 0 ? Number(process.argv[pi + 1]) : 9298;
const CREATED = '{"create":{"status":201}}';
let docs = 0;
let bytes = 0;

createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/_sink/stats') {
    // As the shared harness's sink answers it (ab-replay.sh prints bytes per document from it).
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ docs_accepted: docs, bytes }));
    return;
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
    res.end(JSON.stringify({ version: { number: '8.15.0' }, tagline: 'You Know, for Search' }));
    return;
  }
  const filtered = (req.url ?? '').includes('filter_path=');
  const body = req.headers['content-encoding'] === 'gzip' ? req.pipe(createGunzip()) : req;
  let lines = 0;
  body.on('data', (chunk) => {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  });
  body.on('end', () => {
    const n = lines >> 1;
    docs += n;
    res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
    // With casguard's filter_path (errors and the items' status, error, failure store) Elasticsearch leaves
    // `took` out; the items keep only their status.
    const items = Array(n).fill(CREATED).join(',');
    res.end(
      filtered ? `{"errors":false,"items":[${items}]}` : `{"took":1,"errors":false,"items":[${items}]}`,
    );
  });
}).listen(port, '127.0.0.1');

process.on('SIGINT', () => {
  console.log(`null bulk sink: ${docs} documents acknowledged`);
  process.exit(0);
});
