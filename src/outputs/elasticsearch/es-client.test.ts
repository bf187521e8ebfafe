import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { recordingLogger } from '../../telemetry/logger.types.js';
import { ElasticsearchOutputConfig } from './elasticsearch.config.js';
import { clientOptions, createEsClient, EsBulkTransport, JSON_COMPAT, secretScrubber } from './es-client.js';
import { tempDir } from '../../../test/helpers/temp-dir.js';

describe('Elasticsearch client settings', () => {
  it('speaks the 8.x dialect, never retries by itself, verifies TLS by default', () => {
    const o = clientOptions(ElasticsearchOutputConfig.parse({ hosts: ['https://a:9200', 'https://b:9200'] }));
    assert.deepEqual(o.nodes, ['https://a:9200', 'https://b:9200']);
    assert.equal(o.maxRetries, 0);
    assert.equal(o.requestTimeout, 60000);
    assert.deepEqual(o.headers, { accept: JSON_COMPAT, 'content-type': JSON_COMPAT });
    assert.equal(o.tls?.rejectUnauthorized, true);
    // The client compresses nothing itself; EsBulkTransport gzips bulk bodies at compressionLevel (default 1).
    assert.equal(o.compression, false);
  });

  it('takes an API key, basic credentials, a cloud id, a CA file and a fingerprint', () => {
    const dir = tempDir('casguard-ca-');
    const ca = path.join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const k = clientOptions(
      ElasticsearchOutputConfig.parse({
        hosts: ['https://a:9200'],
        apiKey: 'aWQ6a2V5',
        tls: { caFile: ca, caFingerprint: 'AA:BB' },
      }),
    );
    assert.deepEqual(k.auth, { apiKey: 'aWQ6a2V5' });
    assert.match(String(k.tls?.ca), /BEGIN CERTIFICATE/);
    assert.equal(k.caFingerprint, 'AA:BB');
    const b = clientOptions(
      ElasticsearchOutputConfig.parse({ cloudId: 'name:abc', username: 'elastic', password: 'pw' }),
    );
    assert.deepEqual(b.cloud, { id: 'name:abc' });
    assert.equal(b.nodes, undefined);
    assert.deepEqual(b.auth, { username: 'elastic', password: 'pw' });
    assert.throws(
      () =>
        clientOptions(
          ElasticsearchOutputConfig.parse({ hosts: ['https://a'], tls: { caFile: '/nope.pem' } }),
        ),
      /cannot read tls.caFile \/nope.pem/,
    );
  });

  it('warns at every start when TLS verification is off', () => {
    const log = recordingLogger();
    const cfg = ElasticsearchOutputConfig.parse({ hosts: ['https://a:9200'], tls: { verify: false } });
    const { client } = createEsClient(cfg, log);
    void client.close();
    assert.equal(
      log.lines.filter((l) => l.level === 'warn' && /verification is OFF/.test(l.message)).length,
      1,
    );
  });

  it('scrubs the API key, its decoded parts, the password and the basic header from any text', () => {
    const apiKey = Buffer.from('myid:supersecretkey').toString('base64');
    const scrub = secretScrubber({ apiKey, username: 'elastic', password: 'p4ssw0rd!' });
    const basic = Buffer.from('elastic:p4ssw0rd!').toString('base64');
    const out = scrub(
      `key ${apiKey} raw supersecretkey pw p4ssw0rd! hdr Basic ${basic} url https://elastic:p4ssw0rd!@host`,
    );
    for (const s of [apiKey, 'supersecretkey', 'p4ssw0rd!', basic]) assert.ok(!out.includes(s), out);
  });

  it("scrubs a host's user-info password as written, decoded and as Basic credentials", () => {
    const scrub = secretScrubber({ hosts: ['https://elastic:s3cr%40t9@es.example:9200'] });
    const basic = Buffer.from('elastic:s3cr@t9').toString('base64');
    const out = scrub(
      `pw s3cr%40t9 decoded s3cr@t9 hdr ${basic} at https://elastic:s3cr%40t9@es.example:9200/`,
    );
    for (const s of ['s3cr%40t9', 's3cr@t9', basic]) assert.ok(!out.includes(s), out);
  });
});

/** A loopback server answering every request with one fixed response; it records what it received. */
async function fixedServer(
  status: number,
  headers: Record<string, string>,
  body: string,
): Promise<{
  url: string;
  seen: { encoding: string | undefined; body: Buffer }[];
  close: () => Promise<void>;
}> {
  const seen: { encoding: string | undefined; body: Buffer }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ encoding: req.headers['content-encoding'], body: Buffer.concat(chunks) });
      res.writeHead(status, {
        'content-type': 'application/json',
        'x-elastic-product': 'Elasticsearch',
        ...headers,
      });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const BASIC = { username: 'elastic', password: 'p4ssw0rd!' };

