import { z } from 'zod';

export const DeadLetterConfig = z.strictObject({
  maxFileBytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024)
    .describe('Rotate dead-letter.ndjson (→ dead-letter-<time>.ndjson) once it reaches this size.'),
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
