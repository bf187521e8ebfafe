// casguard's setup bodies (src/setup/cluster-assets.ts) typecheck against the request types of the client, which
// are generated from Elasticsearch's API specification (`estypes` of @elastic/elasticsearch): every body is written
// into a TypeScript program as an object literal `satisfies` its request type, so an unknown property, a wrong
// value type or a missing required field is a compiler error. The spec's types are looser than Elasticsearch's
// mappers (they allow `ignore_above` on every field type), which the test server checks itself
// (body-validation.test.ts); this test catches the rest and can fail (see the negative case).

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { clusterAssets } from '../../src/setup/cluster-assets.js';
import type { Asset } from '../../src/setup/cluster-assets.js';
import { defaultOwnFields } from '../../src/cli/commands/setup-command.js';

const REQUEST_TYPE: Record<Asset['kind'], string> = {
  ilm_policy: 'estypes.IlmPutLifecycleRequest',
  component_template: 'estypes.ClusterPutComponentTemplateRequest',
  index_template: 'estypes.IndicesPutIndexTemplateRequest',
  data_stream: 'estypes.IndicesCreateDataStreamRequest',
  index: 'estypes.IndicesCreateRequest',
};

function requestOf(a: Asset): Record<string, unknown> {
  switch (a.kind) {
    case 'data_stream':
      return { name: a.name, ...a.body };
    case 'index':
      return { index: a.name, ...a.body };
    default:
      return { name: a.name, ...a.body };
  }
}

/**
 * Diagnostics of a program made of one in-memory file (placed in this folder so node_modules resolve), each with
 * the index of the request whose literal it is in.
 */
function typecheck(requests: [string, Record<string, unknown>][]): { request: number; message: string }[] {
  const lines = ["import type { estypes } from '@elastic/elasticsearch';"];
  const starts: number[] = [];
  requests.forEach(([type, body], i) => {
    starts.push(lines.length);
    lines.push(...`export const r${i} = ${JSON.stringify(body, null, 1)} satisfies ${type};`.split('\n'));
  });
  const source = lines.join('\n');
  const file = path.resolve(import.meta.dirname, '__setup-bodies.typecheck.ts');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    path.resolve(name) === file
      ? ts.createSourceFile(name, source, lang)
      : getSourceFile(name, lang, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (path.resolve(name) === file ? source : readFile(name));
  const program = ts.createProgram({ rootNames: [file], options, host });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    let request = -1;
    starts.forEach((st, i) => {
      if (line >= st) request = i;
    });
    return { request, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') };
  });
}

describe("casguard's setup bodies against the client's spec-derived types", () => {
  it('every body setup sends satisfies its request type, and a body that does not is reported', () => {
    const assets = clusterAssets({ namespace: 'default', ownFields: defaultOwnFields() });
    assert.ok(assets.length >= 10, 'assets.length >= 10');
    const good: [string, Record<string, unknown>][] = assets.map((a) => [REQUEST_TYPE[a.kind], requestOf(a)]);
    // Controls (so the check can fail): a misspelt field, a number where the spec wants a duration, a string
    // where it wants an integer.
    const bad: [string, Record<string, unknown>][] = [
      ['estypes.IndicesPutIndexTemplateRequest', { name: 't', index_patterns: ['x-*'], priorty: 150 }],
      [
        'estypes.IlmPutLifecycleRequest',
        { name: 'p', policy: { phases: { hot: { actions: { rollover: { max_age: 30 } } } } } },
      ],
      [
        'estypes.ClusterPutComponentTemplateRequest',
        { name: 'c', template: { mappings: { properties: { a: { type: 'keyword', ignore_above: 'x' } } } } },
      ],
    ];
    const diagnostics = typecheck([...good, ...bad]);
    assert.deepEqual(
      diagnostics.filter((d) => d.request < good.length),
      [],
      'casguard bodies that do not match the spec types',
    );
    const controls = diagnostics.filter((d) => d.request >= good.length);
    assert.deepEqual(
      controls.map((d) => d.request - good.length),
      [0, 1, 2],
      controls.map((d) => d.message).join('\n'),
    );
    assert.match(controls[0]!.message, /priorty/);
  });
});
