// Issue 16: an EAS document does not store its query whole (url.query) beside the fields parsed out of it; what
// no field holds is kept in microsoft.exchange.activesync.query_rest. This checks, on every IIS golden line, that
// nothing of the query is lost: each parameter and each `&Log=` token is either still in query_rest, as written,
// or its decoded value is a value of the document.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { urlDecode } from '../../../src/parsers/eas/eas-query.js';
import { protocolVersionOf, splitToken } from '../../../src/parsers/eas/log-tokens.js';
import { frameLines } from './eas-test-framing.js';
import { GOLDEN_DIR, GOLDEN_SETS, goldenInputs, runGolden } from './golden-sets.js';

type Doc = Record<string, unknown>;

function leaves(o: unknown, out: Set<string>): Set<string> {
  if (o !== null && typeof o === 'object') for (const v of Object.values(o)) leaves(v, out);
  else if (typeof o === 'string' || typeof o === 'number') out.add(String(o));
  return out;
}

/** cs-uri-query of each data line by byte offset, read with the `#Fields` layout in effect. */
function queriesByOffset(file: string): Map<number, string> {
  const out = new Map<number, string>();
  let col = -1;
  const records = frameLines(readFileSync(file), { inputId: 'golden', path: file, fingerprint: 'golden' });
  for (const r of records) {
    const text = r.text.replace(/\r$/, '');
    if (text.startsWith('#Fields:')) col = text.slice(8).trim().split(' ').indexOf('cs-uri-query');
    else if (!text.startsWith('#') && col >= 0) {
      const q = text.split(' ')[col];
      if (q !== undefined && q !== '-') out.set(r.offset, q);
    }
  }
  return out;
}

const iis = GOLDEN_SETS.find((s) => s.dir === 'iis')!;

describe('EAS query: no parameter or token lost (IIS golden files)', () => {
  let checked = 0;
  for (const file of goldenInputs(iis)) {
    it(`${file}: every part of the query is in query_rest or in a field`, () => {
      const queries = queriesByOffset(path.join(GOLDEN_DIR, 'iis', file));
      for (const d of runGolden(iis, file).documents as { doc: Doc }[]) {
        const doc = d.doc;
        const as = ((doc['microsoft'] as Doc | undefined)?.['exchange'] as Doc | undefined)?.[
          'activesync'
        ] as Doc | undefined;
        const query = queries.get((doc['log'] as Doc)['offset'] as number);
        if (as === undefined || query === undefined) continue;
        assert.equal(
          (doc['url'] as Doc | undefined)?.['query'],
          undefined,
          'url.query is not stored for EAS',
        );
        const rest = typeof as['query_rest'] === 'string' ? as['query_rest'] : '';
        const restParts = rest.split('&');
        const restTokens = (restParts.find((p) => p.startsWith('Log=')) ?? '').slice(4).split('_');
        const values = leaves(doc, new Set());
        for (const part of query.split('&')) {
          if (part.length === 0) continue;
          if (part.startsWith('Log=')) {
            for (const tok of part.slice(4).split('_')) {
              if (tok.length === 0 || restTokens.includes(tok)) continue;
              const [name, raw] = splitToken(tok) ?? ['', tok];
              const v = urlDecode(raw);
              const ok =
                values.has(v) ||
                values.has(protocolVersionOf(v) ?? '\0') ||
                (name === 'As' && [...values].some((x) => v.startsWith(x) && x.length >= v.length - 1));
              assert.ok(ok, `${file} @${String((doc['log'] as Doc)['offset'])}: token ${tok} is lost`);
              checked++;
            }
            continue;
          }
          if (restParts.includes(part)) continue;
          const raw = part.slice(part.indexOf('=') + 1);
          const v = urlDecode(raw).replace(/;$/, '');
          assert.ok(values.has(v), `${file}: parameter ${part} is lost`);
          checked++;
        }
      }
    });
  }
  it('checked parts of real queries', () => assert.ok(checked > 50, `only ${checked} parts checked`));
});
