// The agent: wires configuration, inputs, the pure pipeline (formats, enrichment, detection) and outputs, and
// owns the process lifecycle (start, graceful stop within a deadline, one-shot replay). This is the only
// module that knows every stage; the stages only know the contracts in src/pipeline/.

import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { LoadedConfig } from '../config/load-config.js';
import { loadRules } from '../config/rules-loader.js';
import { DetectionEngine } from '../detect/engine.js';
import { agentMetadataEnricher, withAlertStamp } from '../enrich/agent-metadata.js';
import { defaultEnrichers } from '../enrich/index.js';
import { loadAgentIdentity } from '../inputs/agent-identity.js';
import { FileInput, Registry, type InputSummary } from '../inputs/index.js';
import { StateJournal } from '../inputs/state-journal.js';
import { createFileHandlerFactory } from '../normalize/formats/handler-factory.js';
import { ALL_FORMATS } from '../normalize/formats/index.js';
import { DeadLetterFile } from '../outputs/dead-letter/dead-letter-file.js';
import { FanoutSink } from '../outputs/fanout-sink.js';
import {
  replayDeadLetters,
  type ReplayDeadLettersResult,
} from '../outputs/dead-letter/replay-dead-letters.js';
import type { DeliverySink } from '../outputs/delivery/delivery-sink.js';
import { createElasticsearchOutput } from '../outputs/elasticsearch/elasticsearch-output.js';
import { FileOutput } from '../outputs/file/file-output.js';
import { StdoutAlerts } from '../outputs/stdout/stdout-alerts.js';
import { TallySink, type Tally } from '../outputs/tally-sink.js';
import type { ShippableDocument } from '../pipeline/document.types.js';
import { CASGUARD_VERSION } from '../pipeline/agent-metadata.types.js';
import { activeRedactor, isCredentialName, redactShippable } from '../pipeline/redact.js';
import type { Detector, DocumentSink, Enricher } from '../pipeline/stages.types.js';
import { ECS_VERSION } from '../setup/ecs-fields.generated.js';
import type { FileInputConfig } from '../inputs/file-input.config.js';
import {
  detectStateRestoreFailed,
  detectStateSaved,
  detectStateSaveFailed,
} from '../telemetry/detect-events.js';
import { healthConditions } from '../telemetry/health.js';
import { HealthWatch } from './health-watch.js';
import { createAgentLogger, type AgentLogger } from '../telemetry/logger.js';
import { describeError } from '../pipeline/errors.js';
import { startMetricsServer, type MetricsServer } from '../telemetry/metrics-server.js';

export interface AgentOptions {
  readonly loaded: LoadedConfig;
  /** Prints one line for a human (alerts, summaries). */
  readonly print: (line: string) => void;
  /** Override the format of every input (replay --format). */
  readonly format?: string;
  /** Start the /metrics and /health endpoint (run mode). */
  readonly metrics?: boolean;
  /**
   * One-shot backfill: checkpoints go to a throw-away registry so the files are read from their start even if
   * the service already shipped them (deterministic ids make the re-send harmless).
   */
  readonly replay?: boolean;
}

export interface ReplaySummary {
  readonly files: number;
  readonly records: number;
  readonly documents: number;
  readonly deadLetters: number;
  readonly inputs: InputSummary[];
}

/** Dead letters written by this agent, by the stage that gave up. */
export interface DeadLetterTally {
  /** Records that never became documents (framing or parsing). */
  readonly records: number;
  /** Documents an output refused (never stored). */
  readonly documents: number;
}

/** Time allowed for a graceful stop before the process exits anyway (service stop timeouts are above it). */
export const STOP_DEADLINE_MS = 4000;
/**
 * Part of the stop deadline kept for after the outputs' flush: aborting the Elasticsearch requests still in
 * flight (their documents go to the spool), closing the outputs, the dead letters, the checkpoints and the log.
 */
