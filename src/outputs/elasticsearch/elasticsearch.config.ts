// Elasticsearch output settings. Credentials come from the environment (`${CASGUARD_ES_API_KEY}`) and are
// never logged.

import { z } from 'zod';

/** A cluster URL, with a message that says what is wrong with a mistyped one. */
const HostUrl = z.string().superRefine((h, ctx) => {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(h)) {
    ctx.addIssue({
      code: 'custom',
      message: `'${h}' has no scheme: write http://${h} (or https://${h} when the cluster uses TLS)`,
    });
    return;
  }
  let url: URL;
  try {
    url = new URL(h);
  } catch {
    ctx.addIssue({ code: 'custom', message: `'${h}' is not a valid URL` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    ctx.addIssue({
      code: 'custom',
      message: `'${h}': the scheme must be http or https, not ${url.protocol.replace(/:$/, '')}`,
    });
});

export const ElasticsearchOutputConfig = z
  .strictObject({
    hosts: z
      // One host may be written as a plain string (`hosts: "https://es:9200"`), as Filebeat accepts it.
      .preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(HostUrl).min(1))
      .optional()
      .describe('Cluster URLs (http or https); one URL or a list.'),
    cloudId: z.string().min(1).optional().describe('Elastic Cloud id, instead of hosts.'),
    apiKey: z
      .string()
      .min(1)
      // Elasticsearch's `encoded` form is base64 of `id:api_key`; the Filebeat form `id:api_key` is accepted too
      // and encoded here (base64 has no ':', so the two cannot be confused).
      .transform((k) => (/^[^:\s]+:[^:\s]+$/.test(k) ? Buffer.from(k, 'utf8').toString('base64') : k))
      .optional()
      .describe("API key: the 'encoded' value Elasticsearch returns, or id:api_key (the Filebeat form)."),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    namespace: z
      .string()
      .regex(/^[a-z0-9_]{1,100}$/, 'lower-case letters, digits and underscores')
      .default('default')
      .describe('Data stream namespace: logs-exchange.activesync-<namespace>.'),
    tls: z
      .strictObject({
        caFile: z
          .string()
          .min(1)
          .optional()
          .describe('PEM file of the CA that signed the cluster certificate.'),
        caFingerprint: z.string().min(1).optional().describe('SHA-256 fingerprint of the CA certificate.'),
        verify: z
          .boolean()
          .default(true)
          .describe('Verify the server certificate. Turning it off logs a warning at every start.'),
      })
      .default({ verify: true }),
    requestTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(60000)
      .describe(
        'Deadline of a whole bulk request (sending, headers and the whole answer); then the connection is dropped and the batch retried.',
      ),
    maxBatchDocs: z.number().int().min(1).default(2000),
    maxBatchBytes: z
      .number()
      .int()
      .min(1024)
      .default(5 * 1024 * 1024),
    flushIntervalMs: z.number().int().min(10).default(1000),
    maxInFlightRequests: z.number().int().min(1).max(64).default(2),
    compression: z.boolean().default(true).describe('gzip request bodies.'),
    sendStreamConstants: z
      .boolean()
      .default(false)
      .describe(
        "Send the fields that are the same in every document of a data stream (event.kind, event.dataset, data_stream.type...). casguard's index templates map them as constant_keyword with their value, so by default they are left out (about 170 bytes per document); set true when the streams are not made from casguard's templates (setup not run, or another template wins).",
      ),
    compressionLevel: z
      .number()
      .int()
      .min(1)
      .max(9)
      .default(1)
      .describe(
        'gzip level of bulk bodies: 1 costs about 5 µs of CPU per 1.8 KB document (ratio ~8), the zlib default 6 about 14 µs (ratio ~11).',
      ),
    maxBufferBytes: z
      .number()
      .int()
      .min(1024)
      // 16 MiB: enough for two 5 MB requests in flight and one being built. A larger budget does not make
      // shipping faster (measured with bench/e2e-iis-to-es.ts) but raises the agent's peak RSS by about as much.
      .default(16 * 1024 * 1024)
      .describe(
        'In-memory budget of serialized documents. Inputs pause at it; during an outage, batches go to the disk spool from half of it.',
      ),
    spool: z
      .strictObject({
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024 * 1024),
        whenFull: z.enum(['pause', 'drop-oldest']).default('pause'),
      })
      .default({ maxBytes: 1024 * 1024 * 1024, whenFull: 'pause' }),
    retry: z
      .strictObject({
        initialDelayMs: z.number().int().min(1).default(500),
        maxDelayMs: z.number().int().min(1).default(60000),
      })
      .default({ initialDelayMs: 500, maxDelayMs: 60000 }),
  })
  .refine((c) => c.hosts !== undefined || c.cloudId !== undefined, { message: 'set hosts or cloudId' })
  .refine((c) => (c.username === undefined) === (c.password === undefined), {
    message: 'username and password go together',
  });
export type ElasticsearchOutputConfig = z.infer<typeof ElasticsearchOutputConfig>;
