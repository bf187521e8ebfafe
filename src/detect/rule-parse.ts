// Rule YAML text → validated rules, with every problem reported as `file:line:col  path  message` so a rule
// author fixes them all in one pass. Pure (no disk): src/config/rules-loader.ts reads the files, the built-in
// set embeds the same text (builtin-rules.generated.ts), so both go through exactly this validation.

import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
import { RuleSchema, type Rule } from './rule.schema.js';

export interface RuleProblem {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** Dotted key path inside the rule (`threshold.count`), '' for the rule as a whole. */
  readonly path: string;
  readonly message: string;
}

export interface RuleSource {
  readonly file: string;
  readonly text: string;
}

export interface ParsedRules {
  readonly rules: Rule[];
  readonly problems: RuleProblem[];
}

export function formatRuleProblem(p: RuleProblem): string {
  const pos = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return `${pos}  ${p.path === '' ? '(rule)' : p.path}  ${p.message}`;
}

/** Parse and validate one or more rule files (a file may hold several rules separated by `---`). */
export function parseRuleSources(sources: readonly RuleSource[]): ParsedRules {
  const rules: Rule[] = [];
  const problems: RuleProblem[] = [];
  const seen = new Map<string, string>();
  for (const src of sources) {
    const lc = new LineCounter();
    const docs = parseAllDocuments(src.text, { lineCounter: lc, prettyErrors: false });
    if (!Array.isArray(docs)) {
      problems.push({ file: src.file, path: '', message: 'not a YAML document' });
      continue;
    }
    for (const doc of docs) {
      if (doc.errors.length > 0) {
        for (const e of doc.errors) {
          const pos = lc.linePos(e.pos[0]);
          problems.push({
            file: src.file,
            line: pos.line,
            column: pos.col,
            path: '',
            message: e.message.split('\n')[0]!,
          });
        }
        continue;
      }
      if (doc.contents === null) continue;
      const result = RuleSchema.safeParse(doc.toJS());
      if (!result.success) {
        for (const issue of result.error.issues) {
          const where = locate(doc, lc, issue.path);
          problems.push({
            file: src.file,
            ...(where ?? {}),
            path: issue.path.map(String).join('.'),
            message: issue.message,
          });
        }
        continue;
      }
      const rule = result.data;
      const prior = seen.get(rule.id) ?? seen.get(rule.uuid);
      if (prior !== undefined) {
        const where = locate(doc, lc, ['id']);
        problems.push({
          file: src.file,
          ...(where ?? {}),
          path: 'id',
          message: `rule id or uuid already used in ${prior}`,
        });
        continue;
      }
      seen.set(rule.id, src.file);
      seen.set(rule.uuid, src.file);
      rules.push(rule);
    }
  }
  return { rules, problems };
}

function locate(
  doc: Document,
  lc: LineCounter,
  path: readonly PropertyKey[],
): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let best: { line: number; column: number } | undefined = rangeOf(node, lc);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      best = rangeOf(pair.key, lc) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      best = rangeOf(node, lc) ?? best;
    } else break;
  }
  return best;
}

function rangeOf(node: unknown, lc: LineCounter): { line: number; column: number } | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  if (!range) return undefined;
  const p = lc.linePos(range[0]);
  return { line: p.line, column: p.col };
}
