// Configuration of one file input. Options are nouns with unit suffixes (STYLE.md rule 2).

import { z } from 'zod';

export const FileInputConfig = z.strictObject({
  id: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
      'an id of letters, digits, dot, dash or underscore (at most 64)',
    )
    .describe('Stable input id, used in checkpoints and document ids. Never rename it once shipping.'),
  format: z
    .string()
    .default('auto')
    .describe("A named format (see `casguard formats`) or 'auto' to recognise each file."),
  paths: z.array(z.string().min(1)).min(1).describe('Files or glob patterns (*, **, ?, [..]) to read.'),
  exclude: z.array(z.string().min(1)).default([]).describe('Glob patterns of files to skip.'),
  timezone: z
    .string()
    .optional()
    .describe(
      "Time zone assumed for logs whose times carry no offset (mailbox log); default: the agent host's zone.",
    ),
  easLogTokens: z
    .boolean()
    .default(false)
    .describe(
      'Also store every token of the EAS `&Log=` string under microsoft.exchange.activesync.log_tokens (a flattened map). The tokens casguard reads are mapped to named fields either way, and the others stay in microsoft.exchange.activesync.query_rest; the map makes documents about a quarter larger.',
    ),
  preserveOriginalEvent: z
    .boolean()
    .default(false)
    .describe(
      "Also store each record's text as event.original (Elastic's `preserve_original_event`). Every field is parsed out of it either way, so it is off by default: it makes an IIS document about a third larger. Dead letters always keep the raw record.",
    ),
  startAt: z
    .enum(['beginning', 'end'])
    .default('beginning')
    .describe(
      'Where to start in files that exist when the agent first sees them (end: after their last complete line). Files created later are always read from the beginning.',
    ),
  maxRecordBytes: z
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024)
    .describe('Longer records are cut and dead-lettered.'),
  pollIntervalMs: z
    .number()
    .int()
    .min(50)
    .default(1000)
    .describe('How often known files are checked for new data.'),
  rescanIntervalMs: z
    .number()
    .int()
    .min(100)
    .default(10000)
    .describe('How often the directories are rescanned for new files.'),
  closeIdleMs: z
    .number()
    .int()
    .min(100)
    .default(30000)
    .describe('Close a file handle after this long without new data.'),
  maxOpenFiles: z
    .number()
    .int()
    .min(1)
    .default(256)
    .describe(
      "Upper bound on file handles held at once. Lowered at start (with a warning) when the inputs' bounds together exceed the process's open-file limit (ulimit -n, LimitNOFILE) less 64 for the agent's own files.",
    ),
  ignoreOlderThanMs: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Skip files whose last write is older than this.'),
  usePolling: z.boolean().default(false).describe('Poll instead of native change events (network shares).'),
  watch: z
    .boolean()
    .default(true)
    .describe(
      'Use change notifications (chokidar) as hints. Off: rely on polling and rescans only; saves a watcher per file in very large trees.',
    ),
  fingerprintBytes: z
    .number()
    .int()
    .min(64)
    .max(65536)
    .default(4096)
    .describe(
      'Leading bytes hashed to identify a file (must cover the IIS #Date line). Never change it once shipping.',
    ),
  exportSettleMs: z
    .number()
    .int()
    .min(0)
    .default(2000)
    .describe(
      'Exports (mailbox log, XML, JSON, EVTX, whole files) are complete once unchanged this long: the last record is emitted.',
    ),
  partialLineFlushMs: z
    .number()
    .int()
    .min(0)
    .default(300000)
    .describe(
      'A last line without a line end is emitted after the file is unchanged this long (0: never while tailing).',
    ),
  checkpointFlushMs: z
    .number()
    .int()
    .min(50)
    .default(1000)
    .describe('How often acknowledged offsets are written to the registry.'),
  forgetAfterMs: z
    .number()
    .int()
    .min(60000)
    .default(7 * 24 * 3600 * 1000)
    .describe(
      'Checkpoints of files gone from disk are dropped after this long (the registry does not grow forever).',
    ),
  shutdownTimeoutMs: z
    .number()
    .int()
    .min(0)
    .default(3000)
    .describe(
      'On stop, how long to wait for in-flight documents before committing what is settled (inside the agent’s 4 s stop deadline).',
    ),
});
export type FileInputConfig = z.infer<typeof FileInputConfig>;
