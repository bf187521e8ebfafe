// Kibana settings for `casguard setup` (data views, dashboards, detection rules). Own credentials: a SOC often
// gives the agent an Elasticsearch key that may only write documents, and installs Kibana content with another
// identity. Without credentials here, setup falls back to the Elasticsearch output's (as the Beats do).
// Credentials come from the environment (`${CASGUARD_KIBANA_API_KEY}`) and are never logged.

import { z } from 'zod';

/** `${VAR:-}` with the variable unset yields '': that means "not set", not an invalid empty secret. */
const optionalSecret = z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional());

const KibanaFields = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .describe('Kibana base URL, with its base path if it has one (https://kibana.example:5601).'),
  space: z
    .string()
    .regex(/^[a-z0-9_-]{1,1024}$/, 'a Kibana space id: lower-case letters, digits, _ and -')
    .default('default')
    .describe('Space the saved objects and rules go to; it must exist.'),
  apiKey: optionalSecret.describe('Base64 id:key API key (Authorization: ApiKey).'),
  username: optionalSecret,
  password: optionalSecret,
  tls: z
    .strictObject({
      caFile: z.string().min(1).optional().describe('PEM file of the CA that signed the Kibana certificate.'),
      verify: z.boolean().default(true).describe('Verify the server certificate.'),
    })
    .default({ verify: true }),
  requestTimeoutMs: z
    .number()
    .int()
    .min(1000)
    .default(120000)
    .describe('Per request; an import of many objects can take a while.'),
});

const pairedCredentials = {
  check: (c: { username?: string | undefined; password?: string | undefined }): boolean =>
    (c.username === undefined) === (c.password === undefined),
  message: { message: 'username and password go together' },
};

/** The `kibana` block of the config file; the URL may instead come from `casguard setup --kibana URL`. */
export const KibanaSettings = KibanaFields.extend({ url: KibanaFields.shape.url.optional() }).refine(
  pairedCredentials.check,
  pairedCredentials.message,
);
export type KibanaSettings = z.infer<typeof KibanaSettings>;

/** What setup connects with: the block plus the command line, URL required. */
export const KibanaConfig = KibanaFields.refine(pairedCredentials.check, pairedCredentials.message);
export type KibanaConfig = z.infer<typeof KibanaConfig>;
export type KibanaConfigInput = z.input<typeof KibanaConfig>;
