// The agent: wires configuration, inputs, the pure pipeline (formats, enrichment, detection) and outputs, and
// owns the process lifecycle (start, graceful stop within a deadline, one-shot replay). This is the only
// module that knows every stage; the stages only know the contracts in src/pipeline/.

import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { CasguardConfig } from '../config/config.schema.js';
import type { LoadedConfig } from '../config/load-config.js';
import { loadRules } from '../config/rules-loader.js';
import { fillTemplate } from '../detect/alert-document.js';
import { DetectionEngine } from '../detect/engine.js';
import type { Rule } from '../detect/rule.schema.js';
import { agentMetadataEnricher, withAlertStamp } from '../enrich/agent-metadata.js';
import { defaultEnrichers } from '../enrich/index.js';
import { loadAgentIdentity } from '../inputs/agent-identity.js';
import {
  AGENT_OWN_DESCRIPTORS,
  FileInput,
  fitOpenFiles,
  openFileLimit,
  Registry,
  type InputSummary,
} from '../inputs/index.js';
import { StateJournal } from '../inputs/state-journal.js';
import { createFileHandlerFactory } from '../normalize/formats/handler-factory.js';
import { ALL_FORMATS } from '../normalize/formats/index.js';
import { DeadLetterFile } from '../outputs/dead-letter/dead-letter-file.js';
import { FanoutSink } from '../outputs/fanout-sink.js';
import {
  AgentStatusWriter,
  EventTimes,
  fileLag,
  folderBytes,
  ObservedSink,
  type AgentState,
  type OutputHealth,
} from '../outputs/array/agent-status.js';
import { ArrayAlertSink } from '../outputs/array/array-alert-sink.js';
import { sharesIndexName } from '../outputs/array/array.config.js';
import { EsDocStore } from '../outputs/array/doc-store.js';
import { spoolDir } from '../outputs/elasticsearch/elasticsearch-output.js';
import { agentsIndexName } from '../setup/agent-status-fields.js';
import {
  replayDeadLetters,
  type ReplayDeadLettersResult,
} from '../outputs/dead-letter/replay-dead-letters.js';
import type { DeliverySink } from '../outputs/delivery/delivery-sink.js';
import { createElasticsearchOutput } from '../outputs/elasticsearch/elasticsearch-output.js';
import { createEsClient } from '../outputs/elasticsearch/es-client.js';
import { KnownIdsFilter } from '../outputs/elasticsearch/known-ids-filter.js';
import { targetName } from '../outputs/elasticsearch/targets.js';
import { FileOutput } from '../outputs/file/file-output.js';
import { StdoutAlerts } from '../outputs/stdout/stdout-alerts.js';
import { TallySink, type Tally } from '../outputs/tally-sink.js';
import type { EcsDocument, JsonValue, ShippableDocument } from '../pipeline/document.types.js';
import { AGENT_TYPE, CASGUARD_VERSION, type AgentMetadata } from '../pipeline/agent-metadata.types.js';
import { activeRedactor, isCredentialName, redactShippable } from '../pipeline/redact.js';
import { SettleGate } from '../pipeline/settle-gate.js';
import type { Detector, DocumentSink, Enricher } from '../pipeline/stages.types.js';
import { ECS_VERSION } from '../setup/ecs-fields.generated.js';
import type { FileInputConfig } from '../inputs/file-input.config.js';
import {
  detectStateRestoreFailed,
  detectStateSaved,
  detectStateSaveFailed,
} from '../telemetry/detect-events.js';
import { healthConditions } from '../telemetry/health.js';
import { openFilesAboveProcessLimit } from '../telemetry/input-events.js';
import { HealthWatch } from './health-watch.js';
import { WorkerTurnSource } from './parallel-replay/worker-turn-source.js';
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
  /** Worker threads that processed the files (0: none, the records were processed on the main thread). */
  readonly workers: number;
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

/**
 * The document shapes replay workers make for these outputs (worker-protocol.ts WorkerInit.shapes): `full` for
 * the file output and an Elasticsearch output that sends the stream constants, `wire` for one that leaves them
 * out. The other outputs take alerts only, which the main thread makes.
 */
