// Whether to colour what goes to a stream: only on a terminal, and never when the user said no
// (https://no-color.org: NO_COLOR set to anything non-empty; FORCE_COLOR=0 as Node and chalk read it; TERM=dumb).

export function colourWanted(
  stream: { isTTY?: boolean } | undefined,
  env: Record<string, string | undefined> = process.env,
): boolean {
  if (stream?.isTTY !== true) return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] === '0' || env['FORCE_COLOR'] === 'false') return false;
  if (env['TERM'] === 'dumb') return false;
  return true;
}
