import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathText } from '../telemetry/path-text.js';
import { documentPath, fsPath, hasRawBytes, nameText } from './raw-path.js';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('raw paths (file names that are not valid UTF-8)', () => {
  it('keeps a valid UTF-8 name as its text, emoji and U+FFFD included', () => {
    for (const name of ['u_ex130919.log', 'été-😀.log', 'x\ufffd.log', '\u{1F080}.log']) {
      const b = Buffer.from(name, 'utf8');
      assert.equal(nameText(b), name);
      assert.equal(hasRawBytes(name), false, name);
      assert.equal(fsPath(name), name);
      assert.equal(documentPath(name), name);
      assert.equal(pathText(name), name);
    }
  });

  it('escapes each byte that is not part of valid UTF-8 and gives the same bytes back', () => {
    const cases = [
      bytes('u_ex', [0xe9], '.log'), // Latin-1
      bytes([0xff, 0xfe], 'é', [0x80]), // stray bytes around a valid character
      bytes('a', [0xc3], 'b'), // a truncated sequence
      bytes([0xed, 0xa0, 0x80], '.log'), // an encoded surrogate (not valid UTF-8)
      bytes([0xc0, 0xaf]), // an overlong '/'
      bytes('😀', [0xf0, 0x9f, 0x98]), // a valid emoji, then a cut one
    ];
    for (const b of cases) {
      const text = nameText(b);
      assert.ok(hasRawBytes(text), b.toString('hex'));
      assert.deepEqual(fsPath(text), b, b.toString('hex'));
      assert.deepEqual(fsPath(`/var/log/${text}`), Buffer.concat([Buffer.from('/var/log/'), b]));
      assert.ok(!hasRawBytes(documentPath(text)), '!hasRawBytes(documentPath(text))');
      assert.equal(JSON.parse(JSON.stringify(text)), text, 'survives the registry (JSON)');
    }
    assert.equal(documentPath(nameText(bytes('u_ex', [0xe9], '.log'))), 'u_ex\ufffd.log');
    assert.equal(pathText(nameText(bytes('u_ex', [0xe9, 0xe8], '.log'))), 'u_ex\\xe9\\xe8.log');
    assert.notEqual(nameText(bytes('u_ex', [0xe9], '.log')), nameText(bytes('u_ex', [0xe8], '.log')));
  });
});
