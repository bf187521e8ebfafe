// HTTP to Kibana's REST API for `casguard setup`: the status, the space check, the saved-objects import and the
// detection-rules import. Plain node:http/https (no Kibana client library exists for Node that covers both
// imports); requests carry `kbn-xsrf` (Kibana refuses a POST without it) and the credentials; a space other than
// `default` is addressed as `/s/<space>/api/...`. A non-2xx answer becomes a KibanaHttpError naming the status,
// Kibana's error and message; no credential reaches a message (every text passes `scrub`).

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { CasguardError, describeError } from '../../pipeline/errors.js';
import { secretScrubber } from '../elasticsearch/es-client.js';
import type { KibanaConfig } from './kibana.config.js';

/** The detection engine's public API version (the rules import route is versioned). */
export const RULES_API_VERSION = '2023-10-31';

export class KibanaHttpError extends CasguardError {
  constructor(
    message: string,
    readonly status?: number,
    readonly kibanaError?: string,
  ) {
    super('SETUP_FAILED', message, { recoverable: status === undefined || status >= 500 || status === 429 });
    this.name = 'KibanaHttpError';
  }
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/** Kibana's error bodies: Boom `{statusCode, error, message}` or the security solution's `{status_code, message}`. */
function describeAnswer(body: unknown): { kibanaError?: string; message: string } {
  if (body !== null && typeof body === 'object') {
    const b = body as { error?: unknown; message?: unknown };
    const error = typeof b.error === 'string' ? b.error : undefined;
    const message = typeof b.message === 'string' ? b.message : JSON.stringify(body).slice(0, 500);
    return { ...(error !== undefined ? { kibanaError: error } : {}), message };
  }
  return { message: String(body).slice(0, 500) };
}

export class KibanaClient {
  readonly scrub: (text: string) => string;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly auth: string | undefined;

