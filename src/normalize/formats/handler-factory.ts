// Chooses a format for each file and builds its FileProcessor. With `format: auto` every known format rates
// the file's first bytes and name; the most confident wins, and a file nobody recognises is skipped (the
// input reports it). A named format is used as given.

import { FileProcessor, type ProcessorDeps } from '../../pipeline/processor.js';
import type { RecordSource } from '../../pipeline/record.types.js';
import type {
  FileContext,
  FileHandler,
  FileHandlerFactory,
  FormatDefinition,
} from '../../pipeline/stages.types.js';

export interface HandlerFactoryOptions {
  readonly formats: readonly FormatDefinition[];
  /** 'auto' or a format name. */
  readonly format: string;
  /**
   * Zone assumed for local times (FileContext.timezone), or a function giving it. A function is called only
   * when a parser first reads the zone: finding the machine's zone loads ICU's time-zone data (about 7 MiB
   * resident), which an agent that reads only UTC logs (IIS, HttpProxy) never needs.
   */
  readonly timezone: string | (() => string);
  readonly observerHostname: string;
  /** See FileContext.easLogTokens. */
  readonly easLogTokens?: boolean;
  /** See FileContext.preserveOriginalEvent. */
  readonly preserveOriginalEvent?: boolean;
  /** See FileContext.idScope. */
  readonly idScope?: string;
  readonly deps: ProcessorDeps;
}

/** The best format for a file's head, or undefined. */
export function detectFormat(
  formats: readonly FormatDefinition[],
  head: string,
  fileName: string,
): FormatDefinition | undefined {
  let best: FormatDefinition | undefined;
  let bestScore = 0;
  for (const f of formats) {
    let score = 0;
    try {
      score = f.detect(head, fileName);
    } catch {
      score = 0;
    }
    if (score > bestScore) {
      best = f;
      bestScore = score;
    }
  }
  return best;
}

export function findFormat(formats: readonly FormatDefinition[], name: string): FormatDefinition | undefined {
  return formats.find((f) => f.name === name);
}

export function createFileHandlerFactory(opts: HandlerFactoryOptions): FileHandlerFactory {
  const named = opts.format === 'auto' ? undefined : findFormat(opts.formats, opts.format);
  if (opts.format !== 'auto' && !named) {
    throw new Error(
      `unknown format '${opts.format}' (known: auto, ${opts.formats.map((f) => f.name).join(', ')})`,
    );
  }
  return (source: RecordSource, head: string): FileHandler | undefined => {
    const fileName = source.path.split(/[\\/]/).pop() ?? source.path;
    const format = named ?? detectFormat(opts.formats, head, fileName);
    if (!format) return undefined;
    const zone = opts.timezone;
    const ctx: FileContext = {
      source,
      get timezone(): string {
        return typeof zone === 'string' ? zone : zone();
      },
      observerHostname: opts.observerHostname,
      ...(opts.easLogTokens === true ? { easLogTokens: true } : {}),
      ...(opts.preserveOriginalEvent === true ? { preserveOriginalEvent: true } : {}),
      ...(opts.idScope !== undefined ? { idScope: opts.idScope } : {}),
    };
    const proc = new FileProcessor(format, ctx, opts.deps);
    return {
      formatName: format.name,
      framing: format.framing,
      process: (record) => proc.process(record),
      snapshot: () => proc.snapshot(),
      restore: (state) => proc.restore(state),
    };
  };
}
