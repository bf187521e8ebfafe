// `casguard export`: golden files for the listing and for every body, the stdout forms agree with the files,
// wrong names and versions are usage errors, and the exported bodies installed by hand into a fresh test
// server (plain HTTP PUTs in the order the README gives, the way curl sends them) give the same templates,
// policy, mappings and settings as `casguard setup`. Regenerate the goldens with UPDATE_GOLDEN=1 and review.

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultOwnFields, setupCluster } from '../../src/cli/commands/setup-command.js';
import type { CliIo } from '../../src/cli/io.js';
import { runCli } from '../../src/cli/program.js';
import { ElasticsearchOutputConfig } from '../../src/outputs/elasticsearch/elasticsearch.config.js';
import { nullLogger } from '../../src/telemetry/logger.types.js';
import { startEsTestServer } from '../es-server/es-test-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const GOLDEN = path.resolve(import.meta.dirname, '../golden/export');
/** The kinds in install order, as folders of `export --out DIR` (README: install them in this order). */
const KIND_DIRS = [
  ['ilm-policy', '_ilm/policy'],
  ['component-template', '_component_template'],
  ['index-template', '_index_template'],
] as const;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    setExitCode: () => undefined,
    env: {},
  };
  const code = await runCli(argv, io);
  return { code, out: out.map((l) => `${l}\n`).join(''), err: err.join('\n') };
}

function golden(rel: string, actual: string): void {
  const file = path.join(GOLDEN, rel);
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) assert.fail(`${file} missing: run with UPDATE_GOLDEN=1 and review it`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), rel);
}

/** Relative paths of every file under dir, sorted. */
function tree(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? tree(dir, path.join(prefix, e.name)) : [path.join(prefix, e.name)]))
    .sort();
}

