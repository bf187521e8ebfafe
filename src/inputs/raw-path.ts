// File names that are not valid UTF-8 (Linux allows any bytes but `/` and NUL). The agent's paths are strings; a
// name's bytes that do not decode are kept in the string as lone low surrogates U+DC80-U+DCFF, one per byte (the
// "surrogateescape" of Python's PEP 383). A decoded UTF-8 name never holds a lone surrogate, so the string names
// exactly one file, round-trips through JSON (the registry writes it as `\udcNN`), and matches globs like any
// other. Before a path reaches the file system it is turned back into its bytes (`fsPath`); documents get a
// readable form with U+FFFD for each bad byte (`documentPath`, what Filebeat's JSON shows for such a name), the
// agent's own log and metrics the bytes as `\xNN` (telemetry/path-text.ts).

/** An escaped byte: a low surrogate U+DC80-U+DCFF not preceded by a high one (which would make it a character). */
const LONE_ESCAPE = /(?<![\ud800-\udbff])[\udc80-\udcff]/;
const LONE_ESCAPES = /(?<![\ud800-\udbff])[\udc80-\udcff]/g;

/** A file name read as bytes: its text, with each byte that is not part of valid UTF-8 escaped. */
export function nameText(name: Buffer): string {
  const text = name.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(name)) return text; // valid UTF-8

  let out = '';
  let i = 0;
  while (i < name.length) {
    const len = sequenceLength(name, i);
    if (len > 0) {
      out += name.toString('utf8', i, i + len);
      i += len;
    } else {
      out += String.fromCharCode(0xdc00 + name[i]!);
      i += 1;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence at `i`, or 0 if the byte there does not start one. */
function sequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  let len: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) len = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c === 0xe0) lo = 0xa0; // no overlong forms
    if (c === 0xed) hi = 0x9f; // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f; // nothing above U+10FFFF
  } else return 0;
  if (i + len > b.length) return 0;
  const second = b[i + 1]!;
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < len; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  return len;
}

/** Whether a path holds escaped bytes (a name that is not valid UTF-8). */
export function hasRawBytes(p: string): boolean {
  return LONE_ESCAPE.test(p);
}

/** What to hand the file system: the path's bytes when it holds escaped ones, else the path itself. */
export function fsPath(p: string): string | Buffer {
  if (!LONE_ESCAPE.test(p)) return p;
  const parts: Buffer[] = [];
  let run = '';
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c >= 0xdc80 && c <= 0xdcff) {
      // Lone: a low surrogate after a high one was taken with it below.
      if (run) parts.push(Buffer.from(run, 'utf8'));
      run = '';
      parts.push(Buffer.of(c - 0xdc00));
      continue;
    }
    // A high surrogate followed by a low one is one character (an emoji), kept together.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < p.length) {
      run += p.slice(i, i + 2);
      i += 1;
      continue;
    }
    run += p[i];
  }
  if (run) parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

/** The path as documents show it (`log.file.path`): each escaped byte as U+FFFD. */
export function documentPath(p: string): string {
  return LONE_ESCAPE.test(p) ? p.replace(LONE_ESCAPES, '\ufffd') : p;
}