export function serializedShapes(outputs: CasguardConfig['outputs']): { full: boolean; wire: boolean } {
  const es = outputs.elasticsearch;
  const wire = es !== undefined && !es.sendStreamConstants;
  return { full: outputs.file !== undefined || (es !== undefined && es.sendStreamConstants) || !wire, wire };
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

/** Array mode and fleet view pieces (README "Array mode"); all optional but the event times. */
interface FleetParts {
  readonly arraySink: ArrayAlertSink | undefined;
  readonly store: EsDocStore | undefined;
  readonly eventTimes: EventTimes;
  readonly arrayName: string;
  readonly agent: { readonly id: string; readonly name: string };
  readonly startedAt: string;
  status: AgentStatusWriter | undefined;
  readonly gate: SettleGate | undefined;
}

/** Re-fills a rule's message template from a merged alert document. */
function messageRenderer(rules: readonly Rule[]): (doc: EcsDocument) => string | undefined {
  const byId = new Map(rules.map((r) => [r.id, r.message.trim()]));
  return (doc) => {
    const rule = doc['rule'];
    const id = rule && typeof rule === 'object' && !Array.isArray(rule) ? rule['id'] : undefined;
    const template = typeof id === 'string' ? byId.get(id) : undefined;
    return template === undefined ? undefined : fillTemplate(template, doc);
  };
}

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
    private readonly knownIds: KnownIdsFilter | undefined,
    private readonly fleet: FleetParts,
    private readonly tallySink: TallySink,
    private readonly letterTally: { records: number; documents: number },
    /** What the stamp enricher sets (replay workers build their own stamp from it). */
    private readonly meta: AgentMetadata,
  ) {
    this.detector = engine ? withAlertStamp(engine, stamp) : undefined;
  }

  /** Documents a replay did not re-send because the cluster already held their id (any backing index). */
  get alreadyStored(): number {
    return this.knownIds?.skipped ?? 0;
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
    const meta: AgentMetadata = {
      ecsVersion: ECS_VERSION,
      id: identity.id,
      name: config.agent.name ?? hostname(),
      version: CASGUARD_VERSION,
    };
    const stamp = agentMetadataEnricher(meta);
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
    const localSinks: DocumentSink[] = [];
    const outputs = config.outputs;
    const namespace = outputs.elasticsearch?.namespace ?? 'default';
    // The Elasticsearch output warns by itself at every start when TLS verification is off.
    let esSink: DeliverySink | undefined;
    let knownIds: KnownIdsFilter | undefined;
    if (outputs.elasticsearch) {
      esSink = createElasticsearchOutput(outputs.elasticsearch, { dataDir, deadLetters, logger });
      if (opts.replay) {
        // A backfill skips the documents the streams already hold in any backing index (issue 13, finding 5).
        const es = outputs.elasticsearch;
        knownIds = new KnownIdsFilter(esSink, {
          client: createEsClient(es, logger, 'elasticsearch').client,
          targetFor: (d) => targetName(d.stream, es.namespace),
          logger: logger.child({ component: 'output', output: 'elasticsearch' }),
        });
        sinks.push(knownIds);
      } else sinks.push(esSink);
    }
    if (outputs.file) {
      localSinks.push(
        new FileOutput(
          { ...outputs.file, path: path.resolve(baseDir, outputs.file.path) },
          { namespace, logger: logger.child({ component: 'output', output: 'file' }) },
        ),
      );
    }
    if (outputs.stdout.alerts) localSinks.push(new StdoutAlerts(opts.print));
    sinks.push(...localSinks);
    if (sinks.length === 0) throw new Error('no output configured');
    const fan = (xs: DocumentSink[]): DocumentSink | undefined =>
      xs.length === 0 ? undefined : xs.length === 1 ? xs[0]! : new FanoutSink(xs);
    const rules = config.detect.enabled
      ? loadRules(config.rules === undefined ? undefined : path.resolve(baseDir, config.rules))
      : undefined;
    // Array mode (README "Array mode"): alerts merged across the agents of the array in Elasticsearch, and the
    // agents' status documents. Only with the Elasticsearch output.
    const arrayName = config.array.name ?? namespace;
    const agentName = config.agent.name ?? hostname();
    let store: EsDocStore | undefined;
    let arraySink: ArrayAlertSink | undefined;
    let sink = fan(sinks)!;
    if (outputs.elasticsearch && config.array.enabled) {
      const { client, scrub } = createEsClient(outputs.elasticsearch, logger, 'elasticsearch-array');
      store = new EsDocStore(client, scrub, Math.min(outputs.elasticsearch.requestTimeoutMs, 30_000));
      arraySink = new ArrayAlertSink({
        store,
        target: {
          sharesIndex: sharesIndexName(namespace),
          alertsIndex: targetName('alerts', namespace),
          array: arrayName,
          render: messageRenderer(rules?.rules ?? []),
          now: Date.now,
        },
        namespace,
        // Also for `replay`: what a replay could not merge is merged by the next run (same agent, same shares).
        outboxDir: path.join(dataDir, 'array-outbox'),
        deadLetters,
        events: sink,
        ...(localSinks.length > 0 ? { local: fan(localSinks)! } : {}),
        retry: outputs.elasticsearch.retry,
        logger: logger.child({ component: 'array' }),
      });
      sink = arraySink;
    }
    const eventTimes = new EventTimes();
    sink = new ObservedSink(sink, eventTimes);
    // Checkpoints wait for the detection state that counted their records (settle-gate.ts); `run` only.
    const gate = config.detect.enabled && !opts.replay ? new SettleGate(sink) : undefined;
    if (gate) sink = gate;
    // Counts for the operator's summaries and periodic statistics (tally-sink.ts): what the agent pushes.
    const tallySink = new TallySink(sink);
    sink = tallySink;
    let detector: DetectionEngine | undefined;
    let stateJournal: StateJournal | undefined;
    if (rules) {
      const detectLogger = logger.child({ component: 'detect' });
      detector = new DetectionEngine(rules.rules, {
        maxKeysPerRule: config.detect.maxKeysPerRule,
        maxFutureSkewMs: config.detect.maxFutureSkewMs,
        namespace: outputs.elasticsearch?.namespace ?? 'default',
        logger: detectLogger,
        ...(arraySink ? { shareFraction: config.array.shareFraction } : {}),
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
      knownIds,
      {
        arraySink,
        store,
        eventTimes,
        arrayName,
        agent: { id: identity.id, name: agentName },
        gate,
        startedAt: new Date().toISOString(),
        status: undefined,
      },
      tallySink,
      letterTally,
      meta,
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

  /** The input configurations, with replay's --format applied. */
  private inputConfigs(): FileInputConfig[] {
    return this.opts.loaded.config.inputs.map((inputConfig) =>
      this.opts.format ? { ...inputConfig, format: this.opts.format } : inputConfig,
    );
  }

  /** What a file handler of the input `cfg` is built with, besides the formats and the processor's deps. */
  private handlerContext(cfg: FileInputConfig): {
    timezone: string | (() => string);
    observerHostname: string;
    easLogTokens: boolean | undefined;
    preserveOriginalEvent: boolean | undefined;
    idScope?: string;
  } {
    return {
      timezone: cfg.timezone ?? this.opts.loaded.config.timezone ?? localTimeZone,
      observerHostname: hostname().split('.')[0]!.toLowerCase(),
      easLogTokens: cfg.easLogTokens,
      preserveOriginalEvent: cfg.preserveOriginalEvent,
      // Array mode: document ids scoped by agent, so the identical IIS headers of an array's hosts cannot
      // make two hosts' records share an id (FileContext.idScope).
      ...(this.fleet.arraySink ? { idScope: this.fleet.agent.id } : {}),
    };
  }

  /** Replay workers that process the files of input `cfg` (parallel-replay/). */
  private workerSource(cfg: FileInputConfig, workers: number): WorkerTurnSource {
    const { config } = this.opts.loaded;
    const h = this.handlerContext(cfg);
    return new WorkerTurnSource({
      workers,
      init: {
        timezone: typeof h.timezone === 'string' ? h.timezone : h.timezone(),
        observerHostname: h.observerHostname,
        ...(h.easLogTokens === true ? { easLogTokens: true } : {}),
        ...(h.preserveOriginalEvent === true ? { preserveOriginalEvent: true } : {}),
        ...(h.idScope !== undefined ? { idScope: h.idScope } : {}),
        agent: this.meta,
        ...(config.redaction !== undefined ? { redaction: config.redaction } : {}),
        namespace: config.outputs.elasticsearch?.namespace ?? 'default',
        maxRecordBytes: cfg.maxRecordBytes,
        shapes: serializedShapes(config.outputs),
      },
      rules: this.engine?.rules ?? [],
      ...(this.detector ? { detector: this.detector } : {}),
    });
  }

  private buildInputs(): void {
    const { baseDir } = this.opts.loaded;
    const configs = this.inputConfigs();
    const limit = openFileLimit();
    const budget = fitOpenFiles(
      configs.map((c) => c.maxOpenFiles),
      limit,
    );
    if (budget.perInput !== undefined)
      openFilesAboveProcessLimit(this.logger.child({ component: 'input' }), {
        limit: limit!,
        requested: configs.reduce((a, c) => a + c.maxOpenFiles, 0),
        perInput: budget.perInput,
        reserved: AGENT_OWN_DESCRIPTORS,
      });
    for (const [i, given] of configs.entries()) {
      const maxOpenFiles = budget.maxOpenFiles[i]!;
      const cfg = maxOpenFiles === given.maxOpenFiles ? given : { ...given, maxOpenFiles };
      const handlerFactory = createFileHandlerFactory({
        formats: ALL_FORMATS,
        format: cfg.format,
        ...this.handlerContext(cfg),
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
    await this.startFleet();
    if (this.detector) {
      this.detectTimer = setInterval(() => void this.saveDetectState(), DETECT_SAVE_INTERVAL_MS);
      this.detectTimer.unref();
      const detector = this.detector;
      this.flushTimer = setInterval(() => this.pushAlerts(detector.flush()), DETECT_FLUSH_INTERVAL_MS);
      this.flushTimer.unref();
    }
    await Promise.all(this.inputs.map((i) => i.start()));
    this.state = 'running';
    void this.fleet.status?.write(this.currentState());
    this.logger.info('casguard started', { inputs: this.inputs.length, dataDir: this.dataDir });
  }

  private state: AgentState = 'starting';

  private currentState(): AgentState {
    if (this.state !== 'running') return this.state;
    return this.outputHealth() === 'ok' || this.outputHealth() === 'none' ? 'running' : 'degraded';
  }

  private outputHealth(): OutputHealth {
    const { arraySink, status } = this.fleet;
    if (!this.esSink) return 'none';
    if (arraySink?.health === 'down' || status?.failing === true) return 'down';
    if (arraySink?.health === 'degraded') return 'degraded';
    return 'ok';
  }

  /**
   * Array mode: merge what a previous run left in the outbox, re-publish every open alert (a contribution that
   * died with a killed process is merged again; merging is idempotent), and start the status documents.
   */
  private async startFleet(): Promise<void> {
    const { arraySink } = this.fleet;
    if (arraySink) {
      await arraySink.open();
      if (this.engine && !this.opts.replay) {
        for (const a of this.engine.current()) {
          this.stamp(a.doc);
          this.sink.push(redactShippable(a), () => undefined);
        }
      }
    }
    if (this.opts.replay) return;
    const { config } = this.opts.loaded;
    const namespace = config.outputs.elasticsearch?.namespace ?? 'default';
    const status = new AgentStatusWriter({
      ...(this.fleet.store ? { store: this.fleet.store } : {}),
      index: agentsIndexName(namespace),
      localFile: path.join(this.dataDir, 'status.json'),
      intervalMs: config.array.statusIntervalMs,
      collect: (state) => this.statusDocument(state),
      logger: this.logger.child({ component: 'status' }),
    });
    this.fleet.status = status;
    void status.write('starting'); // never waits for the cluster (it may be away or stalled)
    status.start(() => this.currentState());
  }

  /** The status document (src/setup/agent-status-fields.ts). */
  private async statusDocument(state: AgentState): Promise<Record<string, JsonValue>> {
    const { config } = this.opts.loaded;
    const { fleet } = this;
    const checkpoints = config.inputs.flatMap((i) => this.registry.entries(i.id));
    const files = await fileLag(checkpoints, fleet.eventTimes);
    const stats = this.engine?.stats() ?? {};
    const alertsRaised = Object.values(stats).reduce((n, s) => n + s.raised + s.updated, 0);
    const health = this.outputHealth();
    const lastError = fleet.arraySink?.lastError ?? fleet.status?.lastError;
    const host = hostname();
    const agent: Record<string, JsonValue> = {
      state,
      started_at: fleet.startedAt,
      status_interval_ms: config.array.statusIntervalMs,
      inputs: config.inputs.map((i) => ({
        id: i.id,
        format: i.format,
        files: this.registry.entries(i.id).length,
      })),
      files: files.map((f) => ({ ...f })),
      lag: {
        bytes: files.reduce((n, f) => n + f.lag_bytes, 0),
        seconds: files.reduce((n, f) => Math.max(n, f.lag_seconds), 0),
      },
      spool: { bytes: await folderBytes(spoolDir(this.dataDir)) },
      dead_letter: {
        bytes: await folderBytes(path.join(this.dataDir, 'dead-letter')),
        count: this.deadLetters.written,
      },
      alerts_raised: alertsRaised,
      output: {
        name: this.esSink ? 'elasticsearch' : config.outputs.file ? 'file' : 'stdout',
        health,
        ...(fleet.arraySink?.lastSuccess !== undefined || fleet.status?.lastSuccess !== undefined
          ? { last_success: (fleet.arraySink?.lastSuccess ?? fleet.status?.lastSuccess)! }
          : {}),
        ...(lastError !== undefined && health !== 'ok' ? { last_error: lastError } : {}),
      },
    };
    if (fleet.eventTimes.newest !== undefined) agent['last_event_time'] = fleet.eventTimes.newest;
    return {
      '@timestamp': new Date().toISOString(),
      agent: { id: fleet.agent.id, name: fleet.agent.name, version: CASGUARD_VERSION, type: AGENT_TYPE },
      host: { name: host.split('.')[0]!.toLowerCase(), hostname: host },
      casguard: { array: fleet.arrayName, agent },
    };
  }

  /** Read the given files (or every configured path) once to the end; resolves when all is settled. */
  async replay(files: readonly string[], opts: { workers?: number } = {}): Promise<ReplaySummary> {
    this.buildInputs();
    await this.fleet.arraySink?.open();
    const summaries: InputSummary[] = [];
    const workers = opts.workers ?? 1;
    const configs = this.inputConfigs();
    for (const [i, input] of this.inputs.entries()) {
      // With workers, the pure middle of the pipeline runs in worker threads (parallel-replay/).
      const processed = workers > 1 ? this.workerSource(configs[i]!, workers) : undefined;
      summaries.push(
        await input.runOnce(files.length > 0 ? [...files] : undefined, processed ? { processed } : {}),
      );
      if (files.length > 0) break; // explicit files are read once, by the first input's settings
    }
    // A backfill ends: windows that are still open are closed so their alerts carry the final counts.
    this.pushAlerts(this.detector?.flush() ?? []);
    await this.settleEverything();
    return {
      workers: summaries.some((s) => s.processedElsewhere === true)
        ? Math.min(workers, summaries[0]!.files)
        : 0,
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
      .then(() => {
        // Everything settled before the state is taken is counted in it: released once the save is durable.
        const release = this.fleet.gate?.take();
        return journal.write(detector.stateChanges(journal.needsFull)).then(
          (written) => {
            detectStateSaved(written, journal.bytes);
            release?.();
          },
          (err: unknown) => {
            detectStateSaveFailed(this.logger, { path: journal.journalPath, error: describeError(err) });
            release?.(); // holding them would stall every input; the failure is logged as an error
          },
        );
      })
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
      ? setTimeout(() => {
          void esSink.abort().catch(() => undefined);
          this.fleet.store?.abort(); // merges not done by now wait in the outbox for the next start
        }, ES_STOP_GRACE_MS)
      : undefined;
    this.state = 'stopping';
    this.fleet.status?.stopTimer();
    // The inputs wait for their last acknowledgements, which the settle gate releases at each state save.
    const stopSaves = this.fleet.gate ? setInterval(() => void this.saveDetectState(), 200) : undefined;
    await bounded('stopping inputs', Promise.all(this.inputs.map((i) => i.stop())));
    clearInterval(stopSaves);
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
    this.state = 'stopped';
    if (this.fleet.status)
      await bounded('writing the stopped status', this.fleet.status.write('stopped'), 800);
    // Whatever Elasticsearch has not answered by now goes to the spool (acknowledged there), and no request,
    // socket or retry timer is left to keep the process alive after the stop.
    clearTimeout(esAbort);
    if (esSink) await bounded('stopping Elasticsearch requests', esSink.abort());
    await bounded('closing outputs', this.sink.close());
    if (this.fleet.store) await bounded('closing the array connection', this.fleet.store.close());
    await bounded('closing dead letters', this.deadLetters.close());
    await bounded('saving checkpoints', this.registry.close());
    if (this.metricsServer) await bounded('closing metrics endpoint', this.metricsServer.close());
    if (this.scratchDir) await rm(this.scratchDir, { recursive: true, force: true }).catch(() => undefined);
    this.logger.info('casguard stopped');
    await this.logger.close(Math.min(1000, left()));
  }
}
