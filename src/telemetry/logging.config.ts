import { z } from 'zod';

export const LoggingConfig = z.strictObject({
  level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  console: z
    .enum(['pretty', 'json', 'off'])
    .default('pretty')
    .describe("Console format; use 'off' or 'json' under a service manager."),
  file: z.boolean().default(true).describe('JSON lines under <dataDir>/logs, rotated daily and by size.'),
  maxFileBytes: z
    .number()
    .int()
    .min(1024)
    .default(20 * 1024 * 1024),
  maxFiles: z.number().int().min(1).default(14),
});
export type LoggingConfig = z.infer<typeof LoggingConfig>;
