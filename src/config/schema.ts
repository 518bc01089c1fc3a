// The one config schema: strict zod objects, defaults, and cross-field checks.
// Types used across the code are inferred from here; nothing else defines config shapes.
import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits, . _ : - (max 64)');
const usd = z.number().nonnegative().finite();
const ms = z.number().int().positive();

const selfHosted = z.strictObject({
  /** What the machine costs an hour (GPU rental, amortised hardware...). */
  hourlyUsd: usd,
  /** Measured decoding throughput at the load you run it at. */
  outputTokensPerSecond: z.number().positive(),
  /** Measured prefill throughput; default 10× the output rate. */
  inputTokensPerSecond: z.number().positive().optional(),
});

/**
 * Per-token prices, given directly or, for a self-hosted backend, derived from its hourly price and measured
 * throughput (price per token = hourly price / tokens served in an hour).
 */
const pricing = z
  .strictObject({
    inputPerMTok: usd.optional(),
    cachedInputPerMTok: usd.optional(),
    /** Prompt-cache writes (Anthropic: 5-minute and 1-hour entries); absent: the input price. */
    cacheWritePerMTok: usd.optional(),
    cacheWrite1hPerMTok: usd.optional(),
    outputPerMTok: usd.optional(),
    perRequest: usd.default(0),
    selfHosted: selfHosted.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.selfHosted && (p.inputPerMTok !== undefined || p.outputPerMTok !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give per-token prices or selfHosted, not both' });
    }
  })
  .transform(({ selfHosted: sh, ...p }) => {
    if (!sh) return { ...p, inputPerMTok: p.inputPerMTok ?? 0, outputPerMTok: p.outputPerMTok ?? 0 };
    const perMTok = (tokensPerSecond: number) => (sh.hourlyUsd / (tokensPerSecond * 3600)) * 1_000_000;
    return {
      ...p,
      inputPerMTok: perMTok(sh.inputTokensPerSecond ?? sh.outputTokensPerSecond * 10),
      outputPerMTok: perMTok(sh.outputTokensPerSecond),
    };
  });

const timeouts = z.strictObject({
  connectMs: ms.default(5_000),
  /** Until the first token of a stream. A non-streaming call has totalMs only: its headers come with the whole answer. */
  firstTokenMs: ms.default(30_000),
  /** Longest silence between two stream events once the answer started. */
  idleMs: ms.default(30_000),
  totalMs: ms.default(600_000),
});

const mock = z.strictObject({
  /** Simulated latency before the first token. */
  latencyMs: z.number().int().nonnegative().default(20),
  /** Simulated decoding speed; 0 streams as fast as possible. */
  tokensPerSecond: z.number().nonnegative().default(200),
  /** Tokens in a confident answer. */
  answerTokens: z.number().int().positive().default(40),
  /** Difficulty (0..1, from the prompt's own features) above which the model is unsure. */
  skill: z.number().min(0).max(1).default(0.5),
  /** When unsure, pad the answer with hedges and alternatives (verbosity compensation). */
  verboseWhenUnsure: z.boolean().default(true),
});

export const endpointKinds = ['chat', 'completions', 'embeddings'] as const;
export type EndpointKind = (typeof endpointKinds)[number];

