// GET /metrics (Prometheus text) and GET /health on a loopback address. Health is 200 while the agent runs
// and no condition lasts, 503 otherwise, with a small JSON body saying why, one key per condition, e.g.
// {"status":"degraded","conditions":{"output:elasticsearch":{"state":"unauthorised","status":401,...},
// "disk:file-output":{"file":"...","code":"ENOSPC","since":"..."}}}. Conditions: output:<name> (failing,
// refused, unauthorised), disk:<path>, spool:<output>, dead-letters (README "Health").

import { createServer, type Server } from 'node:http';
import { metricsRegistry } from './metrics.js';

export interface HealthState {
  readonly ok: boolean;
  readonly details: Record<string, unknown>;
}

export interface MetricsServer {
  readonly address: string;
  close(): Promise<void>;
}

export async function startMetricsServer(listen: string, health: () => HealthState): Promise<MetricsServer> {
  const idx = listen.lastIndexOf(':');
  const host = idx > 0 ? listen.slice(0, idx).replace(/^\[|\]$/g, '') : '127.0.0.1';
  const port = Number(idx > 0 ? listen.slice(idx + 1) : listen);
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url.startsWith('/metrics')) {
      metricsRegistry()
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': metricsRegistry().contentType });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(500);
          res.end();
        });
      return;
    }
    if (req.method === 'GET' && url.startsWith('/health')) {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: h.ok ? 'ok' : 'degraded', ...h.details }));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const address = typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : listen;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
