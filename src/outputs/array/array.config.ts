// Array mode and the fleet view (issue 14): how the agents of one load-balanced CAS array share their alerts and
// report themselves through Elasticsearch. Effective only with the Elasticsearch output.

import { z } from 'zod';

export const ArrayConfig = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe(
      'Merge alerts array-wide in Elasticsearch (one alert per storm for every agent of the array) and write status documents.',
    ),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . -')
    .optional()
    .describe('The CAS array this agent belongs to; default: every agent writing to the same namespace.'),
  shareFraction: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.2)
    .describe(
      "A threshold rule's key is published from this fraction of its count on one agent (window count), so a storm spread over the array is counted in sum.",
    ),
  statusIntervalMs: z
    .number()
    .int()
    .min(1000)
    .default(60000)
    .describe('How often the agent writes its status document (also at start and stop).'),
});
export type ArrayConfig = z.infer<typeof ArrayConfig>;

export const ARRAY_DEFAULTS: ArrayConfig = { enabled: true, shareFraction: 0.2, statusIntervalMs: 60000 };

export function sharesIndexName(namespace: string): string {
  return `casguard-alert-shares-${namespace}`;
}
