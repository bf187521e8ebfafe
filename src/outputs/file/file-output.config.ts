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
    .default(256 * 1024 * 1024)
    .describe('Start a new events file beyond this size.'),
});
export type FileOutputConfig = z.infer<typeof FileOutputConfig>;