describe('Elasticsearch client errors', () => {
  it('keep the bulk body as it was and drop the request headers (credentials) from their metadata', async () => {
    const srv = await fixedServer(
      503,
      {},
      '{"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"},"status":503}',
    );
    const cfg = ElasticsearchOutputConfig.parse({ hosts: [srv.url], ...BASIC, compression: false });
    const { client } = createEsClient(cfg, recordingLogger());
    const body = Buffer.from(`{"create":{"_index":"x","_id":"1"}}\n{"a":"${'b'.repeat(1 << 20)}"}\n`);
    try {
      await assert.rejects(
        client.bulk({ operations: body as never }, { maxRetries: 0, meta: true }),
        (e: { meta?: { meta?: { request?: { params?: { body?: unknown; headers?: unknown } } } } }) => {
          const params = e.meta?.meta?.request?.params;
          // Not deep-copied: the default redaction turned the Buffer into an object of a million entries.
          assert.equal(params?.body, body);
          assert.equal(params?.headers, undefined);
          const basic = Buffer.from('elastic:p4ssw0rd!').toString('base64');
          const shown = inspect(e, { depth: 12 });
          assert.ok(!shown.includes(basic) && !shown.includes('p4ssw0rd!'), 'credentials in the error');
          return true;
        },
      );
    } finally {
      await client.close();
      await srv.close();
    }
  });
});

describe('EsBulkTransport', () => {
  it('gzips bulk bodies at the configured level, or sends them as they are', async () => {
    const srv = await fixedServer(
      200,
      {},
      '{"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}}]}',
    );
    const cfg = ElasticsearchOutputConfig.parse({ hosts: [srv.url] });
    assert.equal(cfg.compression, true);
    assert.equal(cfg.compressionLevel, 1);
    const { client, scrub } = createEsClient(cfg, recordingLogger());
    const line = `{"create":{"_index":"x","_id":"1"}}\n{"a":"${'b'.repeat(4000)}"}\n`;
    const body = Buffer.from(line + line.replace('"1"', '"2"'));
    try {
      for (const level of [1, 9, undefined]) {
        const r = await new EsBulkTransport(client, scrub, level).send(body, 2);
        assert.equal(r.kind, 'items');
        const got = srv.seen.at(-1)!;
        if (level === undefined) {
          assert.equal(got.encoding, undefined);
          assert.deepEqual(got.body, body);
        } else {
          assert.equal(got.encoding, 'gzip');
          assert.ok(got.body.length < body.length / 10, `level ${level}: ${got.body.length} bytes`);
          assert.deepEqual(gunzipSync(got.body), body);
        }
      }
    } finally {
      await client.close();
      await srv.close();
    }
  });

  it('answers a failed early encoding as a request-level failure, without sending anything', async () => {
    const srv = await fixedServer(200, {}, '{"errors":false,"items":[]}');
    const cfg = ElasticsearchOutputConfig.parse({ hosts: [srv.url] });
    const { client, scrub } = createEsClient(cfg, recordingLogger());
    try {
      const r = await new EsBulkTransport(client, scrub, 1).send(
        Buffer.from('{"create":{"_index":"x","_id":"1"}}\n{"a":1}\n'),
        1,
        Promise.reject(new Error('zlib: out of memory')),
      );
      assert.equal(r.kind, 'failed');
      assert.match(r.kind === 'failed' ? r.reason : '', /zlib: out of memory/);
      assert.equal(srv.seen.length, 0);
    } finally {
      await client.close();
      await srv.close();
    }
  });

  it('reports status, error type, reason and Retry-After of a refused bulk request (through the real client)', async () => {
    const srv = await fixedServer(
      429,
      { 'retry-after': '7' },
      '{"error":{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"},"status":429}',
    );
    const cfg = ElasticsearchOutputConfig.parse({ hosts: [srv.url], ...BASIC });
    const { client, scrub } = createEsClient(cfg, recordingLogger());
    try {
      const r = await new EsBulkTransport(client, scrub, 1).send(
        Buffer.from('{"create":{"_index":"x","_id":"1"}}\n{"a":1}\n'),
        1,
      );
      assert.deepEqual(r, {
        kind: 'failed',
        status: 429,
        errorType: 'es_rejected_execution_exception',
        reason: 'HTTP 429 es_rejected_execution_exception: rejected execution of coordinating operation',
        retryAfterMs: 7000,
      });
    } finally {
      await client.close();
      await srv.close();
    }
  });
});