const STOP_RESERVE_MS = 1200;
/**
 * How long into a stop Elasticsearch may still answer. Then its requests are aborted and what it has not
 * acknowledged goes to the spool, so the inputs' wait for acknowledgements ends well before the deadline (a
 * slow cluster made 23 of 61 stops hang until the hard deadline and exit 3).
 */
const ES_STOP_GRACE_MS = STOP_DEADLINE_MS - 2000;

let machineZone: string | undefined;
/** The machine's IANA zone, looked up once and only when a parser needs it (see HandlerFactoryOptions.timezone). */
function localTimeZone(): string {
  return (machineZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone);
}

/** Registry extra that held the detection engine's state before it got files of its own (read once, dropped). */
const LEGACY_DETECT_STATE = 'detect';
/** Name of the detection state's files in the registry folder (`detect-state.base`, `detect-state.journal`). */
const DETECT_STATE_FILES = 'detect-state';
/**
 * How often the detection state is saved. Each save appends only the keys that changed since the previous one
 * (state-journal.ts), so a large state costs what changes, not its size.
 */
const DETECT_SAVE_INTERVAL_MS = 2000;
/**
 * How often (wall clock) pending alert updates are shipped while tailing, so a storm that goes quiet on an
 * otherwise idle server still gets its final count out. The engine's own update policy (every N events or T of
 * event time) governs busy periods; this only bounds how stale a quiet alert can be.
 */
const DETECT_FLUSH_INTERVAL_MS = 60_000;

export class Agent {
  private readonly inputs: FileInput[] = [];
  private metricsServer: MetricsServer | undefined;
  private healthWatch: HealthWatch | undefined;
  private stopping: Promise<void> | undefined;
  private detectTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  /** The detection engine with the agent metadata stamped on every alert it returns. */
  private readonly detector: Detector | undefined;
  private savingState: Promise<void> | undefined;

  private constructor(
    private readonly opts: AgentOptions,
    readonly logger: AgentLogger,
    private readonly registry: Registry,
    private readonly sink: DocumentSink,
    private readonly deadLetters: DeadLetterFile,
    readonly dataDir: string,
    private readonly scratchDir: string | undefined,
    private readonly engine: DetectionEngine | undefined,
    private readonly esSink: DeliverySink | undefined,
    /** Sets `ecs.version` and `agent.*`; the last enricher, and applied to every alert. */
    private readonly stamp: Enricher,
    private readonly stateJournal: StateJournal | undefined,
    private readonly tallySink: TallySink,
    private readonly letterTally: { records: number; documents: number },
  ) {
    this.detector = engine ? withAlertStamp(engine, stamp) : undefined;
  }

