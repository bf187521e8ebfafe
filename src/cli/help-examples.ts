// The "Examples:" block every command's --help ends with (as `git`, `curl` and the Beats print them).

/** Help text for commander's `addHelpText('after', ...)`: a blank line, "Examples:", one example per line. */
export function examples(lines: readonly string[]): string {
  return ['', 'Examples:', ...lines.map((l) => `  ${l}`)].join('\n');
}
