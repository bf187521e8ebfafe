import { z } from 'zod';

export const FileOutputConfig = z.strictObject({
  path: z
    .string()
    .min(1)
    .default('./data/out')
    .describe('Folder for NDJSON documents (events-*.ndjson) and alerts (alerts.ndjson).'),
  maxFileBytes: z
    .number()
    .int()
    .min(1024)
    .default(64 * 1024 * 1024)
    .describe(
      'Largest size of a stream file: `<stream>.ndjson` is rotated (→ `<stream>-<time>.ndjson`) before a line that would take it past this size (a larger line gets a file of its own).',
    ),
  maxFiles: z
    .number()
    .int()
    .min(1)
    .default(8)
    .describe(
      'Files kept per stream, the live one included; at the bound the oldest rotated file is deleted (the file output is a local copy, bounded to maxFileBytes × maxFiles per stream).',
    ),
});
export type FileOutputConfig = z.infer<typeof FileOutputConfig>;