const backend = z.strictObject({
  id,
  /** openai: any OpenAI-compatible server (vLLM, Gemini's OpenAI endpoint, ...); anthropic: the Messages API. */
  protocol: z.enum(['openai', 'anthropic', 'mock']),
  baseUrl: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  model: z.string().min(1),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
    .optional(),
  pricing: pricing.prefault({}),
  contextWindow: z.number().int().positive().default(128_000),
  /** responses: the backend also serves /responses, so Responses-door requests go to it untranslated. */
  endpoints: z
    .array(z.enum([...endpointKinds, 'responses']))
    .min(1)
    .default(['chat']),
  maxConnections: z.number().int().positive().max(4096).default(128),
  /**
   * How long an idle connection to the backend is kept for reuse when the backend does not say (a `Keep-Alive:
   * timeout=` header, which is trusted less 2 s). Below the 5 s after which uvicorn (vLLM, SGLang) and llama.cpp's
   * server close idle connections without saying: reusing one as it closes resets the request.
   */
  keepAliveMs: z.number().int().positive().max(600_000).default(4_000),
  /**
   * The largest answer taken from this backend: a whole (non-streamed) body, or all the bytes of a stream. Larger
   * is a failure of the backend (the connection is closed, the next backend tried): one runaway answer must not
   * exhaust the gateway's memory. Raise it for float embeddings of large batches (base64 ones are a quarter).
   */
  maxAnswerBytes: z
    .number()
    .int()
    .positive()
    .max(256 * 1024 * 1024)
    .default(64 * 1024 * 1024),
  timeouts: timeouts.prefault({}),
  /** Whether the backend accepts stream_options.include_usage (most OpenAI-compatible servers do). */
  streamUsage: z.boolean().default(true),
  /** Whether the backend returns token logprobs when asked (the judge can use them). */
  logprobs: z.boolean().default(false),
  /** Extra headers sent upstream (never secrets: use apiKeyEnv). */
  headers: z.record(z.string(), z.string()).default({}),
  mock: mock.optional(),
});

const tier = z.strictObject({
  backends: z.array(id).min(1),
  /**
   * How the tier's interchangeable backends share its requests: `failover` tries them in the order listed (the
   * next only on a retryable failure); `round-robin` starts each request at the next one in turn; `least-busy` at
   * the one with the fewest calls in progress on this replica (in turn among equals). The others still fail over.
   */
  balance: z.enum(['failover', 'round-robin', 'least-busy']).default('failover'),
  /** Requests up to this difficulty may start here; harder ones start at a later tier. Absent: any. */
  maxDifficulty: z.number().min(0).max(1).optional(),
});

const judge = z.strictObject({
  verbosity: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Escalate when the verbosity-compensation score of a cheap answer is above this. */
      threshold: z.number().min(0).max(1).default(0.5),
    })
    .prefault({}),
  /** Escalate answers that refuse (opt-in: a refusal is often the right answer). */
  refusal: z.boolean().default(false),
  /** Ask cheap tiers whose backend supports it for logprobs (stripped again unless the client asked). */
  logprobs: z.boolean().default(false),
});

const streaming = z.strictObject({
  /** holdback: judge the first tokens, then pass through; buffer: judge the whole cheap answer; direct: no judging. */
  mode: z.enum(['holdback', 'buffer', 'direct']).default('holdback'),
  holdbackTokens: z.number().int().positive().max(4096).default(48),
});

/**
 * A quality target the route holds by itself: a sampled share of requests is also asked of the tier the client did
 * not get (off the client's path), the two answers are compared, and the cheapest tier's difficulty threshold is
 * chosen from that evidence. See the README's "Quality" section.
 */
const quality = z.strictObject({
  /** Share of delivered answers that should match what the strongest tier would answer (0..1). */
  target: z.number().gt(0).lt(1),
  /** Share of requests shadowed. */
  shadowRate: z.number().min(0).max(1).default(0.05),
  /** Shadow spend per UTC day, all replicas together (USD); sampling stops past it. */
  maxShadowUsdPerDay: z.number().nonnegative(),
  /** A backend asked whether two answers agree when the deterministic checks cannot tell; its cost is shadow spend. */
  judge: id.optional(),
  /** The newest samples the estimate and the threshold are computed from. */
  window: z.number().int().min(20).max(100_000).default(2_000),
  /** Samples needed before a threshold is chosen; until then every request starts on a stronger tier. */
  minSamples: z.number().int().min(10).default(200),
  /** Confidence of the margin the threshold keeps below the target (one-sided). */
  confidence: z.number().gt(0.5).lt(1).default(0.9),
  /** How often a replica recomputes the threshold from the shared samples. */
  refreshMs: z.number().int().nonnegative().default(5_000),
  /** A shadow call's own deadline. */
  timeoutMs: ms.default(60_000),
  /** JSONL file every sample is appended to (features and outcomes), read back at start-up. */
  log: z.string().min(1).optional(),
  /** Also write the prompts and both answers to the log (for retraining; they are user data). */
  storePrompts: z.boolean().default(false),
});

