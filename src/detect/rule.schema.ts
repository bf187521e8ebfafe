// Detection rules are data: YAML files validated with this zod schema (unknown keys rejected). A rule has
// exactly one of `match` (a single document), `threshold` (at least N matching documents with the same key in
// an event-time window) or `sequence` (document A and N documents B with the same key within a window, across
// sources), plus optional suppression (one alert per key per period, updated as events arrive) and a message
// template. The same parsed rule drives the local engine and the Kibana / TOML / Sigma exporters, so every
// construct here must have a translation there (see export/*.ts).

import { z } from 'zod';

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parse `500ms`, `30s`, `10m`, `1h`, `7d` to milliseconds (undefined when malformed). */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export const Duration = z
  .string()
  .refine((s) => (parseDuration(s) ?? 0) > 0, { message: 'expected a duration such as 30s, 10m, 1h, 7d' })
  .describe('Event-time duration: <n>ms|s|m|h|d.');

type Scalar = string | number | boolean;
const ScalarValue = z.union([z.string(), z.number(), z.boolean()]);

/** One test on one field. Exactly one operator key. */
export type LeafCondition = {
  field: string;
  ignore_case?: boolean | undefined;
} & (
  | { equals: Scalar }
  | { one_of: Scalar[] }
  | { contains: string }
  | { prefix: string }
  | { regex: string }
  | { exists: boolean }
  | { gt: number }
  | { gte: number }
  | { lt: number }
  | { lte: number }
);

export type Condition = LeafCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };

const FieldName = z
  .string()
  .regex(/^[@A-Za-z_][A-Za-z0-9_@.-]*$/, 'expected a dotted field name such as host.name');

const leafBase = { field: FieldName, ignore_case: z.boolean().optional() };
const Leaf = z.union([
  z.strictObject({ ...leafBase, equals: ScalarValue }),
  z.strictObject({ ...leafBase, one_of: z.array(ScalarValue).min(1) }),
  z.strictObject({ ...leafBase, contains: z.string().min(1) }),
  z.strictObject({ ...leafBase, prefix: z.string().min(1) }),
  z.strictObject({
    ...leafBase,
    regex: z.string().refine(
      (s) => {
        try {
          new RegExp(s);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'invalid regular expression' },
    ),
  }),
  z.strictObject({ ...leafBase, exists: z.boolean() }),
  z.strictObject({ ...leafBase, gt: z.number() }),
  z.strictObject({ ...leafBase, gte: z.number() }),
  z.strictObject({ ...leafBase, lt: z.number() }),
  z.strictObject({ ...leafBase, lte: z.number() }),
]);

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    Leaf,
    z.strictObject({ all: z.array(ConditionSchema).min(1) }),
    z.strictObject({ any: z.array(ConditionSchema).min(1) }),
    z.strictObject({ not: ConditionSchema }),
  ]),
) as z.ZodType<Condition>;

/** A key field, optionally normalised (EAS logs name the short host, Windows events the FQDN). */
export const KeyField = z.union([
  FieldName,
  z.strictObject({
    field: FieldName,
    normalize: z.enum(['lower', 'short_host']).optional(),
    fallback: z
      .array(FieldName)
      .optional()
      .describe('Fields tried in order when `field` is absent (e.g. observer.hostname for host.name).'),
  }),
]);
export type KeyField = z.infer<typeof KeyField>;

export const Step = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected snake_case'),
  where: ConditionSchema,
  count: z.number().int().min(1).default(1).describe('How many documents of this step are needed.'),
});
export type Step = z.infer<typeof Step>;

export const Suppression = z.strictObject({
  by: z.array(KeyField).optional().describe('Key fields; default: the threshold/sequence key.'),
  period: Duration.default('1h').describe('One alert per key per period, starting at the first alert.'),
  update_every_events: z
    .number()
    .int()
    .min(1)
    .default(500)
    .describe('Emit an updated alert after this many more events.'),
  update_every: Duration.default('5m').describe('... or after this much event time, whichever first.'),
});
export type Suppression = z.infer<typeof Suppression>;

