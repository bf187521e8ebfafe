// Reads detection rules from a folder (`rules:` in the config): every *.yml / *.yaml file, sorted by name, parsed
// and validated by src/detect/rule-parse.ts. Problems come back as `file:line:col  path  message`, all of them at
// once. Without a folder the built-in KB 2851708 set is used (embedded, no disk access).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CasguardError } from '../pipeline/errors.js';
import { builtinRules } from '../detect/builtin-rules.js';
import {
  formatRuleProblem,
  parseRuleSources,
  type RuleProblem,
  type RuleSource,
} from '../detect/rule-parse.js';
import type { Rule } from '../detect/rule.schema.js';

export interface LoadedRules {
  readonly rules: Rule[];
  /** Where they came from: the folder, or 'built-in'. */
  readonly source: string;
}

export class RulesError extends CasguardError {
  constructor(readonly problems: readonly RuleProblem[]) {
    super('RULES_INVALID', problems.map(formatRuleProblem).join('\n'));
    this.name = 'RulesError';
  }
}

/** The rule files of a folder (not recursive), as sources with paths relative to the folder's parent. */
export function readRuleSources(dir: string): RuleSource[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new CasguardError('CONFIG_NOT_FOUND', `rules folder ${dir} cannot be read`, { cause: err });
  }
  return names
    .filter((n) => /\.ya?ml$/i.test(n))
    .sort()
    .map((n) => path.join(dir, n))
    .filter((p) => statSync(p).isFile())
    .map((p) => ({ file: p, text: readFileSync(p, 'utf8') }));
}

/** Rules of a folder, or the built-in set when `dir` is undefined. Throws RulesError listing every problem. */
export function loadRules(dir?: string): LoadedRules {
  if (dir === undefined) return { rules: builtinRules(), source: 'built-in' };
  const sources = readRuleSources(dir);
  const { rules, problems } = parseRuleSources(sources);
  if (problems.length > 0) throw new RulesError(problems);
  if (rules.length === 0)
    throw new RulesError([{ file: dir, path: '', message: 'no rules found (*.yml or *.yaml files)' }]);
  return { rules, source: dir };
}
