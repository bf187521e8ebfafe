// Secrets never reach documents, alerts, dead letters, logs or printed lines. This module is the door every
// caller uses: the redactor compiled from the credential table (redaction/credential-names.ts) plus the site's
// `redaction:` additions. The CLI installs the site's redactor once, right after loading the configuration
// and before any pipeline, output or log line exists; until then (tests, tools) the built-in table applies.
// The redactor is a table like the enrichers' lookup tables: stages stay pure functions of their input plus it.

import { compileRedactor, REDACTED, type Redactor } from './redaction/redactor.js';
import type { RedactionConfig } from './redaction/redaction.config.js';
import type { Carrier } from './redaction/credential-names.js';
import type { EcsDocument, ShippableDocument } from './document.types.js';

export { REDACTED };
export type { Redactor };

const builtIn = compileRedactor();
let active: Redactor = builtIn;

/** Installs the site's additions (config `redaction:`); an empty or absent block restores the built-in table. */
export function installRedaction(cfg: Partial<RedactionConfig> | undefined): void {
  const empty = (cfg?.names?.length ?? 0) === 0 && (cfg?.patterns?.length ?? 0) === 0;
  active = empty ? builtIn : compileRedactor(cfg);
}

/** The redactor in force. */
export function activeRedactor(): Redactor {
  return active;
}

/** Redact secrets in free text (a raw record, a header block, an error message, a log line). */
export function redactText(text: string): string {
  return active.text(text);
}

/** Whether the text holds anything the redactor could act on (a substring of clean text is clean too). */
export function needsRedaction(text: string): boolean {
  return active.triggered(text);
}

/** Redact every string of a document in place (values under credential keys as a whole). */
export function redactDocument(doc: EcsDocument): void {
  active.document(doc);
}

/** The same for a document about to be shipped (an alert built outside the processor). */
export function redactShippable(doc: ShippableDocument): ShippableDocument {
  active.document(doc.doc);
  return doc;
}

/** Whether a name is a credential in the given carrier (`header`: its whole value goes). */
export function isCredentialName(name: string, carrier: Carrier): boolean {
  return active.isCredentialName(name, carrier);
}

/** Whether a header's value must be redacted. */
export function isSecretHeader(name: string): boolean {
  return active.isCredentialName(name, 'header');
}

/**
 * A URL fit to print: the password of its user info replaced (`https://elastic:[REDACTED]@es:9200/`), and any
 * credential in its query too. Used wherever the agent prints a host it was configured with.
 */
export function maskUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(url);
  let out = url;
  if (m !== null) {
    const info = m[2]!;
    const colon = info.indexOf(':');
    if (colon >= 0) out = `${m[1]}${info.slice(0, colon)}:${REDACTED}@${url.slice(m[0].length)}`;
  }
  return redactText(out);
}
