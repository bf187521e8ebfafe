// The HTTP side of the test server, as Elasticsearch's Netty transport and RestController behave:
// - authentication happens on the headers, before the body is read (Netty4HttpHeaderValidator);
// - http.max_content_length: a request whose Content-Length is larger is answered at once with 413, an EMPTY body,
//   `Content-Length: 0` and `Connection: close`, and the connection is closed without reading the body
//   (modules/transport-netty4/.../Netty4HttpContentSizeHandler: TOO_LARGE_CLOSE + ChannelFutureListener.CLOSE;
//   Netty's HttpObjectAggregator#handleOversizedMessage does the same for aggregated requests). The limit applies
//   to the decompressed body (the decompressor sits before the aggregator), so a gzip body is counted as it is
//   inflated and refused the same way once past the limit. A client still writing its body may see the 413 or a
//   connection reset (EPIPE/ECONNRESET), as against a real cluster;
// - the REST compatibility rule on Accept/Content-Type (`compatible-with=N`: N must be this major or the one before;
//   a versioned Content-Type needs a versioned Accept of the same N), answered with media_type_header_exception;
// - every response carries `X-elastic-product: Elasticsearch` (the client's product check) and a Content-Type
//   matching the Accept (`application/vnd.elasticsearch+json;compatible-with=8`);
// - HEAD answers have no body.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';
import { EsError, errorBody } from './errors.js';
import type { EsFaults } from './faults.js';

export interface EsRequest {
  method: string;
  /** Path without query string, e.g. /logs-x-default/_rollover. */
  path: string;
  /** The request URI as Elasticsearch prints it in messages (path and query). */
  uri: string;
  parts: string[];
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface EsResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string | string[]>;
  /** Destroy the connection instead of answering (fault injection). */
  reset?: boolean;
}

export interface FrontOptions {
  major: number;
  maxContentLength: number;
  faults: () => EsFaults;
  onRequest: (req: EsRequest) => void;
  /** Authenticate from the headers (throws EsError 401); the result is passed to `handle`. */
  authenticate: (authorization: string | undefined, uri: string) => unknown;
  handle: (req: EsRequest, principal: unknown) => Promise<EsResponse> | EsResponse;
  onGzip: () => void;
  onError: (status: number) => void;
  onBulkOpen: (open: number) => void;
}

function compatVersions(header: string | undefined): number[] {
  if (!header) return [];
  return [...header.matchAll(/compatible-with\s*=\s*(\d+)/gi)].map((m) => Number(m[1]));
}

/** RestCompatibleVersionHelper: the Accept/Content-Type versions a request may use. */
function checkMediaTypes(major: number, headers: IncomingMessage['headers'], hasBody: boolean): void {
  const accept = headers.accept;
  const ctype = headers['content-type'];
  const av = compatVersions(accept);
  const cv = hasBody ? compatVersions(ctype) : [];
  const allowed = [major, major - 1];
  const bad = (msg: string): never => {
    throw new EsError(
      400,
      'media_type_header_exception',
      'Invalid media-type value on headers [Accept, Content-Type]',
      {},
      {
        type: 'status_exception',
        reason: msg,
      },
    );
  };
  for (const v of av)
    if (!allowed.includes(v))
      bad(`Accept version must be either version ${major} or ${major - 1}, but found ${v}. Accept=${accept}`);
  for (const v of cv)
    if (!allowed.includes(v))
      bad(
        `Content-Type version must be either version ${major} or ${major - 1}, but found ${v}. Content-Type=${ctype}`,
      );
  if (new Set(av).size > 1) bad(`Accept header mixes versions. Accept=${accept}`);
  if (hasBody && ctype !== undefined) {
    if ((cv.length > 0 && av.length === 0 && accept !== undefined) || (av.length > 0 && cv.length === 0))
      bad(
        `A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version. Accept=${accept}, Content-Type=${ctype}`,
      );
    if (cv.length > 0 && av.length > 0 && cv[0] !== av[0])
      bad(`Content-Type and Accept version requested have to match. Accept=${accept}, Content-Type=${ctype}`);
  }
}

class TooLarge extends Error {}

export class HttpFront {
  private server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly stalled = new Set<() => void>();
  private openBulk = 0;
  port = 0;
  private isUp = false;

  constructor(private readonly o: FrontOptions) {
    this.server = this.create();
  }