  constructor(private readonly cfg: KibanaConfig) {
    this.scrub = secretScrubber(cfg);
    this.base = new URL(cfg.url.endsWith('/') ? cfg.url : `${cfg.url}/`);
    let ca: string | undefined;
    if (cfg.tls.caFile !== undefined) {
      try {
        ca = readFileSync(cfg.tls.caFile, 'utf8');
      } catch (e) {
        throw new CasguardError(
          'CONFIG_INVALID',
          `cannot read kibana.tls.caFile ${cfg.tls.caFile}: ${describeError(e)}`,
        );
      }
    }
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, rejectUnauthorized: cfg.tls.verify, ...(ca ? { ca } : {}) })
        : new http.Agent({ keepAlive: true });
    if (cfg.apiKey !== undefined) this.auth = `ApiKey ${cfg.apiKey}`;
    else if (cfg.username !== undefined)
      this.auth = `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`;
    else if (this.base.username !== '')
      this.auth = `Basic ${Buffer.from(`${decodeURIComponent(this.base.username)}:${decodeURIComponent(this.base.password)}`).toString('base64')}`;
    this.base.username = '';
    this.base.password = '';
  }

  /** The URL without credentials, for messages. */
  get displayUrl(): string {
    return this.base.toString().replace(/\/$/, '');
  }

  get space(): string {
    return this.cfg.space;
  }

  private url(apiPath: string, inSpace: boolean): URL {
    const prefix = inSpace && this.cfg.space !== 'default' ? `s/${encodeURIComponent(this.cfg.space)}/` : '';
    return new URL(`${prefix}${apiPath.replace(/^\//, '')}`, this.base);
  }

  private request(
    method: 'GET' | 'POST',
    target: URL,
    body?: { contentType: string; data: Buffer },
    extraHeaders: Record<string, string> = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'kbn-xsrf': 'casguard',
      ...extraHeaders,
    };
    if (this.auth !== undefined) headers['authorization'] = this.auth;
    if (body) {
      headers['content-type'] = body.contentType;
      headers['content-length'] = String(body.data.length);
    }
    const lib = target.protocol === 'https:' ? https : http;
    return new Promise<Answer>((resolve, reject) => {
      const req = lib.request(target, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(this.transportError(e)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON (a proxy's HTML page, for example): kept as text for the message
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.setTimeout(this.cfg.requestTimeoutMs, () =>
        req.destroy(new Error(`no answer within ${this.cfg.requestTimeoutMs} ms`)),
      );
      req.on('error', (e) => reject(this.transportError(e)));
      if (body) req.end(body.data);
      else req.end();
    });
  }

  private transportError(e: unknown): KibanaHttpError {
    const code = (e as NodeJS.ErrnoException).code;
    return new KibanaHttpError(
      this.scrub(`cannot reach Kibana at ${this.displayUrl}: ${code ? `${code} ` : ''}${describeError(e)}`),
    );
  }

  private fail(what: string, a: Answer): KibanaHttpError {
    const d = describeAnswer(a.body);
    return new KibanaHttpError(
      this.scrub(`${what}: HTTP ${a.status}${d.kibanaError ? ` ${d.kibanaError}` : ''}: ${d.message}`),
      a.status,
      d.kibanaError,
    );
  }

  /** `GET /api/status`: the Kibana version, or an error (401 for bad credentials, ...). */
  async version(): Promise<string> {
    const a = await this.request('GET', this.url('api/status', false));
    if (a.status !== 200) throw this.fail('Kibana status', a);
    const v = (a.body as { version?: { number?: unknown } } | undefined)?.version?.number;
    if (typeof v !== 'string')
      throw new KibanaHttpError(
        `${this.displayUrl} answered /api/status without a Kibana version: is it Kibana?`,
        a.status,
      );
    return v;
  }

  /**
   * Whether the configured space exists. Kibana's import APIs accept a space that does not exist and put the
   * objects where nobody can see them, so setup checks first. `default` always exists.
   */
  async spaceExists(): Promise<boolean> {
    if (this.cfg.space === 'default') return true;
    const a = await this.request(
      'GET',
      this.url(`api/spaces/space/${encodeURIComponent(this.cfg.space)}`, false),
    );
    if (a.status === 200) return true;
    if (a.status === 404) return false;
    throw this.fail(`reading space ${this.cfg.space}`, a);
  }

  private multipart(fileName: string, content: string): { contentType: string; data: Buffer } {
    const boundary = `----casguard${randomBytes(12).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n` +
        'Content-Type: application/ndjson\r\n\r\n',
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    return {
      contentType: `multipart/form-data; boundary=${boundary}`,
      data: Buffer.concat([head, Buffer.from(content, 'utf8'), tail]),
    };
  }

  /** `POST /api/saved_objects/_import?overwrite=true`; the 200 answer's body (which may still report failures). */
  async importSavedObjects(ndjson: string, fileName: string): Promise<unknown> {
    const a = await this.request(
      'POST',
      this.url('api/saved_objects/_import?overwrite=true', true),
      this.multipart(fileName, ndjson),
    );
    if (a.status !== 200) throw this.fail('saved objects import', a);
    return a.body;
  }

  /** `POST /api/detection_engine/rules/_import?overwrite=true`; the 200 answer's body. */
  async importRules(ndjson: string, fileName: string): Promise<unknown> {
    const a = await this.request(
      'POST',
      this.url('api/detection_engine/rules/_import?overwrite=true', true),
      this.multipart(fileName, ndjson),
      { 'elastic-api-version': RULES_API_VERSION },
    );
    if (a.status !== 200) throw this.fail('detection rules import', a);
    return a.body;
  }

  /** Whether a detection rule with this rule_id exists in the space (to tell new rules from replaced ones). */
  async ruleExists(ruleId: string): Promise<boolean> {
    const a = await this.request(
      'GET',
      this.url(`api/detection_engine/rules?rule_id=${encodeURIComponent(ruleId)}`, true),
      undefined,
      { 'elastic-api-version': RULES_API_VERSION },
    );
    if (a.status === 200) return true;
    if (a.status === 404) return false;
    throw this.fail(`reading rule ${ruleId}`, a);
  }

  close(): void {
    this.agent.destroy();
  }
}
