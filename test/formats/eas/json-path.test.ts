// The IIS JSON path (issue 16) on many varied lines: every document written by writeIisJson must be byte for byte
// JSON.stringify of the object path's enriched document. The golden files (golden.test.ts) cover the real
// samples; this covers the shared harness's generated traffic (20,000 lines: every command, iOS and Android
// agents, storms), and hand-made shapes the writer orders specially (http groups created late, CAFE request ids,
// forwarded addresses, custom host ports, credential columns). Skips the generated part with a reason when
// ../shared is absent (CASGUARD_SHARED_DIR points elsewhere).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { builtinRules } from '../../../src/detect/builtin-rules.js';
import { DetectionEngine } from '../../../src/detect/engine.js';
import { defaultEnrichers } from '../../../src/enrich/index.js';
import { iisFormat } from '../../../src/normalize/formats/iis.format.js';
import { FileProcessor } from '../../../src/pipeline/processor.js';
import type { RecordSource } from '../../../src/pipeline/record.types.js';
import type { FormatDefinition } from '../../../src/pipeline/stages.types.js';
import { testAgentStamp } from '../../helpers/agent-metadata.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const SHARED = process.env['CASGUARD_SHARED_DIR'] ?? path.join(repoRoot, '../shared');
const GEN = path.join(SHARED, 'bench/gen/gen.js');

/**
 * Runs the lines through both paths, each with its own detection engine; returns how many documents the JSON path
 * wrote and how many alert documents both gave (identical, in the same order).
 */
function compare(lines: string[], preserveOriginalEvent = false): { written: number; alerts: number } {
  const source: RecordSource = { inputId: 'in', path: '/logs/u_ex140310.log', fingerprint: 'fp' };
  const ctx = { source, timezone: 'UTC', observerHostname: 'agent01', preserveOriginalEvent };
  const enrichers = [...defaultEnrichers, testAgentStamp];
  const now = () => Date.UTC(2026, 0, 1);
  const fused = new FileProcessor(iisFormat as FormatDefinition, ctx, {
    enrichers,
    detector: new DetectionEngine(builtinRules(), { now }),
  });
  const plain = new FileProcessor(iisFormat as FormatDefinition, ctx, {
    enrichers,
    json: false,
    detector: new DetectionEngine(builtinRules(), { now }),
  });
  let offset = 0;
  let written = 0;
  let alerts = 0;
  for (const text of lines) {
    const rec = { source, offset, endOffset: offset + text.length + 1, text };
    offset += text.length + 1;
    const a = fused.process(rec).documents;
    const b = plain.process(rec).documents;
    assert.equal(a.length, b.length);
    for (let i = 0; i < a.length; i++) {
      assert.equal(b[i]!.json, undefined);
      assert.equal(a[i]!.id, b[i]!.id);
      assert.equal(a[i]!.op, b[i]!.op);
      assert.equal(a[i]!.stream, b[i]!.stream);
      if (b[i]!.stream === 'alerts') alerts++;
      const expected = JSON.stringify(b[i]!.doc);
      const got = a[i]!.json;
      if (got === undefined) {
        assert.equal(JSON.stringify(a[i]!.doc), expected);
        continue;
      }
      written++;
      const text = got.head + got.rest;
      assert.equal(text, expected, `offset ${rec.offset}`);
      // `rest` starts with the brace that closes `event`.
      const event = JSON.stringify(b[i]!.doc['event']);
      assert.equal(`${got.head.slice(got.head.indexOf('"event":') + 8)}}`, event);
      assert.ok(got.rest.startsWith('},"data_stream":'));
    }
  }
  return { written, alerts };
}

describe('IIS JSON path', () => {
  it('hand-made shapes: late http groups, CAFE ids, forwarded and custom ports, credential columns', () => {
    const lines = [
      '#Fields: date time s-sitename s-computername s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs-version cs(User-Agent) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken X-Forwarded-For',
      '2014-03-10 00:00:00 W3SVC1 CAS01.contoso.com 10.0.0.1 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Provision&User=a&DeviceId=ApplX&DeviceType=iPad&cafeReqId=abc&Log=V141_S142_Error:ProvisionRequired_ 443 CONTOSO\\a 1.2.3.4 HTTP/1.1 Apple-iPad2C2/1101.465 - mail.contoso.com:443 449 0 0 300 200 15 5.6.7.8,+9.9.9.9',
      '2014-03-10 00:00:01 - - 10.0.0.1 - /Microsoft-Server-ActiveSync/default.eas Cmd=Ping&cafeReqId=xyz - - - - - - http://r/ [::1]:8443 - - - - 12 - -',
      '2014-03-10 00:00:02 - - - - /owa/ a=1 - user@contoso.com - - Mozilla/5.0+(X) - - 302 - - 99 - - -',
      '2014-03-10 00:00:03 - - - - /Microsoft-Server-ActiveSync Cmd=Ping&cafeReqId=only - - - - - - - - - - - - - - -',
      '2014-03-10 00:00:04 - - - GET /Microsoft-Server-ActiveSync/default.eas jAkJBBAzT2v5eSzxWEz3nEAEAAAAAWlQ0tAZpUGhvbmUHAAABB 443 - - - Apple-iPhone5C2/1104.201 - - 200 - - - - 3 -',
      '#Fields: date time cs-method cs-uri-stem cs-uri-query cs(User-Agent) cs(Cookie) cs(Authorization) sc-status',
      '2013-09-19 14:22:11 POST /Microsoft-Server-ActiveSync/default.eas Cmd=Sync&User=b Apple-iPad4C4/1102.55400001 cadata=x Basic+eHg= 200',
      '2013-09-19 14:22:12 GET /owa/ - "quoted\\agent" - - 200',
    ];
    assert.ok(compare(lines).written >= 5);
    assert.ok(compare(lines, true).written >= 5);
  });

  it('a KB 2851708 retry storm: the same alerts from the view detection reads as from the document', () => {
    const lines = [
      '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken',
    ];
    for (let i = 0; i < 130; i++) {
      const t = `2013-09-19 14:${String(Math.floor(i / 6) + 10).padStart(2, '0')}:${String((i % 6) * 10).padStart(2, '0')}`;
      lines.push(
        `${t} 10.0.0.1 POST /Microsoft-Server-ActiveSync/default.eas User=jdoe&DeviceId=ApplDMPGH8DWDFJ3&DeviceType=iPad&Cmd=Provision&Log=V141_S110_Error:System.ArgumentOutOfRangeException_ 443 CONTOSO\\jdoe 1.2.3.4 Apple-iPad2C2/1101.465 - 200 0 0 31`,
      );
    }
    const r = compare(lines);
    assert.ok(r.written >= 130);
    assert.ok(r.alerts >= 2, `${r.alerts} alert documents`);
  });

  it('20,000 generated harness lines: the same bytes, ids and alerts', (t) => {
    if (!existsSync(GEN)) {
      t.skip(`the shared harness's generator is absent (${GEN})`);
      return;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cg-json-path-'));
    try {
      const file = path.join(dir, 'iis.log');
      // 5 % iOS 7 Provision failures (spread over many devices: alerts are compared where there are any; the
      // storm above raises some for sure).
      const args = ['iis', '--out', file, '--lines', '20000', '--seed', '3', '--ios7-provision-fail', '0.05'];
      execFileSync(process.execPath, [GEN, ...args], { stdio: 'ignore' });
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);
      const r = compare(lines);
      assert.ok(r.written >= 19_000, `${r.written} written`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
