// Parser state (e.g. the IIS `#Fields` in force) is stored with the checkpoint it belongs to, so it is looked at
// after every record. Parsers hand back the same inner objects until their state really changes, so a shallow
// comparison comes first and the JSON serialisation runs only on changes, not per record.

/** Same keys holding the same values (by identity); not recursive. */
export function shallowEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && ra[k] === rb[k]);
}

/** Follows one parser's state: says when it changed, with its JSON. */
export class StateWatch {
  private last: unknown;
  private lastJson: string | undefined;

  constructor(initial: unknown) {
    this.last = initial;
    this.lastJson = JSON.stringify(initial);
  }

  /** The state's JSON when it differs from the last one seen (`{ json: undefined }` for no state), else undefined. */
  changed(state: unknown): { json: string | undefined } | undefined {
    if (shallowEqual(state, this.last)) return undefined;
    this.last = state;
    const json = JSON.stringify(state);
    if (json === this.lastJson) return undefined;
    this.lastJson = json;
    return { json };
  }

  /** The JSON of the last state seen. */
  get json(): string | undefined {
    return this.lastJson;
  }
}