  static async create(opts: AgentOptions): Promise<Agent> {
    const { config, baseDir } = opts.loaded;
    const dataDir = path.resolve(baseDir, config.dataDir);
    // The agent's own log goes through the same redactor as documents (the CLI installed the site's additions).
    const redactor = activeRedactor();
    const logger = createAgentLogger(config.logging, dataDir, {
      redaction: {
        redact: (text) => redactor.text(text),
        isSecretKey: (key) => isCredentialName(key, 'field'),
      },
    });
    for (const note of opts.loaded.notes) logger.info(note);
    // Same data folder, same agent.id: also for `replay`, whose registry is a throw-away one.
    const identity = await loadAgentIdentity(dataDir, logger.child({ component: 'identity' }));
    const stamp = agentMetadataEnricher({
      ecsVersion: ECS_VERSION,
      id: identity.id,
      name: config.agent.name ?? hostname(),
      version: CASGUARD_VERSION,
    });
    const registryDir = opts.replay ? path.join(dataDir, 'replay', `${process.pid}-${Date.now()}`) : dataDir;
    const registry = await Registry.open(registryDir, logger.child({ component: 'registry' }));
    const letterTally = { records: 0, documents: 0 };
    const deadLetters = new DeadLetterFile({
      dir: path.join(dataDir, 'dead-letter'),
      maxFileBytes: config.deadLetter.maxFileBytes,
      maxFiles: config.deadLetter.maxFiles,
      logger: logger.child({ component: 'dead-letter' }),
      onWrite: (letter) => {
        if (letter.stage === 'output') letterTally.documents += 1;
        else letterTally.records += 1;
      },
    });
    const sinks: DocumentSink[] = [];
    const outputs = config.outputs;
    const namespace = outputs.elasticsearch?.namespace ?? 'default';
    // The Elasticsearch output warns by itself at every start when TLS verification is off.
    let esSink: DeliverySink | undefined;
    if (outputs.elasticsearch) {
      esSink = createElasticsearchOutput(outputs.elasticsearch, { dataDir, deadLetters, logger });
      sinks.push(esSink);
    }
    if (outputs.file) {
      sinks.push(
        new FileOutput(
          { ...outputs.file, path: path.resolve(baseDir, outputs.file.path) },
          { namespace, logger: logger.child({ component: 'output', output: 'file' }) },
        ),
      );
    }
    if (outputs.stdout.alerts) sinks.push(new StdoutAlerts(opts.print));
    if (sinks.length === 0) throw new Error('no output configured');
    const sink = new TallySink(sinks.length === 1 ? sinks[0]! : new FanoutSink(sinks));
    let detector: DetectionEngine | undefined;
    let stateJournal: StateJournal | undefined;
    if (config.detect.enabled) {
      const rules = loadRules(config.rules === undefined ? undefined : path.resolve(baseDir, config.rules));
      const detectLogger = logger.child({ component: 'detect' });
      detector = new DetectionEngine(rules.rules, {
        maxKeysPerRule: config.detect.maxKeysPerRule,
        maxFutureSkewMs: config.detect.maxFutureSkewMs,
        namespace: outputs.elasticsearch?.namespace ?? 'default',
        logger: detectLogger,
      });
      // A replay neither resumes nor saves windows (its registry is thrown away).
      if (!opts.replay) {
        const opened = await StateJournal.open(registry.dir, DETECT_STATE_FILES);
        stateJournal = opened.journal;
        const { entries, problem } = opened.load;
        if (problem)
          detectStateRestoreFailed(
            detectLogger,
            `${problem.path}: ${problem.error} (kept as ${problem.keptAs})`,
          );
        const legacy = registry.getExtra(LEGACY_DETECT_STATE);
        if (entries.size > 0) detector.restoreEntries(entries);
        else if (legacy !== undefined) detector.restore(legacy);
        // The registry no longer carries the state (it made every checkpoint flush rewrite it).
        if (legacy !== undefined) registry.setExtra(LEGACY_DETECT_STATE, undefined);
      }
      logger.info('detection rules loaded', { rules: rules.rules.length, source: rules.source });
    }
    return new Agent(
      opts,
      logger,
      registry,
      sink,
      deadLetters,
      dataDir,
      opts.replay ? registryDir : undefined,
      detector,
      esSink,
      stamp,
      stateJournal,
      sink,
      letterTally,
    );
  }

  /** Documents and alerts pushed to the outputs so far. */
  get tally(): Tally {
    return this.tallySink.tally;
  }

  /** Dead letters written so far, by stage. */
  get deadLetterTally(): DeadLetterTally {
    return { ...this.letterTally };
  }

  /** Path of the dead-letter file (for messages). */
  get deadLetterFile(): string {
    return this.deadLetters.file;
  }

  private buildInputs(): void {
    const { config, baseDir } = this.opts.loaded;
    const tz = config.timezone ?? localTimeZone;
    for (const inputConfig of config.inputs) {
      const cfg: FileInputConfig = this.opts.format
        ? { ...inputConfig, format: this.opts.format }
        : inputConfig;
      const handlerFactory = createFileHandlerFactory({
        formats: ALL_FORMATS,
        format: cfg.format,
        timezone: cfg.timezone ?? tz,
        observerHostname: hostname().split('.')[0]!.toLowerCase(),
        easLogTokens: cfg.easLogTokens,
        deps: {
          enrichers: [...defaultEnrichers, this.stamp],
          ...(this.detector ? { detector: this.detector } : {}),
        },
      });
      this.inputs.push(
        new FileInput(cfg, {
          baseDir,
          handlerFactory,
          sink: this.sink,
          deadLetters: this.deadLetters,
          registry: this.registry,
          logger: this.logger.child({ component: 'input', input: cfg.id }),
        }),
      );
    }
  }

