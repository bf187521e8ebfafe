import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childText, parseEasXml, type XmlElement } from './eas-xml.js';

function tree(x: XmlElement | undefined | string): unknown {
  if (x === undefined || typeof x === 'string') return x;
  return { name: x.name, ns: x.ns, attrs: { ...x.attrs }, text: x.text, children: x.children.map(tree) };
}

describe('parseEasXml tag forms', () => {
  it('reads bare, self-closing and attributed tags, with namespaces inherited', () => {
    const x = parseEasXml(
      '<?xml version="1.0" ?>\r\n<Provision xmlns="Provision:">\r\n\t<Status>110</Status>\r\n\t<a.b-c:d_1/>\r\n\t<Data bytes="12"/>\r\n</Provision>',
    );
    assert.deepEqual(tree(x), {
      name: 'Provision',
      ns: 'Provision:',
      attrs: { xmlns: 'Provision:' },
      text: '',
      children: [
        { name: 'Status', ns: 'Provision:', attrs: {}, text: '110', children: [] },
        { name: 'a.b-c:d_1', ns: 'Provision:', attrs: {}, text: '', children: [] },
        { name: 'Data', ns: 'Provision:', attrs: { bytes: '12' }, text: '', children: [] },
      ],
    });
    assert.equal(childText(x as XmlElement, 'Status'), '110');
    assert.equal(childText(x as XmlElement, 'Data'), undefined);
  });
  it('keeps non-blank text between tags and rejects what is not XML', () => {
    assert.equal((parseEasXml('<A> x\u00a0</A>') as XmlElement).text, ' x\u00a0');
    assert.equal((parseEasXml('<A>\u00a0\r\n</A>') as XmlElement).text, '');
    assert.equal(parseEasXml('<A></B>'), 'unexpected </B> at character 3');
    // `</A/>` is not a bare tag: the regex reads it, as a closing tag.
    assert.deepEqual(tree(parseEasXml('<A></A/>')), {
      name: 'A',
      ns: undefined,
      attrs: {},
      text: '',
      children: [],
    });
    assert.equal(parseEasXml('<1A></1A>'), 'malformed tag at character 0');
    assert.equal(parseEasXml('<A><B></A>'), 'unexpected </A> at character 6');
  });
});
