// The whole configuration, composed from each component's own schema. Unknown keys are errors everywhere.

import { z } from 'zod';
import { FileInputConfig } from '../inputs/file-input.config.js';
import { ARRAY_DEFAULTS, ArrayConfig } from '../outputs/array/array.config.js';
import { DeadLetterConfig } from '../outputs/dead-letter/dead-letter.config.js';
import { ElasticsearchOutputConfig } from '../outputs/elasticsearch/elasticsearch.config.js';
import { FileOutputConfig } from '../outputs/file/file-output.config.js';
import { RedactionConfig } from '../pipeline/redaction/redaction.config.js';
import { KibanaSettings } from '../outputs/kibana/kibana.config.js';
import { LoggingConfig } from '../telemetry/logging.config.js';

export const DetectConfig = z.strictObject({
  enabled: z.boolean().default(true),
  maxKeysPerRule: z
    .number()
    .int()
    .min(1)
    .default(10000)
    .describe(
      'Bound on per-key state per rule: when full, the least recently active keys below threshold are evicted (never a key with an open alert or at its threshold).',
    ),
  maxFutureSkewMs: z
    .number()
    .int()
    .min(0)
    .default(86400000)
    .describe(
      "Documents dated further ahead of the agent's clock are shipped but not used for detection (their windows would move past the real events).",
    ),
});

export const MetricsConfig = z.strictObject({
  enabled: z.boolean().default(true),
  listen: z
    .string()
    .default('127.0.0.1:9464')
    .describe('host:port of the /metrics and /health endpoint (loopback).'),
  healthSpoolPercent: z
    .number()
    .min(1)
    .max(100)
    .default(50)
    .describe(
      '/health is degraded while the Elasticsearch disk spool holds more than this share of spool.maxBytes.',
    ),
  healthDeadLetterWindowMs: z
    .number()
    .int()
    .min(1000)
    .default(300000)
    .describe('/health is degraded while a dead letter was written within this window.'),
});

export const AgentConfig = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(1024)
    .optional()
    .describe("`agent.name` in every document; default: this machine's host name."),
});

export const CasguardConfig = z
  .strictObject({
    agent: AgentConfig.default({}),
    dataDir: z
      .string()
      .min(1)
      .default('./data')
      .describe('Registry, spool, dead letters, local output, own logs.'),
    inputs: z.array(FileInputConfig).min(1).describe('Files to read.'),
    outputs: z
      .strictObject({
        elasticsearch: ElasticsearchOutputConfig.optional(),
        file: FileOutputConfig.optional(),
        stdout: z.strictObject({ alerts: z.boolean().default(true) }).default({ alerts: true }),
      })
      .default({ stdout: { alerts: true } }),
    deadLetter: DeadLetterConfig.default({ maxFileBytes: 64 * 1024 * 1024, maxFiles: 16 }).describe(
      'Bounds of the dead-letter files under <dataDir>/dead-letter (README "Bounds").',
    ),
    array: ArrayConfig.default(ARRAY_DEFAULTS).describe(
      'Array mode: alerts merged across the agents of a load-balanced CAS array, and status documents (README "Array mode").',
    ),
    kibana: KibanaSettings.optional().describe(
      'Kibana for `casguard setup`: data views, dashboards and detection rules (own credentials).',
    ),
    rules: z
      .string()
      .min(1)
      .optional()
      .describe('Folder of rule YAML files; default: the built-in KB 2851708 set.'),
    detect: DetectConfig.default({ enabled: true, maxKeysPerRule: 10000, maxFutureSkewMs: 86400000 }),
    logging: LoggingConfig.default({
      level: 'info',
      console: 'pretty',
      file: true,
      maxFileBytes: 20 * 1024 * 1024,
      maxFiles: 14,
    }),
    metrics: MetricsConfig.default({
      enabled: true,
      listen: '127.0.0.1:9464',
      healthSpoolPercent: 50,
      healthDeadLetterWindowMs: 300000,
    }),
    redaction: RedactionConfig.default({ names: [], patterns: [] }).describe(
      'Additions to the built-in table of credential names (README "Redaction").',
    ),
    timezone: z
      .string()
      .optional()
      .describe("Default time zone for inputs that need one; default: the host's zone."),
  })
  .superRefine((cfg, ctx) => {
    // The input id keys checkpoints and document ids: two inputs with one id would share (and clobber) them.
    const seen = new Map<string, number>();
    cfg.inputs.forEach((input, i) => {
      const first = seen.get(input.id);
      if (first === undefined) seen.set(input.id, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['inputs', i, 'id'],
          message: `duplicate input id '${input.id}' (also inputs[${first}].id): each input needs its own id, which keys its checkpoints and document ids`,
        });
    });
    // A checkpoint moves once a document is delivered; with nowhere to deliver, every record would be read,
    // acknowledged and lost. stdout only prints alerts, so it does not count.
    if (!cfg.outputs.elasticsearch && !cfg.outputs.file)
      ctx.addIssue({
        code: 'custom',
        path: ['outputs'],
        message:
          'no output stores documents: add outputs.elasticsearch (or set CASGUARD_ES_HOSTS) or outputs.file ' +
          '(a local NDJSON copy, e.g. `file: { path: ./data/out }`); outputs.stdout only prints alerts',
      });
  });
export type CasguardConfig = z.infer<typeof CasguardConfig>;
export type CasguardConfigInput = z.input<typeof CasguardConfig>;
