// How the agent's own log lines and metric labels show a path whose file name is not valid UTF-8 (the inputs keep
// each byte that does not decode as a lone low surrogate U+DC80-U+DCFF, see inputs/raw-path.ts): the byte as
// `\xNN`, so an operator can find the file (`ls -b` shows the same), and two such names never show alike.

const LONE_ESCAPES = /(?<![\ud800-\udbff])[\udc80-\udcff]/g;

export function pathText(p: string): string {
  LONE_ESCAPES.lastIndex = 0;
  if (!LONE_ESCAPES.test(p)) return p;
  return p.replace(LONE_ESCAPES, (c) => `\\x${(c.charCodeAt(0) - 0xdc00).toString(16).padStart(2, '0')}`);
}
