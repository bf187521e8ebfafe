// A tiny `_bulk` endpoint on 127.0.0.1 for the request-level faults the Elasticsearch test server does not
// stage at the socket level: a body over `http.max_content_length` refused as Elasticsearch's Netty layer
// refuses it (Netty4HttpContentSizeHandler: `413` with `content-length: 0` and `connection: close`, written as
// soon as the request head shows an oversized Content-Length, the body never read, the channel closed), the same
// refusal when the client sees only the closed connection (the race issue 13 names), and an answer trickled one
// byte at a time (slow-loris).
// It speaks raw HTTP/1.1 over `net` so the timing is exact. It does NOT model: anything but `POST /_bulk` and
// `POST /<index>/_bulk` (whose index is the default of action lines without `_index`, as in Elasticsearch) (other
// paths answer 404), mappings or data streams (every `create`/`index` item is stored by `_id` and answered 201,
// a repeated `create` 409), chunked request bodies (the client sends a Content-Length), `Expect: 100-continue`.

import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface LoopbackBulkOptions {
  /** Bodies (as sent, i.e. gzipped when compressed) larger than this are refused. */
  maxContentLength?: number;
  /** How a refusal looks to the client: Elasticsearch's 413 + close, or only the closed connection. */
  oversize?: '413-close' | 'close-only';
  /** Send every answer's body one byte per this many ms (slow-loris). */
  trickleMs?: number;
}

export interface LoopbackBulkServer {
  readonly url: string;
  /** Every bulk request: its body size as sent and the answer given. */
  readonly requests: { bytes: number; status: number | 'closed' }[];
  /** Stored documents by id: how often written (`index` may rewrite; a repeated `create` is answered 409). */
  readonly stored: Map<string, number>;
  /** Connections accepted and connections that ended. */
  readonly connections: { opened: number; closed: number };
  setOptions(o: LoopbackBulkOptions): void;
  stop(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');

export async function startLoopbackBulkServer(
  initial: LoopbackBulkOptions = {},
): Promise<LoopbackBulkServer> {
  let opts: LoopbackBulkOptions = { ...initial };
  const requests: LoopbackBulkServer['requests'] = [];
  const stored = new Map<string, number>();
  const connections = { opened: 0, closed: 0 };
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const answer = (sock: Socket, status: number, body: string): void => {
    const reason = status === 200 ? 'OK' : status === 404 ? 'Not Found' : 'Error';
    const head =
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `x-elastic-product: Elasticsearch\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    if (!opts.trickleMs) {
      sock.write(head + body);
      return;
    }
    sock.write(head);
    let i = 0;
    const t = setInterval(() => {
      if (sock.destroyed || i >= body.length) {
        clearInterval(t);
        timers.delete(t);
        return;
      }
      sock.write(body[i++]!);
    }, opts.trickleMs);
    timers.add(t);
  };

  const bulk = (raw: Buffer, gzip: boolean, defaultIndex: string | undefined): string => {
    const text = (gzip ? gunzipSync(raw) : raw).toString('utf8');
    const lines = text.split('\n');
    lines.pop();
    const items: Record<string, { status: number } & Record<string, unknown>>[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!) as Record<string, { _index?: string; _id: string }>;
      const op = Object.keys(action)[0]!;
      const { _id } = action[op]!;
      const _index = action[op]!._index ?? defaultIndex;
      const n = stored.get(_id) ?? 0;
      if (op === 'create' && n > 0) {
        items.push({
          [op]: { _index, _id, status: 409, error: { type: 'version_conflict_engine_exception' } },
        });
        continue;
      }
      stored.set(_id, n + 1);
      items.push({ [op]: { _index, _id, status: 201, result: 'created' } });
    }
    return JSON.stringify({ errors: items.some((it) => Object.values(it)[0]!.status !== 201), items });
  };

  const server: Server = createServer((sock) => {
    connections.opened += 1;
    sockets.add(sock);
    sock.on('close', () => {
      connections.closed += 1;
      sockets.delete(sock);
    });
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let need: { length: number; head: string } | undefined;
    let refusing = false;
    sock.on('data', (d: Buffer) => {
      if (refusing) return; // the body of a refused request is never read
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!need) {
          const end = buf.indexOf(HEAD_END);
          if (end < 0) return;
          const head = buf.subarray(0, end).toString('latin1');
          buf = buf.subarray(end + 4);
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          const limit = opts.maxContentLength;
          if (limit !== undefined && length > limit) {
            refusing = true;
            requests.push({ bytes: length, status: opts.oversize === 'close-only' ? 'closed' : 413 });
            if (opts.oversize === 'close-only') sock.destroy();
            else
              sock.end(
                'HTTP/1.1 413 Request Entity Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n',
                () => sock.destroy(),
              );
            return;
          }
          need = { length, head };
        }
        if (buf.length < need.length) return;
        const body = buf.subarray(0, need.length);
        buf = buf.subarray(need.length);
        const { head } = need;
        need = undefined;
        const path = /^POST \/(?:([^/?\s]+)\/)?_bulk[?\s]/i.exec(head);
        if (!path) {
          answer(sock, 404, '{"error":"not found"}');
          continue;
        }
        const index = path[1] === undefined ? undefined : decodeURIComponent(path[1]);
        requests.push({ bytes: body.length, status: 200 });
        answer(sock, 200, bulk(body, /\r\ncontent-encoding:\s*gzip/i.test(head), index));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stored,
    connections,
    setOptions: (o) => {
      opts = { ...o };
    },
    stop: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
