// Checks every Windows export parser runs before looking at a record's text: bounded size, and no sign of
// binary data or a wrong text encoding (NUL characters, many U+FFFD replacement characters), so such
// records become a clear ParseFailure instead of a confusing field-level one.

import type { ParseFailure } from '../../pipeline/stages.types.js';

/** Longest record text any Windows export parser accepts (characters). */
export const MAX_RECORD_CHARS = 1024 * 1024;

// eslint-disable-next-line no-control-regex
const SUSPICIOUS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\uFFFD]/;

export function checkRecordText(
  text: string,
  formatName: string,
  maxChars = MAX_RECORD_CHARS,
): ParseFailure | undefined {
  if (text.length > maxChars) {
    return {
      kind: 'failure',
      code: `${formatName}.too_large`,
      reason: `record is ${text.length} characters, more than the limit of ${maxChars}`,
    };
  }
  // One scan for anything suspicious; the common clean record pays only for this test.
  if (!SUSPICIOUS.test(text)) return undefined;
  if (text.includes('\u0000')) {
    return {
      kind: 'failure',
      code: `${formatName}.encoding`,
      reason: 'record contains NUL characters: binary data or a wrong text encoding (UTF-16 read as UTF-8?)',
    };
  }
  // Control characters other than TAB/CR/LF do not occur in any Windows text export.
  // eslint-disable-next-line no-control-regex
  if (/[\u0001-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) {
    return {
      kind: 'failure',
      code: `${formatName}.encoding`,
      reason: 'record contains control characters: binary data or a wrong text encoding',
    };
  }
  let replacement = 0;
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) replacement++;
  if (replacement * 100 > text.length) {
    return {
      kind: 'failure',
      code: `${formatName}.encoding`,
      reason: `record has ${replacement} undecodable bytes: wrong text encoding or binary data`,
    };
  }
  return undefined;
}

export function failure(formatName: string, code: string, reason: string): ParseFailure {
  return { kind: 'failure', code: `${formatName}.${code}`, reason };
}