describe('casguard export', () => {
  it('lists every request setup sends, in order, with its kind and path', async () => {
    const r = await cli('export');
    assert.equal(r.code, 0, r.err);
    golden('list.txt', r.out);
    const prod = await cli('export', '--namespace', 'prod');
    assert.match(prod.out, /PUT _data_stream\/logs-exchange\.activesync-prod\n/);
  });

  it('writes one file per body with --out, the same as the golden files', async () => {
    const dir = tempDir('cg-export-');
    try {
      const r = await cli('export', 'template', '--out', dir);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /^wrote 10 files to /);
      if (UPDATE) {
        rmSync(path.join(GOLDEN, 'bodies'), { recursive: true, force: true });
        cpSync(dir, path.join(GOLDEN, 'bodies'), { recursive: true });
      }
      assert.deepEqual(tree(dir), tree(path.join(GOLDEN, 'bodies')));
      for (const f of tree(dir)) golden(path.join('bodies', f), readFileSync(path.join(dir, f), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints each body alone for KIND NAME, and all of them keyed by request path without a name', async () => {
    const files = tree(path.join(GOLDEN, 'bodies'));
    assert.equal(files.length, 10);
    const all = await cli('export', 'template');
    assert.equal(all.code, 0, all.err);
    const byPath = JSON.parse(all.out) as Record<string, unknown>;
    const list = readFileSync(path.join(GOLDEN, 'list.txt'), 'utf8');
    const order = [...list.matchAll(/PUT (_\S+)/g)]
      .map((m) => m[1]!)
      .filter((p) => !p.startsWith('_data_stream'));
    assert.deepEqual(Object.keys(byPath), order, 'install order');
    for (const f of files) {
      const [kind, file] = f.split(path.sep) as [string, string];
      const name = file.replace(/\.json$/, '');
      const text = readFileSync(path.join(GOLDEN, 'bodies', f), 'utf8');
      const one = await cli('export', kind, name);
      assert.equal(one.code, 0, one.err);
      assert.equal(one.out, text, `export ${kind} ${name}`);
      assert.equal((await cli('export', 'template', name)).out, text, `export template ${name}`);
      const rest = KIND_DIRS.find(([k]) => k === kind)![1];
      assert.deepEqual(byPath[`${rest}/${name}`], JSON.parse(text), name);
    }
  });

  it('leaves index.mode out of the bodies for 8.0-8.4 (--es-version)', async () => {
    const r = await cli('export', 'component-template', 'casguard@settings', '--es-version', '8.4.3');
    assert.equal(r.code, 0, r.err);
    golden('es-8.4/component-template/casguard@settings.json', r.out);
    assert.ok(!r.out.includes('index.mode'), "!r.out.includes('index.mode')");
  });

  it('exits 2 with the valid names for an unknown name, version or retention', async () => {
    const r = await cli('export', 'index-template', 'logs-exchange.nope');
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      /no index-template named "logs-exchange.nope"; there are: logs-exchange.activesync, /,
    );
    assert.equal((await cli('export', 'template', '--es-version', 'nine')).code, 2);
    assert.equal((await cli('export', 'ilm-policy', '--retention-days', '0')).code, 2);
    assert.equal((await cli('export', 'ingest-pipeline')).code, 2);
  });

  it('installed by hand with plain PUTs, the bodies give the same cluster state as casguard setup', async () => {
    const bySetup = await startEsTestServer({ version: '9.1.0' });
    const byHand = await startEsTestServer({ version: '9.1.0' });
    const dir = tempDir('cg-export-');
    try {
      const cfg = ElasticsearchOutputConfig.parse({ hosts: [bySetup.url] });
      const quiet: CliIo = {
        out: () => undefined,
        err: () => undefined,
        setExitCode: () => undefined,
        env: {},
      };
      assert.equal(await setupCluster(cfg, quiet, nullLogger, defaultOwnFields()), 0);

      assert.equal((await cli('export', 'template', '--out', dir)).code, 0);
      // What an admin's curl loop does (README): each folder in order, `PUT <path>/<file name>` with the file.
      const put = async (p: string, body?: string): Promise<void> => {
        const res = await fetch(`${byHand.url}/${p}`, {
          method: 'PUT',
          ...(body !== undefined ? { headers: { 'Content-Type': 'application/json' }, body } : {}),
        });
        assert.equal(res.status, 200, `PUT ${p}: ${await res.text()}`);
      };
      for (const [kind, rest] of KIND_DIRS) {
        for (const f of readdirSync(path.join(dir, kind)).sort()) {
          await put(`${rest}/${f.replace(/\.json$/, '')}`, readFileSync(path.join(dir, kind, f), 'utf8'));
        }
      }
      const names = ['logs-exchange.activesync-default', 'logs-exchange.application-default'];
      for (const ds of names) await put(`_data_stream/${ds}`);
      await put('casguard-alerts-default');

      const get = async (url: string, p: string): Promise<unknown> => {
        const res = await fetch(`${url}/${p}`);
        assert.equal(res.status, 200, `GET ${p}`);
        return res.json();
      };
      const same = async (p: string, pick: (v: unknown) => unknown = (v) => v): Promise<void> => {
        assert.deepEqual(pick(await get(byHand.url, p)), pick(await get(bySetup.url, p)), p);
      };
      // the order of the list is the order of creation, which differs (the admin's loop goes by file name)
      const sortedBy = (key: string) => (v: unknown) =>
        ((v as Record<string, { name: string }[]>)[key] ?? []).sort((a, b) => a.name.localeCompare(b.name));
      await same('_index_template', sortedBy('index_templates'));
      await same('_component_template', sortedBy('component_templates'));
      // an ILM policy's version and modified_date are the cluster's own
      await same(
        '_ilm/policy/casguard-logs',
        (v) => (v as Record<string, { policy: unknown }>)['casguard-logs']!.policy,
      );
      const settingsAndMappings = (v: unknown): unknown => {
        // keyed by (backing) index name; only the index's own identity may differ
        const [only] = Object.values(v as Record<string, { mappings: unknown; settings: unknown }>);
        return JSON.parse(
          JSON.stringify({ mappings: only!.mappings, settings: only!.settings }, (k, x: unknown) =>
            ['uuid', 'creation_date', 'provided_name'].includes(k) ? undefined : x,
          ),
        );
      };
      for (const index of [...names, 'casguard-alerts-default']) {
        await same(index, settingsAndMappings);
        await same(`${index}/_mapping`, (v) => Object.values(v as Record<string, unknown>)[0]);
      }
      // and a later `casguard setup` recognises the hand-installed bodies: nothing to change
      const lines: string[] = [];
      const capture: CliIo = { ...quiet, out: (l) => lines.push(l) };
      const onHand = ElasticsearchOutputConfig.parse({ hosts: [byHand.url] });
      assert.equal(await setupCluster(onHand, capture, nullLogger, defaultOwnFields()), 0);
      assert.equal(lines.at(-1), 'setup OK: everything was already in place', lines.join('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await bySetup.stop();
      await byHand.stop();
    }
  });
});
