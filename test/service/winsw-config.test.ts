// The WinSW 2.12 service definition and the pin of the WinSW build. Static: no Windows needed.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  AGENT_DRAIN_DEADLINE_MS,
  WINDOWS_DIR,
  checkWinswConfig,
  parseWinswTimeSpan,
  parseXml,
  read,
  scFailureActions,
  splitArguments,
} from './service-checks.js';

const XML_FILE = path.join(WINDOWS_DIR, 'casguard-service.xml');
const xml = read(XML_FILE);
const expect = { drainDeadlineMs: AGENT_DRAIN_DEADLINE_MS };

describe('casguard-service.xml', () => {
  it('is well-formed, uses only WinSW 2.12 elements and carries every required setting', () => {
    assert.deepEqual(checkWinswConfig(xml, expect), []);
  });

  it('stops within 30 s, well above the agent drain deadline', () => {
    const stop = parseXml(xml).children.find((c) => c.name === 'stoptimeout');
    assert.equal(parseWinswTimeSpan(stop?.text ?? ''), 30_000);
    assert.ok(30_000 > AGENT_DRAIN_DEADLINE_MS, '30_000 > AGENT_DRAIN_DEADLINE_MS');
  });

  it('starts node on the CLI entry point with run --config', () => {
    const args = parseXml(xml).children.find((c) => c.name === 'arguments')?.text ?? '';
    assert.deepEqual(splitArguments(args), [
      '%BASE%\\dist\\cli\\main.js',
      'run',
      '--config',
      '%ProgramData%\\casguard\\config\\casguard.yml',
    ]);
  });

  it('pins dataDir to the folder install.ps1 secures', () => {
    const env = parseXml(xml).children.filter((c) => c.name === 'env');
    const dataDir = env.find((e) => e.attributes['name'] === 'CASGUARD_DATA_DIR');
    assert.equal(dataDir?.attributes['value'], '%ProgramData%\\casguard');
  });

  it('catches a misspelt element, a wrong delay, a short stop timeout and a missing account', () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        '<stoptimeout>30 sec</stoptimeout>',
        '<stoptimout>30 sec</stoptimout>',
        /<stoptimout> inside <service>/,
      ],
      ['delay="30 sec"', 'delay="30 seconds"', /cannot parse/],
      [
        '<stoptimeout>30 sec</stoptimeout>',
        '<stoptimeout>4 sec</stoptimeout>',
        /not above the agent's drain/,
      ],
      ['<delayedAutoStart/>', '', /delayedAutoStart\/> is missing/],
      ['<domain>NT SERVICE</domain>', '<domain>NT AUTHORITY</domain>', /NT SERVICE\\casguard/],
      ['</service>', '<service>', /not well-formed/],
    ];
    for (const [from, to, problem] of cases) {
      assert.ok(xml.includes(from), `fixture text ${from} not found`);
      const problems = checkWinswConfig(xml.replace(from, to), expect);
      assert.ok(
        problems.some((p) => problem.test(p)),
        `${from} -> ${to}: ${problems.join('; ')}`,
      );
    }
  });

  it('parses time spans the way WinSW 2.12 does', () => {
    assert.equal(parseWinswTimeSpan('5 sec'), 5_000);
    assert.equal(parseWinswTimeSpan('10secs'), 10_000);
    assert.equal(parseWinswTimeSpan('2 mins'), 120_000);
    assert.equal(parseWinswTimeSpan('1 day'), 86_400_000);
    assert.equal(parseWinswTimeSpan('1500'), 1_500);
    assert.throws(() => parseWinswTimeSpan('1.5 sec'));
    assert.throws(() => parseWinswTimeSpan('30s'));
  });
});

describe('install.ps1 agrees with the XML', () => {
  const install = read(path.join(WINDOWS_DIR, 'install.ps1'));

  it('re-applies the same recovery actions with sc.exe failure', () => {
    assert.equal(scFailureActions(xml), 'restart/5000/restart/30000/restart/60000');
    assert.ok(
      install.includes(`'reset=', '86400', 'actions=', '${scFailureActions(xml)}'`),
      "install.includes(`'reset=', '86400', 'actions=', '${scFailureActions(xml)}'`)",
    );
  });

  it('rewrites every default data path in the XML, and only in the nodes it edits', () => {
    const root = /\$TemplateRoot = '([^']+)'/.exec(install)?.[1];
    assert.equal(root, '%ProgramData%\\casguard');
    const rewritten = new Set(['arguments', 'workingdirectory', 'logpath', 'env']);
    for (const el of parseXml(xml).children) {
      const text = el.text + Object.values(el.attributes).join(' ');
      if (text.includes(root))
        assert.ok(rewritten.has(el.name), `<${el.name}> holds ${root} but is not rewritten`);
    }
    assert.ok(
      install.includes("@('arguments', 'workingdirectory', 'logpath')"),
      "install.includes(\"@('arguments', 'workingdirectory', 'logpath')\")",
    );
    assert.ok(install.includes("SelectNodes('env')"), 'install.includes("SelectNodes(\'env\')")');
  });
});

describe('winsw.lock.json', () => {
  const lock = JSON.parse(read(path.join(WINDOWS_DIR, 'winsw.lock.json'))) as Record<string, string>;

  it('pins WinSW 2.12.0 (.NET Framework 4.6.1 build) under the name the XML needs', () => {
    assert.equal(lock['version'], '2.12.0');
    assert.equal(lock['asset'], 'WinSW.NET461.exe');
    assert.equal(lock['url'], 'https://github.com/winsw/winsw/releases/download/v2.12.0/WinSW.NET461.exe');
    assert.equal(lock['installedAs'], `${path.basename(XML_FILE, '.xml')}.exe`);
  });

  it('holds a SHA-256 or the placeholder the release pipeline replaces', (t) => {
    const sha = lock['sha256'] ?? '';
    if (sha === 'TO-BE-FILLED-BY-RELEASE-PIPELINE') {
      t.diagnostic('winsw.lock.json sha256 is still the placeholder: the release pipeline must fill it');
    } else {
      assert.match(sha, /^[0-9a-f]{64}$/i);
    }
  });
});
