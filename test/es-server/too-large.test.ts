// A request over http.max_content_length is answered as Netty answers it in Elasticsearch
// (Netty4HttpContentSizeHandler / HttpObjectAggregator): 413, an empty body, `Connection: close`, and the connection
// closed, before the body is read. A client that is still sending may therefore see the 413 or a reset.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { startEsTestServer } from './es-test-server.js';
import type { EsTestServer } from './es-test-server.js';
import { ndjson } from './test-helpers.js';

const MAX = 10_000;

/** Send raw bytes and collect everything the server sends until it closes the connection. */
function rawExchange(
  port: number,
  data: string | Buffer,
  timeoutMs = 3000,
): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer: false });
    }, timeoutMs);
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer: true });
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE')
        resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer: true });
      else reject(e);
    });
    s.write(data);
  });
}

describe('413 as Elasticsearch answers an oversized request', () => {
  let es: EsTestServer;
  before(async () => {
    es = await startEsTestServer({ maxContentLength: MAX });
  });
  after(async () => {
    await es.stop();
  });

  it('answers from the headers alone: 413, empty body, Connection: close, then closes without reading the body', async () => {
    const head =
      `POST /_bulk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nConnection: keep-alive\r\n` +
      `Content-Length: ${MAX + 1}\r\n\r\n`;
    // Only the headers are sent: the answer must not wait for the body.
    const { text, closedByServer } = await rawExchange(es.port, head);
    assert.ok(closedByServer, 'the server closed the connection');
    const [statusLine, ...rest] = text.split('\r\n');
    assert.equal(statusLine, 'HTTP/1.1 413 Payload Too Large');
    const headers = rest.join('\n').toLowerCase();
    assert.match(headers, /^content-length: 0$/m);
    assert.match(headers, /^connection: close$/m);
    assert.ok(text.endsWith('\r\n\r\n'), 'no body');
    assert.equal(es.stats.bulkRequests, 0, 'nothing was handled');
  });

  it('refuses a gzip body by its inflated size, which the limit applies to', async () => {
    const body = gzipSync(
      Buffer.from(
        ndjson(
          Array.from({ length: 200 }, (_, i) => ({
            index: 'plain-big',
            id: String(i),
            doc: { message: 'x'.repeat(100) },
          })),
        ),
      ),
    );
    assert.ok(body.length < MAX, 'the compressed body is under the limit');
    const head =
      `POST /_bulk HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-ndjson\r\nContent-Encoding: gzip\r\n` +
      `Content-Length: ${body.length}\r\n\r\n`;
    const { text, closedByServer } = await rawExchange(es.port, Buffer.concat([Buffer.from(head), body]));
    assert.ok(closedByServer, 'closedByServer');
    assert.match(text, /^HTTP\/1\.1 413 /);
    assert.match(text.toLowerCase(), /connection: close/);
    assert.equal(es.docs('plain-big').size, 0);
  });

  it('answers a client that sends the whole body with the 413 or a reset, never with a JSON body on a kept connection', async () => {
    const payload = ndjson(
      Array.from({ length: 400 }, (_, i) => ({
        index: 'plain-big2',
        id: String(i),
        doc: { message: 'y'.repeat(200) },
      })),
    );
    const outcome = await new Promise<string>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: es.port,
          method: 'POST',
          path: '/_bulk',
          headers: {
            'content-type': 'application/x-ndjson',
            'content-length': String(Buffer.byteLength(payload)),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve(`${res.statusCode} ${res.headers.connection} [${Buffer.concat(chunks).toString()}]`),
          );
          res.on('error', () => resolve(`${res.statusCode} aborted`));
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      req.end(payload);
    });
    assert.ok(['413 close []', '413 aborted', 'ECONNRESET', 'EPIPE'].includes(outcome), outcome);
    assert.equal(es.docs('plain-big2').size, 0);
  });

  it('accepts a request under the limit', async () => {
    const payload = ndjson([{ op: 'index', index: 'plain-small', id: '1', doc: { m: 'ok' } }]);
    const { text } = await rawExchange(
      es.port,
      `POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`,
    );
    assert.match(text, /^HTTP\/1\.1 200 OK/);
    assert.equal(es.docs('plain-small').size, 1);
  });
});
