// What the engine reads from a document besides rule conditions, memoised per document because every rule that
// counts it asks again: its facet values (FacetReader), its device + log format signature, the server build it
// names; and the table of server builds learned per host, so an alert raised from documents that name no build
// (IIS lines) can take its host's build from any other document of that host (event 4999, mailbox log, HttpProxy).

import type { EcsDocument } from '../pipeline/document.types.js';
import { FacetReader, serverFactsOf, type ServerFacts } from './alert-document.js';
import { intern } from './facet-values.js';
import { fieldSlot, fieldString, readField, shortHost } from './condition.js';

const DEVICE_SLOT = fieldSlot('device.id');
const FORMAT_SLOT = fieldSlot('casguard.format');
const HOST_FACTS_LIMIT = 4096;

export class DocumentFacts {
  /** Short host name → the latest build facts learned for it (most recent last, bounded). */
  readonly hostFacts = new Map<string, ServerFacts>();
  readonly facets = new FacetReader();
  private signatureOf: EcsDocument | undefined;
  private device: string | undefined;
  private format = '';
  private pair: string | undefined;
  private serverOf: EcsDocument | undefined;
  private serverCache: ServerFacts | undefined;

  /** Facts learned for a host (any spelling: FQDN or short name). */
  readonly lookup = (h: string): ServerFacts | undefined => this.hostFacts.get(shortHost(h));

  /**
   * What tells this document's device and log format apart within a key's period (AlertLifecycle samples facet
   * values once per value): device.id + casguard.format, or just the format when the key is the device itself
   * (a device-keyed rule: no per-key copy of the device id). Undefined for a document naming no device.
   */
  sampleKey(doc: EcsDocument, key: string): string | undefined {
    if (this.signatureOf !== doc) {
      this.signatureOf = doc;
      const device = readField(doc, DEVICE_SLOT);
      const format = readField(doc, FORMAT_SLOT);
      this.device = typeof device === 'string' ? device : undefined;
      this.format = typeof format === 'string' ? format : '';
      this.pair = undefined;
    }
    const device = this.device;
    if (device === undefined) return undefined;
    if (device === key) return this.format;
    // Built once per document, whatever the number of rules that ask (a host-keyed rule sees many devices).
    return (this.pair ??= `${device}\u001f${this.format}`);
  }

  server(doc: EcsDocument): ServerFacts | undefined {
    if (this.serverOf !== doc) {
      this.serverOf = doc;
      const f = serverFactsOf(doc);
      // Kept by keys and the host table: copies, not slices of the record's text.
      if (f) for (const k of Object.keys(f) as (keyof ServerFacts)[]) f[k] = intern(f[k]!);
      this.serverCache = f;
    }
    return this.serverCache;
  }

  learnHost(doc: EcsDocument): void {
    const facts = this.server(doc);
    if (!facts) return;
    const host = fieldString(doc, ['host', 'name']);
    if (host === undefined) return;
    const h = intern(shortHost(host));
    this.hostFacts.delete(h);
    this.hostFacts.set(h, facts);
    if (this.hostFacts.size > HOST_FACTS_LIMIT) this.hostFacts.delete(this.hostFacts.keys().next().value!);
  }
}
