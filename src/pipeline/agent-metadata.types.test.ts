// `agent.version` is the package's version: one number for npm, `casguard --version` and every document.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { CASGUARD_VERSION } from './agent-metadata.types.js';

it('CASGUARD_VERSION equals the version in package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  assert.equal(CASGUARD_VERSION, pkg.version);
});
