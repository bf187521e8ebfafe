// Shared shapes of the file input's parts (file-input.ts wires them): the state of one file identity being read
// (`Tail`), what is known about a path (`PathInfo`), and the context the parts share (`InputContext`).

import type { BigIntStats, ReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { Gunzip } from 'node:zlib';
import type { Framer, TextEncoding } from '../framing/framer.types.js';
import type { AckTracker } from '../pipeline/ack-tracker.js';
import type { FramingKind, RecordSource } from '../pipeline/record.types.js';
import type {
  DeadLetterSink,
  DocumentSink,
  FileHandler,
  FileHandlerFactory,
} from '../pipeline/stages.types.js';
import type { Logger } from '../telemetry/logger.types.js';
import type { FileInputConfig } from './file-input.config.js';
import type { ParserStateIntern } from './parser-state-intern.js';
import type { ProcessedTurnSource } from './processed-turns.js';
import type { Checkpoint, Registry } from './registry.js';
import type { UnreadablePaths } from './unreadable-paths.js';

export interface FileInputDeps {
  /** Relative paths in the config are resolved against this folder. */
  readonly baseDir: string;
  readonly handlerFactory: FileHandlerFactory;
  readonly sink: DocumentSink;
  readonly deadLetters: DeadLetterSink;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Passed through for handler factories that want it; the input itself does not interpret times. */
  readonly timezone?: string;
}

export interface InputSummary {
  readonly files: number;
  readonly records: number;
  readonly documents: number;
  readonly deadLetters: number;
  readonly bytesRead: number;
  /** Files no format recognised (or that could not be read). */
  readonly skipped: string[];
  /** Files not read because they have the same identity as another file in the run. */
  readonly duplicates: string[];
  /**
   * Files whose reading stopped at an error before their end (worker threads: a file that could not be opened
   * or read), with the offset reached: the rest of each was not replayed.
   */
  readonly stopped: { readonly path: string; readonly offset: number; readonly error: string }[];
  /** The records were processed by RunOnceOptions.processed (worker threads). */
  readonly processedElsewhere?: boolean;
}

export interface RunOnceOptions {
  /** Start at the registry's checkpoints instead of the beginning of each file (default false). */
  readonly resume?: boolean;
  /**
   * Process the files' records elsewhere (parallel replay, cli/parallel-replay/): used when every file is a
   * plain (not gzip) file with a format; otherwise the files are read as usual.
   */
  readonly processed?: ProcessedTurnSource;
}

/** How a path is being looked at: a replay reads whole files from the start and completes them. */
export interface InspectOptions {
  readonly replay: boolean;
  readonly forceComplete: boolean;
}

export interface PathInfo {
  ino: string;
  size: number;
  /** The reader (identity key) this path belongs to. */
  key?: string;
  dupOf?: string;
  unrecognised?: boolean;
  headLen?: number;
}

/** What a probe learned about a path. */
export interface Probe {
  readonly missing: boolean;
  readonly st?: BigIntStats;
  readonly head?: Buffer;
  readonly compressed?: boolean;
  readonly error?: string;
  /** The error's code (EACCES, EPERM, ...) when the path exists but could not be opened or read. */
  readonly errorCode?: string;
}

export interface GzipState {
  readonly src: ReadStream;
  readonly gunzip: Gunzip;
  readonly iter: AsyncIterator<unknown>;
  /** Decompressed bytes seen so far. */
  pos: number;
}

/** One file identity being read. */
export interface Tail {
  readonly key: string;
  readonly cp: Checkpoint;
  readonly kind: FramingKind;
  readonly encoding: TextEncoding;
  /** The file's parser and mapper; dropped while the file is idle and settled (parked), made again on growth. */
  handler?: FileHandler;
  readonly tracker: AckTracker;
  readonly replay: boolean;
  /**
   * The registry put that made this identity, while it is not known to be on disk: no record is read (so no
   * document carrying the identity leaves) before it is. An identity taken over a file's first bytes while the
   * file was small (a new IIS log holds only its header) cannot be found again after a crash otherwise: the
   * restarted agent would take it over more bytes and send every record again under other ids.
   */
  identityPut?: number;
  path: string;
  ino: string;
  compressed: boolean;
  source: RecordSource;
  fh?: FileHandle;
  gz?: GzipState;
  framer?: Framer;
  /** Next byte to feed the framer (decompressed offset for gzip). */
  pos: number;
  /**
   * The furthest offset read so far. A parked reader goes back to its acknowledged offset and reads the bytes
   * after it again (an export's closing line end, a partial line): reading up to here again is not growth.
   */
  readEnd: number;
  committed: number;
  size: number;
  /** The last bytes read, ending at `lastBytesEnd` (checked when the file changes size: still the same data?). */
  lastBytes?: Buffer;
  lastBytesEnd?: number;
  lastGrowthAt: number;
  lastUsedAt: number;
  nextCheckAt: number;
  idleRounds: number;
  /** The path no longer names this file (renamed away or deleted); drain then finish. */
  gone: boolean;
  /** Truncated or replaced in place: no file to read until a copy with this identity turns up. */
  orphanSince?: number;
  /** The framer was ended at `pos` (the file was complete there). */
  ended: boolean;
  /** Nothing more will be read; dropped once its records are settled. */
  finished: boolean;
  /**
   * A replay (`replay`) gives up on a file at a read error, as its worker threads do: the error, for the replay's
   * summary. Tailing (`run`) tries again later instead.
   */
  readError?: string;
  busy: boolean;
  lastState: unknown;
  lastStateJson: string | undefined;
  committedStateJson: string | undefined;
  stateChanges: { end: number; json: string | undefined }[];
  records: number;
  documents: number;
  deadLetters: number;
}

/** State the parts of one file input share. */
export interface InputContext {
  readonly id: string;
  readonly config: FileInputConfig;
  readonly deps: FileInputDeps;
  readonly log: Logger;
  /** Readers by identity key. */
  readonly tails: Map<string, Tail>;
  /** What is known about each discovered path. */
  readonly paths: Map<string, PathInfo>;
  /** Paths to look at on the next turn. */
  readonly hints: Set<string>;
  /**
   * New paths that wait, as their path only, until a reader slot is free (a backlog of thousands of files is
   * read a bounded number of files at a time); looked at in the order they were found.
   */
  readonly waiting: Set<string>;
  /** Files present at start (`startAt: end` applies to them only; files created later are read whole). */
  readonly startupFiles: Set<string>;
  /** The sink asked to stop pushing (push returned false) until it drains. */
  blocked: boolean;
  stopping: boolean;
  bytesRead: number;
  /** Files and folders that exist but may not be read (reported once, /health). */
  readonly unreadable: UnreadablePaths;
  /** Parser states shared between checkpoints. */
  readonly states: ParserStateIntern;
  /** Wake the input's loop (a path needs looking at). */
  wake(): void;
}
