// Parser states shared between checkpoints: thousands of IIS files of one site carry the same #Fields and
// #Software, so each distinct state (by its JSON text) is kept once, as its text and its parsed value, instead of
// once per file. Bounded: past the limit the table starts again (a miss only costs a parse).

const LIMIT = 4096;

export interface InternedState {
  readonly json: string;
  readonly value: unknown;
}

export class ParserStateIntern {
  private readonly table = new Map<string, InternedState>();

  /** The shared text and value of a state given as JSON text. Treat the value as read-only. */
  fromJson(json: string): InternedState {
    let hit = this.table.get(json);
    if (!hit) {
      if (this.table.size >= LIMIT) this.table.clear();
      hit = { json, value: JSON.parse(json) as unknown };
      this.table.set(json, hit);
    }
    return hit;
  }

  /** The shared text and value of a state given as a value (a checkpoint's, as loaded). */
  fromValue(value: unknown): InternedState {
    return this.fromJson(JSON.stringify(value) ?? 'null');
  }
}
