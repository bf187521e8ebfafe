// `casguard report` rendered by a real headless Chromium (Debian's, installed by .ci/install-chromium.sh; the
// test is skipped with a printed reason when it is absent, and fails in CI), driven through the DevTools protocol by
// playwright-core. The real CLI replays generated logs into the file output and writes the report; the page must
// load nothing but itself, log no console error, show data in every chart, and a screenshot of the storms section
// must be non-blank and show one sparkline per storm device in that row's colour.
// UPDATE_GOLDEN=1 also refreshes docs/report.png, the README's picture of the report (from the demo's samples).

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { PALETTE } from '../../src/outputs/report/svg-charts.js';
import { repoRoot, runAgentCommand } from '../helpers/agent-process.js';
import { generateScenario } from '../detect/scenario.js';
import { tempDir } from '../helpers/temp-dir.js';

const CHROMIUM = process.env['CASGUARD_CHROMIUM'] ?? '/usr/bin/chromium';
const IN_CI = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false';
const MISSING = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} not found: run .ci/install-chromium.sh (Debian's chromium) to run the report's browser test`;
// In CI (.ci/run installs Chromium first) a missing browser fails the test instead of skipping it, as the Wine
// smoke test does: a CI run that never opened the report in a browser must not pass.
const SKIP = MISSING !== undefined && !IN_CI ? MISSING : false;
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

interface PageFacts {
  charts: { name: string; marks: number; visibleMarks: number; maxValue: number }[];
  stormRows: { device: string; failures: number; box: { x: number; y: number; w: number; h: number } }[];
  sparks: { x: number; y: number; w: number; h: number }[];
  section: { x: number; y: number; w: number; h: number };
  text: string;
}

// Runs in the page (a string, so the test's TypeScript needs no DOM types).
const FACTS = `(() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.x + scrollX, y: r.y + scrollY, w: r.width, h: r.height }; };
  const charts = [...document.querySelectorAll('svg.chart')].map((svg) => {
    const marks = [...svg.querySelectorAll('.mark')];
    const visible = marks.filter((m) => { const r = m.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
    return { name: svg.dataset.chart, marks: marks.length, visibleMarks: visible.length,
      maxValue: Math.max(0, ...marks.map((m) => Number(m.dataset.value))) };
  });
  const stormRows = [...document.querySelectorAll('tr.storm-row')].map((tr) => ({ device: tr.dataset.device, failures: Number(tr.dataset.failures), box: box(tr) }));
  const sparks = [...document.querySelectorAll('tr.storm-row svg.spark')].map(box);
  return { charts, stormRows, sparks, section: box(document.querySelector('#storms')), text: document.body.innerText };
})()`;

// Counts, inside each sparkline's box of the section screenshot, the pixels of that row's colour (in the page).
const PIXELS = (
  png: string,
  section: PageFacts['section'],
  sparks: PageFacts['sparks'],
  colors: string[],
) => `(async () => {
  const img = new Image();
  img.src = 'data:image/png;base64,${png}';
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const all = g.getImageData(0, 0, c.width, c.height).data;
  let nonWhite = 0; const colours = new Set();
  for (let i = 0; i < all.length; i += 4) {
    if (all[i] < 235 || all[i + 1] < 235 || all[i + 2] < 235) nonWhite++;
    colours.add((all[i] >> 4) + ',' + (all[i + 1] >> 4) + ',' + (all[i + 2] >> 4));
  }
  const sparks = ${JSON.stringify(sparks)}; const colors = ${JSON.stringify(colors)}; const s = ${JSON.stringify(section)};
  const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  const perSpark = sparks.map((b, k) => {
    const [r, gg, bb] = hex(colors[k % colors.length]);
    const d = g.getImageData(Math.round(b.x - s.x), Math.round(b.y - s.y), Math.max(1, Math.round(b.w)), Math.max(1, Math.round(b.h))).data;
    let hits = 0;
    for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) < 12 && Math.abs(d[i + 1] - gg) < 12 && Math.abs(d[i + 2] - bb) < 12) hits++;
    return hits;
  });
  return { width: c.width, height: c.height, nonWhite, colours: colours.size, perSpark };
})()`;

// Text of a chart that runs past its SVG's viewBox is cut off on screen (the last time label once was).
const CLIPPED_TEXT = `(() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const vb = svg.viewBox.baseVal;
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.x < vb.x - 0.5 || b.x + b.width > vb.x + vb.width + 0.5)
        out.push(svg.dataset.chart + ': ' + t.textContent);
    }
  }
  return out;
})()`;

interface Rendered {
  clippedText: string[];
  facts: PageFacts;
  consoleErrors: string[];
  requests: string[];
  pixels: { width: number; height: number; nonWhite: number; colours: number; perSpark: number[] };
}

async function render(htmlFile: string, screenshotTo?: string): Promise<Rendered> {
  const { chromium } = await import('playwright-core');
  const profile = tempDir('casguard-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(htmlFile).href;
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    const facts = (await page.evaluate(FACTS)) as PageFacts;
    const clippedText = (await page.evaluate(CLIPPED_TEXT)) as string[];
    const shot = await page.locator('#storms').screenshot({ type: 'png' });
    // The README's picture: the page down to the end of the storms (the whole page is ~4,000 px tall).
    if (screenshotTo)
      await page.screenshot({
        path: screenshotTo,
        fullPage: true,
        clip: { x: 0, y: 0, width: 1280, height: Math.ceil(facts.section.y + facts.section.h + 16) },
      });
    const pixels = (await page.evaluate(
      PIXELS(shot.toString('base64'), facts.section, facts.sparks, PALETTE),
    )) as Rendered['pixels'];
    return { clippedText, facts, consoleErrors, requests: requests.filter((r) => r !== url), pixels };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

function assertRendered(r: Rendered, storms: { device: string; failures: number }[]): void {
  assert.deepEqual(r.consoleErrors, [], 'no console errors');
  assert.deepEqual(r.requests, [], 'the page fetches nothing');
  assert.deepEqual(r.clippedText, [], 'no chart text runs past its chart');
  // Every chart has data, and its marks are on screen.
  const names = r.facts.charts.map((c) => c.name);
  for (const want of ['storms-over-time', 'devices-by-ios-build', 'events-4999-per-host'])
    assert.ok(names.includes(want), `chart ${want} in ${names.join(', ')}`);
  for (const c of r.facts.charts) {
    assert.ok(
      c.marks > 0 && c.visibleMarks === c.marks && c.maxValue > 0,
      `chart ${c.name} has visible data: ${JSON.stringify(c)}`,
    );
  }
  assert.equal(
    r.facts.charts.filter((c) => c.name.startsWith('storm-')).length,
    storms.length,
    'one sparkline per storm row',
  );
  // The storm rows: the expected devices with their counts.
  assert.deepEqual(
    r.facts.stormRows.map((s) => [s.device, s.failures]),
    storms.map((s) => [s.device, s.failures]),
  );
  // The screenshot: non-blank, and each storm row's sparkline is in it, in the row's colour.
  assert.ok(r.pixels.width > 800 && r.pixels.height > 200, JSON.stringify(r.pixels));
  assert.ok(
    r.pixels.nonWhite > r.pixels.width * r.pixels.height * 0.05,
    `non-blank: ${JSON.stringify(r.pixels)}`,
  );
  assert.ok(r.pixels.colours > 20, `more than a few colours: ${r.pixels.colours}`);
  assert.equal(r.pixels.perSpark.length, storms.length);
  for (const [i, hits] of r.pixels.perSpark.entries())
    assert.ok(
      hits > 20,
      `storm row ${i + 1}'s sparkline shows in the screenshot (${hits} pixels of its colour)`,
    );
}