const route = z.strictObject({
  name: id,
  /**
   * Client model names this route also answers to (transparent mode). A name ending in `*` is a prefix: `claude-*`
   * takes every model name Claude Code sends, whatever its version. Exact names win over prefixes, longer over shorter.
   */
  aliases: z.array(z.string().min(1)).default([]),
  tiers: z.array(tier).min(1),
  /** Backend the route's savings are measured against; default: the first backend of the last tier. */
  baseline: id.optional(),
  /** Expected output tokens when the request sets no max_tokens. */
  defaultMaxOutputTokens: z.number().int().positive().default(512),
  /** Cap on upstream calls per request, failovers included. */
  maxAttempts: z.number().int().positive().max(20).default(4),
  /** Deadline for the whole request, all attempts included. */
  deadlineMs: ms.default(600_000),
  judge: judge.prefault({}),
  streaming: streaming.prefault({}),
  /** Skip tiers whose observed time to first token for the request's size class is above this. */
  slo: z.strictObject({ firstTokenMs: ms }).optional(),
  /** Exact-match response cache for deterministic requests (temperature 0, or `x-sluice-cache: true`). */
  cache: z
    .strictObject({
      enabled: z.boolean().default(false),
      ttlSeconds: z.number().int().positive().default(300),
      maxEntryBytes: z
        .number()
        .int()
        .positive()
        .default(256 * 1024),
    })
    .prefault({}),
  /**
   * Prompt-cache affinity: a conversation (prompt_cache_key, user, x-session-id, or its hashed start) with a prompt
   * of at least `minTokens` starts on the backend that served it last, for `ttlSeconds` (providers keep prompt
   * caches for minutes); re-prefill after a move is counted as waste.
   */
  promptCache: z
    .strictObject({
      affinity: z.boolean().default(true),
      minTokens: z.number().int().positive().default(1_024),
      ttlSeconds: z.number().int().positive().default(600),
    })
    .prefault({}),
  /** When the tenant's budget runs low: refuse as usual, or stay on the cheapest tier. */
  onBudgetLow: z.enum(['reject', 'downgrade']).default('reject'),
  quality: quality.optional(),
});

const server = z.strictObject({
  host: z.string().default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Serve /metrics on this port instead of the main one. */
  metricsPort: z.number().int().min(0).max(65535).optional(),
  bodyLimitBytes: z
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  /** Browser apps allowed to call from these origins (`https://app.example.com`, or `*`); none by default. */
  cors: z
    .strictObject({
      // An origin as browsers send it: scheme, host and port only (a trailing slash or path is dropped).
      origins: z
        .array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin)]))
        .default([]),
    })
    .prefault({}),
  /** The whole request (headers and body) must arrive within this; 0 waits forever. Answers are not limited by it. */
  requestTimeoutMs: z.number().int().nonnegative().default(60_000),
  /** After SIGTERM, how long /readyz reports draining while still serving, so load balancers stop sending. */
  drainDelayMs: z.number().int().nonnegative().default(0),
  /** How long in-flight requests and streams may run after SIGTERM. */
  shutdownGraceMs: z.number().int().nonnegative().default(30_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The environment variable holding the admin key; when it is set, /admin manages keys in the state store. */
  adminKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('SLUICE_ADMIN_KEY'),
  /** Log prompt and answer text (debugging only: it may hold personal data). */
  logContent: z.boolean().default(false),
});

const state = z.discriminatedUnion('driver', [
  z.strictObject({ driver: z.literal('memory') }),
  z.strictObject({
    driver: z.literal('redis'),
    url: z.string().default('redis://127.0.0.1:6379'),
    prefix: z.string().default('sluice:'),
    /** A Redis slower than this counts as down for that command. */
    commandTimeoutMs: z.number().int().positive().default(100),
    /** Replicas sharing the limits: while Redis is down each one enforces its share (limit / replicas). */
    replicas: z.number().int().positive().default(1),
    /** While Redis is down: refuse requests of tenants with a budget (closed), or let them through (open). */
    budgetsOnStoreFailure: z.enum(['closed', 'open']).default('closed'),
    /**
     * Take a small slice of a roomy limit ahead of need (at most 64 requests' worth or 1 % of the limit, none once
     * a fifth of it is left, given back within a second), so most requests need no round trip. Off: every
     * request asks Redis.
     */
    leases: z.boolean().default(true),
  }),
]);

