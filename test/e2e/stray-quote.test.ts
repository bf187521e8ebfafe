// Issue 19, finding 9: one stray `"` in an HttpProxy CSV swallowed the 2,194 good rows after it into one dead
// letter. `casguard replay` (the real CLI in a child process: file input, framing, HttpProxy parser, file output,
// dead-letter file) over an HttpProxy log whose second row has a quote that never closes: exactly that row is a
// dead letter naming the file, its offset and the reason, and every other row is a document. The same for an
// Event Viewer CSV export, whose quoted messages legitimately span lines.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import { tempDir } from '../helpers/temp-dir.js';

const golden = path.join(
  repoRoot,
  'test/golden/eas/httpproxy/HttpProxy_2013091914-1.kb2851708-reconstructed.LOG',
);

interface Outcome {
  documents: Array<{ _source: Record<string, unknown> }>;
  deadLetters: Array<{
    code: string;
    reason: string;
    path: string;
    offset: number;
    line?: number;
    record?: string;
  }>;
  stdout: string;
}

async function replay(dir: string, file: string, format: string): Promise<Outcome> {
  const config = path.join(dir, 'casguard.yml');
  writeFileSync(
    config,
    [
      `dataDir: ${JSON.stringify(path.join(dir, 'data'))}`,
      'timezone: UTC',
      'inputs:',
      '  - id: stray',
      `    format: ${format}`,
      `    paths: [${JSON.stringify(file)}]`,
      'outputs:',
      '  file:',
      `    path: ${JSON.stringify(path.join(dir, 'out'))}`,
      '  stdout:',
      '    alerts: false',
      'detect:',
      '  enabled: false',
      'logging:',
      '  console: off',
      'metrics:',
      '  enabled: false',
      '',
    ].join('\n'),
  );
  const r = await runAgentCommand(['replay', '--config', config, file], { cwd: repoRoot });
  // exit 4: something was dead-lettered (the stray row)
  assert.equal(r.code, 4, `${r.stdout}\n${r.stderr}`);
  const out = path.join(dir, 'out');
  const documents = readdirSync(out)
    .filter((f) => f.endsWith('.ndjson') && !f.startsWith('alerts'))
    .flatMap((f) =>
      readFileSync(path.join(out, f), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Outcome['documents'][number]),
    );
  const dl = path.join(dir, 'data', 'dead-letter');
  const deadLetters = readdirSync(dl).flatMap((f) =>
    readFileSync(path.join(dl, f), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Outcome['deadLetters'][number]),
  );
  return { documents, deadLetters, stdout: r.stdout };
}

describe('a stray quote costs one dead letter', () => {
  it('HttpProxy: the row with the stray quote is dead-lettered, the 2,194 rows after it are documents', async () => {
    const lines = readFileSync(golden, 'latin1').split('\r\n');
    const header = lines.slice(0, 6); // bare header line + directive block
    const template = lines[6]!; // a Provision row
    assert.match(template, /^2013-09-19T14:22:11\.078Z,6f1c2d3e-/);
    const rows: string[] = [];
    for (let i = 0; i < 2196; i++) {
      const t = new Date(Date.parse('2013-09-19T14:22:11.078Z') + i * 1000).toISOString();
      let row = template
        .replace('2013-09-19T14:22:11.078Z', t)
        .replace(
          '6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f',
          `6f1c2d3e-4a5b-4c6d-8e7f-${String(i).padStart(12, '0')}`,
        );
      if (i === 1) row = row.replace(',Basic,', ',"Basic,'); // the stray quote: opens a field, never closes
      rows.push(row);
    }
    const dir = tempDir('cg-stray-quote-');
    try {
      mkdirSync(path.join(dir, 'logs'));
      const file = path.join(dir, 'logs', 'HttpProxy_2013091914-1.LOG');
      const text = [...header, ...rows, ''].join('\r\n');
      writeFileSync(file, text, 'latin1');
      const r = await replay(dir, file, 'httpproxy');
      assert.equal(r.deadLetters.length, 1, JSON.stringify(r.deadLetters.map((d) => d.reason)));
      const dl = r.deadLetters[0]!;
      const strayOffset = Buffer.byteLength([...header, rows[0]!, ''].join('\r\n'), 'latin1');
      assert.equal(dl.path, file);
      assert.equal(dl.offset, strayOffset);
      assert.equal(dl.line, 8);
      assert.match(
        dl.reason,
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:8:offset ${strayOffset}: `),
      );
      assert.match(dl.reason, /unclosed quote/);
      assert.equal(dl.record, rows[1]); // that row alone, not the rows after it
      assert.equal(r.documents.length, 2195);
      const times = new Set(r.documents.map((d) => d._source['@timestamp']));
      assert.equal(times.size, 2195);
      assert.ok(!times.has('2013-09-19T14:22:12.078Z'), 'the stray row is not a document');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Event Viewer CSV: a message whose quote never closes costs its row; multi-line messages around it stay whole', async () => {
    const ev = (sec: number, id: number, msg: string): string =>
      `Error,9/19/2013 10:22:${String(sec).padStart(2, '0')} AM,MSExchange Common,${id},General,${msg}\r\n`;
    const watson =
      '"Watson report about to be sent for process id: 5620, with parameters: E12, c-RTL-AMD64, 14.02.0328.009, AirSync, M.Exchange.Compliance, M.E.S.C.MessageDigestForNonCryptographicPurposes.HashCore, System.ArgumentOutOfRangeException, 6c1d, 14.02.0328.000.\r\nErrorReportingEnabled: False"';
    const rows = [
      ev(1, 4999, watson),
      ev(2, 4999, watson),
      ev(3, 1001, '"A message whose closing quote was lost'),
      ...Array.from({ length: 40 }, (_, i) => ev(10 + i, 4999, watson)),
    ];
    const dir = tempDir('cg-stray-quote-ev-');
    try {
      mkdirSync(path.join(dir, 'logs'));
      const file = path.join(dir, 'logs', 'application.csv');
      writeFileSync(file, `Level,Date and Time,Source,Event ID,Task Category\r\n${rows.join('')}`);
      const r = await replay(dir, file, 'eventviewer-csv');
      assert.equal(r.deadLetters.length, 1, JSON.stringify(r.deadLetters.map((d) => d.reason)));
      const dl = r.deadLetters[0]!;
      assert.equal(dl.code, 'framing.csv_unclosed_quote');
      assert.equal(dl.line, 6);
      assert.equal(dl.record, rows[2]!.slice(0, -2));
      assert.equal(r.documents.length, 42);
      for (const d of r.documents)
        assert.match(String(d._source['message']), /HashCore[\s\S]*ErrorReportingEnabled: False$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