const Severity = z.enum(['informational', 'low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof Severity>;

export const RuleSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{2,80}$/, 'expected a lower-case slug'),
    uuid: z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'expected a UUID v4')
      .describe('Stable id for Kibana rule_id and Sigma id; never change it.'),
    name: z.string().min(1).max(256),
    description: z.string().min(1),
    severity: Severity,
    risk_score: z.number().int().min(0).max(100).optional(),
    version: z.number().int().min(1).default(1),
    date: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12]\d|3[01])$/, 'expected YYYY-MM-DD')
      .default('2026-11-26')
      .describe('Creation date, for the TOML metadata and Sigma.'),
    ruleset: z.string().default('casguard'),
    category: z.string().optional(),
    author: z.array(z.string()).default(['casguard']),
    references: z.array(z.url()).min(1),
    tags: z.array(z.string()).default([]),
    false_positives: z.array(z.string()).default([]),
    /** Where the SOC's copy of the rule searches; derived from the datasets the rule reads when absent. */
    index: z.array(z.string()).optional(),
    enabled: z.boolean().default(true),
    match: ConditionSchema.optional(),
    threshold: z
      .strictObject({
        where: ConditionSchema,
        by: z.array(KeyField).min(1).max(5),
        count: z.number().int().min(1),
        window: Duration,
      })
      .optional(),
    sequence: z
      .strictObject({
        by: z.array(KeyField).min(1).max(5),
        window: Duration,
        ordered: z
          .boolean()
          .default(true)
          .describe('true: A then B; false: A and B in either order within the window.'),
        steps: z.array(Step).length(2),
      })
      .optional(),
    suppression: Suppression.optional(),
    message: z.string().min(1).describe('Template: {{dotted.field}} of the alert document.'),
    note: z.string().optional().describe('Markdown triage guide for the SOC (Kibana note).'),
  })
  .superRefine((r, ctx) => {
    const kinds = [r.match, r.threshold, r.sequence].filter((x) => x !== undefined).length;
    if (kinds !== 1)
      ctx.addIssue({
        code: 'custom',
        message: 'a rule needs exactly one of match, threshold or sequence',
        path: [],
      });
    if (r.sequence && r.sequence.steps[0]!.name === r.sequence.steps[1]!.name)
      ctx.addIssue({ code: 'custom', message: 'step names must differ', path: ['sequence', 'steps'] });
    if (r.sequence && r.sequence.steps[0]!.count !== 1)
      ctx.addIssue({
        code: 'custom',
        message: 'the first step matches one document (count 1); count the second step instead',
        path: ['sequence', 'steps', 0, 'count'],
      });
    if (r.suppression?.by && !r.match)
      ctx.addIssue({
        code: 'custom',
        message: 'suppression.by is for match rules; threshold and sequence alerts use their own key',
        path: ['suppression', 'by'],
      });
  });

export type Rule = z.infer<typeof RuleSchema>;
export type RuleInput = z.input<typeof RuleSchema>;

export function ruleKind(rule: Rule): 'match' | 'threshold' | 'sequence' {
  if (rule.threshold) return 'threshold';
  if (rule.sequence) return 'sequence';
  return 'match';
}

export function keyFieldName(k: KeyField): string {
  return typeof k === 'string' ? k : k.field;
}

/** Key fields of the alert: suppression.by, else the threshold/sequence key, else none (one alert per doc). */
export function alertKeyFields(rule: Rule): KeyField[] {
  return rule.suppression?.by ?? rule.threshold?.by ?? rule.sequence?.by ?? [];
}

export const SEVERITY_RISK: Record<Severity, number> = {
  informational: 21,
  low: 21,
  medium: 47,
  high: 73,
  critical: 99,
};
export const SEVERITY_LEVEL: Record<Severity, number> = {
  informational: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};

export function riskScore(rule: Rule): number {
  return rule.risk_score ?? SEVERITY_RISK[rule.severity];
}
