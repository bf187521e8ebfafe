import { z } from 'zod';

export const DeadLetterConfig = z.strictObject({
  maxFileBytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024)
    .describe(
      'Largest size of a dead-letter file: dead-letter.ndjson is rotated (→ dead-letter-<time>.ndjson) before a line that would take it past this size (a larger line gets a file of its own).',
    ),
  maxFiles: z
    .number()
    .int()
    .min(1)
    .default(16)
    .describe(
      'Dead-letter files kept, the live one included; at the bound the oldest is deleted with an ERROR log line and casguard_files_deleted_at_bound_total{path="dead-letter"} (its records are lost).',
    ),
});
export type DeadLetterConfig = z.infer<typeof DeadLetterConfig>;
