// The resolved places a command works with, printed at its start so an operator sees at once which config was
// read, where state is kept and where documents go (paths resolved against the config file's folder).

import path from 'node:path';
import type { LoadedConfig } from '../config/load-config.js';

/** A URL without its credentials (user:password@ is masked). */
export function maskUrl(u: string): string {
  try {
    const url = new URL(u);
    if (url.username || url.password) {
      url.username = '***';
      url.password = '';
    }
    return url.toString().replace(/\/$/, '');
  } catch {
    return u.replace(/\/\/[^/@]*@/, '//***@');
  }
}

export function whereLines(loaded: LoadedConfig): string[] {
  const { config, baseDir } = loaded;
  const outs: string[] = [];
  const es = config.outputs.elasticsearch;
  if (es)
    outs.push(
      `elasticsearch ${es.cloudId !== undefined ? '(Elastic Cloud id)' : (es.hosts ?? []).map(maskUrl).join(', ')}`,
    );
  if (config.outputs.file) outs.push(`file ${path.resolve(baseDir, config.outputs.file.path)}`);
  if (config.outputs.stdout.alerts) outs.push('console (alerts)');
  return [
    `config: ${loaded.file ?? 'embedded default'}`,
    `data folder: ${path.resolve(baseDir, config.dataDir)} (checkpoints, spool, dead letters, own log)`,
    `outputs: ${outs.join('; ')}`,
  ];
}