  /** Tail every input until stop(). */
  async start(): Promise<void> {
    const { config } = this.opts.loaded;
    if (this.opts.metrics && config.metrics.enabled) {
      try {
        // Degraded while a condition lasts (e.g. a disk outage of one of the agent's files, disk:<path>).
        this.metricsServer = await startMetricsServer(config.metrics.listen, () => {
          const conditions = healthConditions();
          return {
            ok: this.stopping === undefined && Object.keys(conditions).length === 0,
            details: {
              ...(this.stopping !== undefined ? { stopping: true } : {}),
              ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
            },
          };
        });
        this.logger.info('metrics endpoint listening', { address: this.metricsServer.address });
        const es = config.outputs.elasticsearch;
        this.healthWatch = new HealthWatch({
          logger: this.logger.child({ component: 'health' }),
          deadLetters: () => this.deadLetters.written,
          deadLetterFile: () => this.deadLetters.file,
          spoolMaxBytes: es?.spool.maxBytes,
          spoolThresholdPercent: config.metrics.healthSpoolPercent,
          deadLetterWindowMs: config.metrics.healthDeadLetterWindowMs,
        });
        this.healthWatch.start();
      } catch (err) {
        this.logger.warn('metrics endpoint could not start; continuing without it', {
          listen: config.metrics.listen,
          error: String(err),
        });
      }
    }
    this.buildInputs();
    if (this.detector) {
      this.detectTimer = setInterval(() => void this.saveDetectState(), DETECT_SAVE_INTERVAL_MS);
      this.detectTimer.unref();
      const detector = this.detector;
      this.flushTimer = setInterval(() => this.pushAlerts(detector.flush()), DETECT_FLUSH_INTERVAL_MS);
      this.flushTimer.unref();
    }
    await Promise.all(this.inputs.map((i) => i.start()));
    this.logger.info('casguard started', { inputs: this.inputs.length, dataDir: this.dataDir });
  }

  /** Read the given files (or every configured path) once to the end; resolves when all is settled. */
  async replay(files: readonly string[]): Promise<ReplaySummary> {
    this.buildInputs();
    const summaries: InputSummary[] = [];
    for (const input of this.inputs) {
      summaries.push(await input.runOnce(files.length > 0 ? [...files] : undefined));
      if (files.length > 0) break; // explicit files are read once, by the first input's settings
    }
    // A backfill ends: windows that are still open are closed so their alerts carry the final counts.
    this.pushAlerts(this.detector?.flush() ?? []);
    await this.settleEverything();
    return {
      files: summaries.reduce((n, s) => n + s.files, 0),
      records: summaries.reduce((n, s) => n + s.records, 0),
      documents: summaries.reduce((n, s) => n + s.documents, 0),
      deadLetters: this.deadLetters.written,
      inputs: summaries,
    };
  }

  /**
   * Re-send the documents of dead-letter files (default: every file under <dataDir>/dead-letter) after the
   * cause is fixed, e.g. a mapping corrected by `casguard setup`.
   */
  async replayDeadLetters(paths: readonly string[]): Promise<ReplayDeadLettersResult[]> {
    const targets = paths.length > 0 ? paths : [path.join(this.dataDir, 'dead-letter')];
    const before = this.deadLetters.written;
    const results: ReplayDeadLettersResult[] = [];
    for (const t of targets)
      results.push(
        await replayDeadLetters(t, this.sink, {
          keep: this.deadLetters,
          settle: () => this.settleEverything(),
        }),
      );
    await this.settleEverything();
    this.deadLettersAgain = this.deadLetters.written - before;
    return results;
  }