/** Requests and tokens (prompt + expected output, settled to actual) per minute. */
const perMinute = {
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
};

/** A key's limits, shared by the config file and the admin API. */
export const keyLimits = {
  ...perMinute,
  /** Tighter requests and tokens per minute on some routes (by route name), on top of `rpm` and `tpm`. */
  routeLimits: z.record(z.string().min(1), z.strictObject(perMinute)).optional(),
  /** Spend limits per UTC day and calendar month; the worst case is reserved before a call, settled after. */
  budgetUsd: z.strictObject({ perDay: usd.positive().optional(), perMonth: usd.positive().optional() }).optional(),
};

/** A virtual key: in the config file, and as the admin API stores it. */
export const keySchema = z.strictObject({
  tenant: id,
  /** SHA-256 of the key, hex (`sluice hash-key`); the key itself is never stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex characters (sluice hash-key)'),
  /** Model names (routes, aliases, backend ids) the key may use; absent: all. */
  routes: z.array(z.string().min(1)).optional(),
  ...keyLimits,
  revoked: z.boolean().default(false),
});

const classifier = z.strictObject({
  /** Size class edges on input + expected output tokens. */
  sizeEdges: z
    .strictObject({
      small: z.number().int().positive(),
      medium: z.number().int().positive(),
      large: z.number().int().positive(),
    })
    .refine((e) => e.small < e.medium && e.medium < e.large, 'edges must grow: small < medium < large')
    .default({ small: 1_000, medium: 8_000, large: 32_000 }),
  /** Weights of the difficulty model and the verbosity judge (relative paths: from the Sluice install). */
  difficultyModel: z.string().default('models/difficulty.json'),
  judgeModel: z.string().default('models/judge.json'),
});

const health = z.strictObject({
  /** Circuit breakers per backend, shared by replicas through the state store. */
  enabled: z.boolean().default(true),
  consecutiveFailures: z.number().int().positive().default(5),
  /** Trip when at least `minSamples` of the last `window` outcomes fail at this rate. */
  failureRate: z.number().gt(0).max(1).default(0.5),
  window: z.number().int().positive().default(20),
  minSamples: z.number().int().positive().default(10),
  /** First cool-down; it doubles with each trip in a row, up to `maxCooldownMs`. */
  cooldownMs: ms.default(5_000),
  maxCooldownMs: ms.default(300_000),
  /** How often a replica adopts the trips other replicas published. */
  syncMs: ms.default(1_000),
});

const telemetry = z.strictObject({
  /** OpenTelemetry spans over OTLP/HTTP (JSON): one per request, one per upstream attempt. Off when absent. */
  otlp: z
    .strictObject({
      /** The collector's traces URL, e.g. http://otel-collector:4318/v1/traces. */
      endpoint: z.url({ protocol: /^https?$/ }),
      headers: z.record(z.string(), z.string()).default({}),
      serviceName: z.string().min(1).default('sluice'),
    })
    .optional(),
});

export const configSchema = z
  .strictObject({
    server: server.prefault({}),
    telemetry: telemetry.prefault({}),
    health: health.prefault({}),
    classifier: classifier.prefault({}),
    state: state.default({ driver: 'memory' }),
    backends: z.array(backend).min(1),
    routes: z.array(route).min(1),
    /** Virtual keys; none configured means the gateway is open (and says so at startup). */
    keys: z.array(keySchema).default([]),
  })
  .superRefine(checkReferences)
  .superRefine(checkKeys);