describe('casguard report in headless Chromium', { skip: SKIP, timeout: 600_000 }, () => {
  let dir: string;
  before(() => {
    if (MISSING !== undefined) throw new Error(`${MISSING} (CI must run it)`);
    dir = tempDir('casguard-report-');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('renders the KB scenario: three storm rows with their counts, every chart with data, no console error', async () => {
    const work = path.join(dir, 'scenario');
    mkdirSync(path.join(work, 'inbox'), { recursive: true });
    const scenario = generateScenario(300);
    for (const f of scenario.files) writeFileSync(path.join(work, 'inbox', f.name), f.text);
    const files = readdirSync(path.join(work, 'inbox')).map((n) => path.join('inbox', n));
    const replay = await runAgentCommand(['replay', ...files], { cwd: work });
    assert.equal(replay.code, 0, replay.stdout + replay.stderr);
    const rep = await runAgentCommand(['report', '--out', 'report.html'], { cwd: work });
    assert.equal(rep.code, 0, rep.stdout + rep.stderr);
    assert.match(rep.stdout, /wrote .*report\.html: 3 storm device\(s\)/);
    const r = await render(path.join(work, 'report.html'));
    const expected = scenario.storms
      .map((s) => ({ device: s.device, failures: s.times.length }))
      .sort((a, b) => b.failures - a.failures || a.device.localeCompare(b.device));
    assertRendered(r, expected);
    assert.match(r.facts.text, /install Exchange Server 2010 SP3 Update Rollup 2 \(14\.3\.158\.1\)/);
  });

  it("renders the demo's samples (two storm devices and the fix), the picture in the README", async () => {
    const work = path.join(dir, 'demo');
    mkdirSync(path.join(work, 'inbox'), { recursive: true });
    for (const n of readdirSync(path.join(repoRoot, 'samples')))
      copyFileSync(path.join(repoRoot, 'samples', n), path.join(work, 'inbox', n));
    const files = readdirSync(path.join(work, 'inbox')).map((n) => path.join('inbox', n));
    assert.equal((await runAgentCommand(['replay', ...files], { cwd: work })).code, 0);
    assert.equal((await runAgentCommand(['report'], { cwd: work })).code, 0);
    const shot = path.join(work, 'report.png');
    const r = await render(path.join(work, 'report.html'), shot);
    assertRendered(r, [
      { device: 'ApplDMPGH8DWDFJ3', failures: 120 },
      { device: 'ApplF2LKJ8UYDTC1', failures: 120 },
    ]);
    assert.match(r.facts.text, /cas01 runs Exchange 14\.2\.328\.9/);
    if (process.env['UPDATE_GOLDEN'] === '1') copyFileSync(shot, path.join(repoRoot, 'docs/report.png'));
  });
});
