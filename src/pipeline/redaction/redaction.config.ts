// `redaction:` settings: additions to the built-in table of credential names (credential-names.ts) and extra
// patterns. Nothing here can turn a built-in rule off: a site can only redact more.

import { z } from 'zod';

/** A name as written in the config: letters, digits, `_ . - $`, with an optional `*` at one end. */
const NAME_RE = /^\*?[A-Za-z0-9_.$-]+\*?$/;

const ExtraName = z
  .string()
  .regex(NAME_RE, "a name (letters, digits, _ . - $), optionally with '*' at its start or end")
  .refine((s) => !(s.startsWith('*') && s.endsWith('*')), {
    message: "'*' at one end only: 'corp_*' (prefix) or '*_pin' (suffix)",
  })
  .refine((s) => s.replace(/\*/g, '').length >= 3, { message: 'at least 3 characters besides *' });

/** Compiles a pattern the way the redactor will; the message is the engine's own. */
function patternProblem(source: string, ignoreCase: boolean): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(source, ignoreCase ? 'gi' : 'g');
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  if (re.test('')) return 'the pattern matches the empty string';
  return undefined;
}

const ExtraPattern = z
  .union([
    z.string().min(1),
    z.strictObject({
      pattern: z.string().min(1).describe('JavaScript regular expression.'),
      ignoreCase: z.boolean().default(false),
    }),
  ])
  .transform((p) => (typeof p === 'string' ? { pattern: p, ignoreCase: false } : p))
  .superRefine((p, ctx) => {
    const problem = patternProblem(p.pattern, p.ignoreCase);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `invalid pattern: ${problem}` });
  });

export const RedactionConfig = z.strictObject({
  names: z
    .array(ExtraName)
    .default([])
    .describe(
      "Extra credential names, redacted in every carrier (header, parameter, cookie, JSON, XML, event data, command-line flag). 'corp_*' = prefix, '*_pin' = suffix.",
    ),
  patterns: z
    .array(ExtraPattern)
    .default([])
    .describe(
      'Extra regular expressions (JavaScript syntax); the match, or only its named group `value`, becomes [REDACTED].',
    ),
});
export type RedactionConfig = z.infer<typeof RedactionConfig>;
export type RedactionConfigInput = z.input<typeof RedactionConfig>;