function checkKeys(
  cfg: { keys: KeyInput[]; routes: RouteInput[]; backends: BackendInput[] },
  ctx: z.RefinementCtx,
): void {
  const models = new Set([...cfg.routes.flatMap((r) => [r.name, ...r.aliases]), ...cfg.backends.map((b) => b.id)]);
  const hashes = new Set<string>();
  cfg.keys.forEach((k, i) => {
    if (hashes.has(k.sha256))
      ctx.addIssue({ code: 'custom', path: ['keys', i, 'sha256'], message: 'the same key is listed twice' });
    hashes.add(k.sha256);
    k.routes?.forEach((r, j) => {
      if (!models.has(r))
        ctx.addIssue({ code: 'custom', path: ['keys', i, 'routes', j], message: `unknown route or backend "${r}"` });
    });
    for (const r of Object.keys(k.routeLimits ?? {})) {
      if (!cfg.routes.some((route) => route.name === r))
        ctx.addIssue({ code: 'custom', path: ['keys', i, 'routeLimits', r], message: `unknown route "${r}"` });
    }
  });
}

type KeyInput = z.output<typeof keySchema>;

function checkReferences(cfg: { backends: BackendInput[]; routes: RouteInput[] }, ctx: z.RefinementCtx): void {
  const backendIds = new Set<string>();
  cfg.backends.forEach((b, i) => {
    if (backendIds.has(b.id))
      ctx.addIssue({ code: 'custom', path: ['backends', i, 'id'], message: `duplicate backend id "${b.id}"` });
    backendIds.add(b.id);
    if (b.protocol !== 'mock' && !b.baseUrl)
      ctx.addIssue({
        code: 'custom',
        path: ['backends', i, 'baseUrl'],
        message: `required for protocol ${b.protocol}`,
      });
    if (b.protocol !== 'openai' && b.endpoints?.includes('responses'))
      ctx.addIssue({
        code: 'custom',
        path: ['backends', i, 'endpoints'],
        message: 'responses is served by protocol openai backends only',
      });
    if (b.protocol === 'openai' && b.endpoints?.includes('responses') && !b.endpoints.includes('chat'))
      ctx.addIssue({
        code: 'custom',
        path: ['backends', i, 'endpoints'],
        message: 'responses needs chat too (a Responses request is routed as chat, then sent to /responses)',
      });
    if (b.protocol === 'anthropic' && b.endpoints?.some((e) => e !== 'chat'))
      ctx.addIssue({
        code: 'custom',
        path: ['backends', i, 'endpoints'],
        message: 'protocol anthropic serves chat only (the Messages API has no completions or embeddings)',
      });
  });
  const names = new Set<string>();
  cfg.routes.forEach((r, i) => {
    for (const name of [r.name, ...r.aliases]) {
      if (names.has(name) || backendIds.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'name'],
          message: `model name "${name}" is used twice (routes, aliases and backend ids share one namespace)`,
        });
      }
      names.add(name);
    }
    r.tiers.forEach((t, j) => {
      t.backends.forEach((b, k) => {
        if (!backendIds.has(b))
          ctx.addIssue({
            code: 'custom',
            path: ['routes', i, 'tiers', j, 'backends', k],
            message: `unknown backend "${b}"`,
          });
      });
    });
    if (r.baseline && !backendIds.has(r.baseline))
      ctx.addIssue({ code: 'custom', path: ['routes', i, 'baseline'], message: `unknown backend "${r.baseline}"` });
    if (r.quality) {
      if (r.tiers.length < 2)
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'quality'],
          message: 'a quality target needs at least two tiers to choose between',
        });
      if (r.quality.judge && !backendIds.has(r.quality.judge))
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'quality', 'judge'],
          message: `unknown backend "${r.quality.judge}"`,
        });
      if (r.quality.minSamples > r.quality.window)
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'quality', 'minSamples'],
          message: `more than the window (${r.quality.window}) can hold`,
        });
    }
  });
}

type BackendInput = z.output<typeof backend>;
type RouteInput = z.output<typeof route>;

export type Config = z.output<typeof configSchema>;
export type BackendConfig = Config['backends'][number];
export type RouteConfig = Config['routes'][number];
export type Pricing = BackendConfig['pricing'];
export type MockConfig = z.output<typeof mock>;
export type QualityConfig = z.output<typeof quality>;
export type KeyConfig = Config['keys'][number];
export type StateConfig = Config['state'];
export type SizeEdges = Config['classifier']['sizeEdges'];
