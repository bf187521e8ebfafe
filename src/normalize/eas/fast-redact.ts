// redactText, made cheap for the hot path. One case-insensitive scan finds every word that can trigger one of
// redactText's rules (header names, credential query keys, auth schemes, `scheme://user:pass@`); text without any
// is returned as is. Otherwise only the lines around each trigger go through redactText: every rule of
// src/pipeline/redact.ts matches within one line, except `Basic <token>`, whose whitespace may run over blank
// lines to the token, so a range reaches to the end of the next non-blank line. The result equals
// redactText(text) (the fuzz test compares both on every mutated record); the trigger list must stay a superset
// of redact.ts's trigger words.

import { redactText } from '../../pipeline/redact.js';

// The words pass|pwd|token|auth|cookie|api_?key|secret|sig|basic|bearer|negotiate|ntlm|:// grouped by first
// letter: the same matches, and the regex engine rejects most positions after one character (measurably faster
// on 2 KB mailbox-log entries).
const TRIGGER_SOURCE =
  'p(?:ass|wd)|token|a(?:uth|pi_?key)|cookie|s(?:ecret|ig)|b(?:asic|earer)|n(?:egotiate|tlm)|:\\/\\/';
const TRIGGERS = new RegExp(TRIGGER_SOURCE, 'i');
const TRIGGERS_G = new RegExp(TRIGGER_SOURCE, 'gi');

const TERMINATOR = /[\n\r\u2028\u2029]/g;

/** Start of the line holding `i`, searching back no further than `floor` (native scans, no char loop). */
function lineStart(text: string, i: number, floor: number): number {
  if (i <= floor) return floor;
  const p = Math.max(
    text.lastIndexOf('\n', i - 1),
    text.lastIndexOf('\r', i - 1),
    text.lastIndexOf('\u2028', i - 1),
    text.lastIndexOf('\u2029', i - 1),
  );
  return Math.max(p + 1, floor);
}

/** Index of the line terminator ending the line that holds `i` (or the text length). */
function lineEnd(text: string, i: number): number {
  TERMINATOR.lastIndex = i;
  const m = TERMINATOR.exec(text);
  return m === null ? text.length : m.index;
}

const NON_SPACE = /\S/g;

/** From a line end: past any blank (whitespace-only, as `\s` sees it) lines to the end of the next non-blank line. */
function throughNextContent(text: string, end: number): number {
  NON_SPACE.lastIndex = end;
  const m = NON_SPACE.exec(text);
  return m === null ? text.length : lineEnd(text, m.index);
}

/** Whether `text` holds any word redactText acts on (a substring of clean text is clean too). */
export function needsRedaction(text: string): boolean {
  return TRIGGERS.test(text);
}

export function redactFast(text: string): string {
  return redactIfTriggered(text) ?? text;
}

/**
 * redactText(text) when `text` holds a trigger word, null when it holds none (so a caller learns both the
 * redacted text and whether the record's derived strings need redacting from one scan).
 */
export function redactIfTriggered(text: string): string | null {
  TRIGGERS_G.lastIndex = 0;
  let m = TRIGGERS_G.exec(text);
  if (m === null) return null;
  let out = '';
  let copied = 0;
  while (m !== null) {
    const a = lineStart(text, m.index, copied);
    let b = throughNextContent(text, lineEnd(text, m.index + m[0].length));
    // Merge every further trigger inside this range (its own line may reach further: `Basic` at the end of the
    // next line with the token after it).
    TRIGGERS_G.lastIndex = m.index + m[0].length;
    let next = TRIGGERS_G.exec(text);
    while (next !== null && next.index < b) {
      b = Math.max(b, throughNextContent(text, lineEnd(text, next.index + next[0].length)));
      TRIGGERS_G.lastIndex = next.index + next[0].length;
      next = TRIGGERS_G.exec(text);
    }
    out += text.slice(copied, a) + redactText(text.slice(a, b));
    copied = b;
    m = next;
  }
  return out + text.slice(copied);
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * Redact every string in a finished document except `skip` (event.original, already redacted). Called only when
 * the raw record held a trigger word, so clean records pay nothing; values derived from a record (decoded query
 * tokens, headers, referrers, exception messages) can then never carry a secret the raw text had.
 */
export function redactDocumentStrings(value: { [key: string]: Json | undefined }, skip?: string): void {
  // One trigger scan over all strings joined by `\n` (no trigger contains a line break, so none spans two
  // strings) instead of one regex call per string; only the strings a match falls into go through redactFast.
  // Usually none does even when the raw record held a trigger (an Authorization header the normalizer dropped).
  const all: string[] = [];
  collectStrings(value, skip, all);
  const joined = all.join('\n');
  TRIGGERS_G.lastIndex = 0;
  let m = TRIGGERS_G.exec(joined);
  if (m === null) return;
  const flagged = new Uint8Array(all.length);
  let idx = 0;
  let end = all[0]!.length;
  while (m !== null) {
    while (m.index >= end) {
      idx++;
      end += 1 + all[idx]!.length;
    }
    flagged[idx] = 1;
    // The rest of this string is redactFast's business: continue with the next one.
    TRIGGERS_G.lastIndex = end + 1;
    m = TRIGGERS_G.exec(joined);
  }
  redactFlagged(value, skip, flagged, { next: 0 });
}

type Doc = { [key: string]: Json | undefined };

/** Every string redactDocumentStrings covers, in walk order (redactFlagged walks the same order). */
function collectStrings(value: Doc, skip: string | undefined, out: string[]): void {
  for (const key in value) {
    const v = value[key];
    if (v === undefined || v === null || key === skip) continue;
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        if (typeof x === 'string') out.push(x);
        else if (x !== null && typeof x === 'object' && !Array.isArray(x)) collectStrings(x, undefined, out);
      }
    } else if (typeof v === 'object') {
      collectStrings(v, key === 'event' ? 'original' : undefined, out);
    }
  }
}

function redactFlagged(
  value: Doc,
  skip: string | undefined,
  flagged: Uint8Array,
  at: { next: number },
): void {
  for (const key in value) {
    const v = value[key];
    if (v === undefined || v === null || key === skip) continue;
    if (typeof v === 'string') {
      if (flagged[at.next++] === 1) {
        const r = redactFast(v);
        if (r !== v) value[key] = r;
      }
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        if (typeof x === 'string') {
          if (flagged[at.next++] === 1) v[i] = redactFast(x);
        } else if (x !== null && typeof x === 'object' && !Array.isArray(x))
          redactFlagged(x, undefined, flagged, at);
      }
    } else if (typeof v === 'object') {
      redactFlagged(v, key === 'event' ? 'original' : undefined, flagged, at);
    }
  }
}