  private create(): Server {
    const s = createServer((req, res) => this.onRequest(req, res));
    s.keepAliveTimeout = 30_000;
    s.on('connection', (sock: Socket) => {
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
    return s;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    const a = this.server.address();
    this.port = typeof a === 'object' && a ? a.port : 0;
    this.isUp = true;
  }

  liftStall(): void {
    for (const r of this.stalled) r();
    this.stalled.clear();
  }

  async down(): Promise<void> {
    if (!this.isUp) return;
    this.isUp = false;
    this.liftStall();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  async up(): Promise<void> {
    if (this.isUp) return;
    this.server = this.create();
    await this.listen(this.port);
  }

  /** Answer 413 as Netty does and close the connection once the answer is written. */
  private tooLarge(req: IncomingMessage, res: ServerResponse): void {
    this.o.onError(413);
    if (res.headersSent || res.destroyed) {
      req.socket.destroy();
      return;
    }
    res.writeHead(413, { 'content-length': '0', connection: 'close' });
    res.end(() => req.socket.destroy());
  }

  /** Read (and inflate) the body, refusing it past http.max_content_length. */
  private readBody(req: IncomingMessage): Promise<Buffer> {
    const max = this.o.maxContentLength;
    return new Promise((resolve, reject) => {
      const enc = (req.headers['content-encoding'] ?? '').toLowerCase();
      let source: NodeJS.ReadableStream = req;
      let inflater: Transform | undefined;
      if (enc === 'gzip' || enc === 'deflate') {
        this.o.onGzip();
        inflater = enc === 'gzip' ? createGunzip() : createInflate();
        req.pipe(inflater);
        source = inflater;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      source.on('data', (c: Buffer) => {
        if (done) return;
        size += c.length;
        if (size > max) {
          done = true;
          if (inflater) req.unpipe(inflater);
          reject(new TooLarge());
          return;
        }
        chunks.push(c);
      });
      source.on('end', () => {
        if (!done) resolve(Buffer.concat(chunks, size));
      });
      source.on('error', (e: Error) => {
        if (!done)
          reject(
            new EsError(
              400,
              'illegal_argument_exception',
              `failed to decompress the request body: ${e.message}`,
            ),
          );
      });
      req.on('error', (e) => {
        if (!done) reject(e);
      });
    });
  }

  private send(req: IncomingMessage, res: ServerResponse, r: EsResponse): void {
    if (r.reset) {
      res.socket?.destroy();
      return;
    }
    if (res.destroyed || res.writableEnded) return;
    const text = r.body === undefined ? '' : JSON.stringify(r.body);
    if (r.status >= 300) this.o.onError(r.status);
    const accept = req.headers.accept ?? '';
    const compat = compatVersions(accept)[0];
    res.writeHead(r.status, {
      'x-elastic-product': 'Elasticsearch',
      'content-type':
        compat !== undefined
          ? `application/vnd.elasticsearch+json;compatible-with=${compat}`
          : 'application/json',
      'content-length': String(req.method === 'HEAD' ? 0 : Buffer.byteLength(text)),
      ...(r.headers ?? {}),
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isBulk = url.pathname.endsWith('/_bulk');
    if (isBulk) this.o.onBulkOpen(++this.openBulk);
    const run = async (): Promise<void> => {
      const f = this.o.faults();
      if (f.stall) {
        await new Promise<void>((resolve) => {
          this.stalled.add(resolve);
          res.on('close', () => {
            this.stalled.delete(resolve);
            resolve();
          });
        });
        if (res.destroyed) return;
      }
      if (f.delayMs) await new Promise((r) => setTimeout(r, f.delayMs));
      const parts = url.pathname
        .split('/')
        .filter((p) => p.length > 0)
        .map(decodeURIComponent);
      const uri = (req.url ?? '/').replace(/^https?:\/\/[^/]+/, '');
      const esReq: EsRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        uri,
        parts,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.alloc(0),
      };
      this.o.onRequest(esReq);
      try {
        const principal = this.o.authenticate(req.headers.authorization, uri);
        const declared = Number(req.headers['content-length'] ?? -1);
        if (declared > this.o.maxContentLength) {
          this.tooLarge(req, res);
          return;
        }
        try {
          esReq.body = await this.readBody(req);
        } catch (e) {
          if (e instanceof TooLarge) {
            this.tooLarge(req, res);
            return;
          }
          throw e;
        }
        checkMediaTypes(this.o.major, req.headers, esReq.body.length > 0);
        this.send(req, res, await this.o.handle(esReq, principal));
      } catch (e) {
        if (e instanceof EsError) {
          this.send(req, res, { status: e.status, body: errorBody(e), headers: e.headers });
        } else {
          this.send(req, res, {
            status: 500,
            body: errorBody(new EsError(500, 'exception', e instanceof Error ? e.message : String(e))),
          });
        }
      }
    };
    const done = (): void => {
      if (isBulk) this.openBulk -= 1;
    };
    run().then(done, done);
  }
}
