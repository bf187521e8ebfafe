// Wildcard patterns as Elasticsearch's Regex#simpleMatch and Automatons use them (`*` matches any sequence), with
// compiled patterns cached: index patterns, privilege action patterns, dynamic template matches.

const cache = new Map<string, RegExp>();

export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  let re = cache.get(pattern);
  if (!re) {
    re = new RegExp(
      '^' +
        pattern
          .split('*')
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*') +
        '$',
    );
    cache.set(pattern, re);
  }
  return re.test(value);
}

/**
 * Whether every string glob `inner` matches is matched by glob `outer` (automaton subset, for `*`-globs):
 * a `*` of `outer` may absorb any run of `inner`, a literal of `outer` only the same literal.
 */
export function globCovers(outer: string, inner: string): boolean {
  const memo = new Map<string, boolean>();
  const f = (i: number, j: number): boolean => {
    const key = `${i}:${j}`;
    const m = memo.get(key);
    if (m !== undefined) return m;
    let r: boolean;
    if (i === outer.length) r = j === inner.length;
    else if (outer[i] === '*') r = f(i + 1, j) || (j < inner.length && f(i, j + 1));
    else r = j < inner.length && inner[j] !== '*' && outer[i] === inner[j] && f(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return f(0, 0);
}