  /** Dead letters written again during replayDeadLetters(). */
  deadLettersAgain = 0;

  /** Everything pushed is delivered or dead-lettered (spooled is not enough for a one-shot command). */
  private async settleEverything(): Promise<void> {
    await this.sink.flush();
    if (this.esSink) await this.esSink.idle();
    await this.deadLetters.flush();
  }

  /** Save what changed in the detection state since the last save (one save at a time). */
  private saveDetectState(): Promise<void> {
    const detector = this.engine;
    const journal = this.stateJournal;
    if (!detector || !journal) return Promise.resolve();
    this.savingState ??= Promise.resolve()
      .then(() => journal.write(detector.stateChanges(journal.needsFull)))
      .then(
        (written) => detectStateSaved(written, journal.bytes),
        (err: unknown) =>
          detectStateSaveFailed(this.logger, { path: journal.journalPath, error: describeError(err) }),
      )
      .finally(() => {
        this.savingState = undefined;
      });
    return this.savingState;
  }

  private pushAlerts(alerts: readonly ShippableDocument[]): void {
    // Alerts are built from redacted documents; redacting them again costs little (they are few) and keeps
    // the promise independent of how a rule copies fields.
    for (const a of alerts) this.sink.push(redactShippable(a), () => undefined);
  }

  /** Graceful stop: stop reading, settle what is in flight, commit checkpoints, close outputs and logs. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const deadline = Date.now() + STOP_DEADLINE_MS;
    const left = (): number => Math.max(100, deadline - Date.now());
    /** Waits for `p` at most until the deadline, less `reserveMs` kept for the steps after it. */
    const bounded = async (what: string, p: Promise<unknown>, reserveMs = 0): Promise<void> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(100, left() - reserveMs));
      });
      const r = await Promise.race([p.then(() => 'ok' as const), timeout]).catch((err: unknown) => {
        this.logger.error(`${what} failed during shutdown`, { error: String(err) });
        return 'error' as const;
      });
      clearTimeout(timer);
      if (r === 'timeout')
        this.logger.warn(
          `${what} did not finish before the stop deadline; undelivered records will be re-read at start`,
        );
    };
    const esSink = this.esSink;
    const esAbort = esSink
      ? setTimeout(() => void esSink.abort().catch(() => undefined), ES_STOP_GRACE_MS)
      : undefined;
    await bounded('stopping inputs', Promise.all(this.inputs.map((i) => i.stop())));
    if (this.detectTimer) clearInterval(this.detectTimer);
    this.healthWatch?.stop();
    if (this.flushTimer) clearInterval(this.flushTimer);
    // Ship the latest version of every alert that changed since it was last shipped.
    if (this.detector && !this.opts.replay) this.pushAlerts(this.detector.flush());
    await bounded(
      'saving detection state',
      (this.savingState ?? Promise.resolve()).then(() => this.saveDetectState()),
    );
    if (this.stateJournal) await bounded('closing detection state', this.stateJournal.close());
    await bounded('flushing outputs', this.sink.flush(), STOP_RESERVE_MS);
    // Whatever Elasticsearch has not answered by now goes to the spool (acknowledged there), and no request,
    // socket or retry timer is left to keep the process alive after the stop.
    clearTimeout(esAbort);
    if (esSink) await bounded('stopping Elasticsearch requests', esSink.abort());
    await bounded('closing outputs', this.sink.close());
    await bounded('closing dead letters', this.deadLetters.close());
    await bounded('saving checkpoints', this.registry.close());
    if (this.metricsServer) await bounded('closing metrics endpoint', this.metricsServer.close());
    if (this.scratchDir) await rm(this.scratchDir, { recursive: true, force: true }).catch(() => undefined);
    this.logger.info('casguard stopped');
    await this.logger.close(Math.min(1000, left()));
  }
}
