// Preload for benchmarks (`node --import ./bench/count-file-writes.mjs ...`): counts the bytes the process writes
// to files, grouped by the folder they are in relative to CASGUARD_DATA_DIR (`registry`, `dead-letter`,
// `logs`, ...), and writes the totals as JSON to $COUNT_WRITES_OUT when the process exits. It wraps the fs
// functions the agent writes with (FileHandle write/writeFile/appendFile, fs.write/writeSync/writeFile[Sync]/
// appendFile[Sync], fs/promises writeFile/appendFile) and resolves a descriptor's path through /proc/self/fd, so
// it runs on Linux only. Writes to sockets and pipes are not counted. A measuring aid, not part of the agent.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';

const out = process.env.COUNT_WRITES_OUT;
const root = path.resolve(process.env.CASGUARD_DATA_DIR ?? '.');
/** folder (first path part under the data folder, or `other`) → { bytes, writes } */
const totals = {};

function groupOf(file) {
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return 'other';
  const first = rel.split(path.sep)[0];
  return rel.includes(path.sep) ? first : `(data folder) ${first}`;
}

function add(file, bytes) {
  if (typeof file !== 'string' || !(bytes > 0)) return;
  const g = groupOf(file);
  const t = (totals[g] ??= { bytes: 0, writes: 0 });
  t.bytes += bytes;
  t.writes += 1;
}

function fdPath(fd) {
  try {
    const p = fs.readlinkSync(`/proc/self/fd/${fd}`);
    return p.startsWith('/') ? p : undefined;
  } catch {
    return undefined;
  }
}

const sizeOf = (data, encoding) =>
  typeof data === 'string'
    ? Buffer.byteLength(data, typeof encoding === 'string' ? encoding : (encoding?.encoding ?? 'utf8'))
    : (data?.byteLength ?? 0);
const pathOf = (target) =>
  typeof target === 'number' ? fdPath(target) : target instanceof URL ? target.pathname : String(target);

const probe = await fsp.open('/dev/null', 'r');
const FileHandleProto = Object.getPrototypeOf(probe);
await probe.close();

const origWrite = FileHandleProto.write;
FileHandleProto.write = async function (data, ...rest) {
  const r = await origWrite.call(this, data, ...rest);
  add(fdPath(this.fd), r.bytesWritten);
  return r;
};
const origWritev = FileHandleProto.writev;
FileHandleProto.writev = async function (buffers, ...rest) {
  const r = await origWritev.call(this, buffers, ...rest);
  add(fdPath(this.fd), r.bytesWritten);
  return r;
};
for (const name of ['writeFile', 'appendFile']) {
  const orig = FileHandleProto[name];
  FileHandleProto[name] = async function (data, options) {
    const file = fdPath(this.fd);
    await orig.call(this, data, options);
    add(file, sizeOf(data, options));
  };
}

for (const name of ['writeFile', 'appendFile']) {
  const orig = fsp[name];
  fsp[name] = async function (target, data, options) {
    const file = target instanceof Object && 'fd' in target ? fdPath(target.fd) : pathOf(target);
    await orig.call(this, target, data, options);
    add(file, sizeOf(data, options));
  };
  const origSync = fs[`${name}Sync`];
  fs[`${name}Sync`] = function (target, data, options) {
    const file = pathOf(target);
    origSync.call(this, target, data, options);
    add(file, sizeOf(data, options));
  };
}
const origWriteSync = fs.writeSync;
fs.writeSync = function (fd, ...rest) {
  const n = origWriteSync.call(this, fd, ...rest);
  add(fdPath(fd), n);
  return n;
};
const origWriteCb = fs.write;
fs.write = function (fd, ...rest) {
  const cb = rest.pop();
  return origWriteCb.call(this, fd, ...rest, (err, n, ...more) => {
    if (!err) add(fdPath(fd), n);
    cb(err, n, ...more);
  });
};
syncBuiltinESMExports();

process.on('exit', () => {
  if (out) fs.writeFileSync(out, JSON.stringify(totals));
});
