// Shared by the test server's own tests: a client speaking the 8.x dialect (as casguard does), NDJSON bodies,
// raw HTTP requests (to see statuses, headers and bodies exactly), and error assertions.
/* eslint-disable @typescript-eslint/no-explicit-any -- answers are inspected loosely in tests */

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Client, errors } from '@elastic/elasticsearch';

export const JSON8 = 'application/vnd.elasticsearch+json; compatible-with=8';
export const NDJSON8 = 'application/vnd.elasticsearch+x-ndjson; compatible-with=8';

export function client8(url: string, extra: Record<string, unknown> = {}): Client {
  return new Client({
    node: url,
    maxRetries: 0,
    requestTimeout: 5000,
    headers: { accept: JSON8, 'content-type': JSON8 },
    ...extra,
  });
}

export interface BulkLine {
  op?: string;
  index: string;
  id?: string;
  doc?: unknown;
  meta?: Record<string, unknown>;
}

export function ndjson(items: BulkLine[]): string {
  return items
    .map((i) => {
      const meta = { _index: i.index, ...(i.id !== undefined ? { _id: i.id } : {}), ...(i.meta ?? {}) };
      const action = JSON.stringify({ [i.op ?? 'create']: meta });
      return i.op === 'delete' ? `${action}\n` : `${action}\n${JSON.stringify(i.doc ?? {})}\n`;
    })
    .join('');
}

export async function bulk(c: Client, body: string, filterPath?: string): Promise<any> {
  return c.bulk(
    // A pre-serialized NDJSON string is sent as is (dependencies.md 3.5); the types do not allow it.
    { operations: body as never, ...(filterPath ? { filter_path: filterPath } : {}) },
    { headers: { 'content-type': NDJSON8, accept: JSON8 } },
  );
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Header lines as sent (name, value, name, value...): repeated headers stay separate. */
  rawHeaders: string[];
  text: string;
  json: any;
}

/** A request without the client, to see exactly what the server answers. */
export function raw(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const u = new URL(path, url);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method,
        headers: {
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            text,
            json,
          });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

export function apiKeyHeader(encoded: string): Record<string, string> {
  return { authorization: `ApiKey ${encoded}` };
}

/** Assert an error answer: status, top-level type, root cause type, and optionally a reason pattern. */
export function assertError(
  a: RawAnswer,
  status: number,
  type: string,
  reason?: RegExp,
  rootType: string = type,
): void {
  assert.equal(a.status, status, a.text);
  assert.equal(a.json?.status, status, a.text);
  assert.equal(a.json?.error?.type, type, a.text);
  assert.equal(a.json?.error?.root_cause?.[0]?.type, rootType, a.text);
  if (reason) assert.match(JSON.stringify(a.json.error), reason);
}

/** Assert that a client call fails with this status and error type. */
export async function rejectsWith(
  p: Promise<unknown>,
  status: number,
  type: string,
  reason?: RegExp,
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof errors.ResponseError, String(e));
    assert.equal(e.statusCode, status, JSON.stringify(e.body));
    assert.equal((e.body as any)?.error?.type, type, JSON.stringify(e.body));
    if (reason) assert.match(JSON.stringify(e.body), reason);
    return true;
  });
}
