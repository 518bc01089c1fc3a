// The request summary line: written as text, it must read exactly as the object the log line used to be built
// from (kept here as the reference), and reach pino's destination as pino itself would have written that object.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { formatUsd } from '../../src/cost/pricing.js';
import type { RequestRecord } from '../../src/cost/request-record.js';
import { redactPaths } from '../../src/log/create-logger.js';
import { logMembers } from '../../src/log/log-members.js';
import { requestLine, requestLineKeys, round } from '../../src/log/request-line.js';
import { mulberry32 } from '../../src/classify/logistic-model.js';
import type { Plan } from '../../src/route/plan.js';

/** The summary as an object: what the line says, field by field. */
function summarize(r: RequestRecord): Record<string, unknown> {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    route: r.route,
    ...(r.door && { door: r.door }),
    ...(r.trace && { traceId: r.trace.traceId }),
    ...(r.protocol && { protocol: r.protocol }),
    ...(r.tenant && { tenant: r.tenant }),
    outcome: r.outcome,
    status: r.status,
    stream: r.stream,
    ...(r.errorCode && { error: r.errorCode }),
    ...(r.profile && {
      profile: {
        in: r.profile.inputTokens,
        out: r.profile.outputTokens,
        size: r.profile.sizeClass,
        ...(r.profile.difficulty !== undefined && { difficulty: round(r.profile.difficulty) }),
      },
    }),
    ...(r.plan && { plan: { tiers: r.plan.tiers.map((t) => t.index), skipped: r.plan.skipped } }),
    attempts: r.attempts.map((a) => ({
      tier: a.tier,
      backend: a.backend,
      outcome: a.outcome,
      ...(a.reason && { reason: a.reason }),
      ...(a.status && { status: a.status }),
      ...(a.error && { error: a.error }),
      in: a.usage.input,
      out: a.usage.output,
      ...(a.usage.cachedInput > 0 && { cached: a.usage.cachedInput }),
      ...(a.usage.estimated && { estimated: true }),
      costUsd: formatUsd(a.costNano),
      ms: round(a.durationMs),
      ...(a.score !== undefined && { score: round(a.score) }),
    })),
    ...(r.escalations.length > 0 && { escalations: r.escalations.map((e) => e.reason) }),
    ...(r.affinity && { affinity: r.affinity }),
    ...(r.delivered && { backend: r.delivered.backend }),
    ...(r.cost && {
      costUsd: formatUsd(r.cost.costNano),
      baselineUsd: formatUsd(r.cost.baselineNano),
      savedUsd: formatUsd(r.cost.savedNano),
    }),
    durationMs: round(r.durationMs),
    ...(r.overheadMs !== undefined && { overheadMs: round(r.overheadMs) }),
    ...(r.firstByteMs !== undefined && { firstByteMs: round(r.firstByteMs) }),
  };
}

const usage = (input: number, output: number, more: object = {}) => ({
  input,
  output,
  cachedInput: 0,
  estimated: false,
  ...more,
});
const plan = (tiers: number[], skipped: Plan['skipped'] = []) =>
  ({ tiers: tiers.map((index) => ({ index })), skipped }) as unknown as Plan;
const profile = { inputTokens: 19, outputTokens: 32, clientMaxTokens: 32, sizeClass: 'small', tokensEstimated: false };
const trace = {
  traceId: 'c0ecd10ffaee0123289ee54b3b4c1e06',
  spanId: '0123456789abcdef',
  flags: '01',
  recording: false,
};
const accepted = {
  tier: 0,
  backend: 'direct',
  outcome: 'accepted',
  usage: usage(14, 8),
  costNano: 6900,
  durationMs: 2.5014,
} as const;

const records: Record<string, RequestRecord> = {
  'a JSON answer': {
    route: 'auto',
    door: 'chat',
    trace,
    protocol: 'openai',
    outcome: 'ok',
    status: 200,
    stream: false,
    profile: { ...profile, difficulty: 0.123456 } as RequestRecord['profile'],
    plan: plan([0]),
    attempts: [accepted],
    escalations: [],
    delivered: accepted,
    cost: { costNano: 6900, baselineNano: 6900, savedNano: 0 },
    durationMs: 2.54123,
    overheadMs: 0.04,
  },
  'an escalated stream with a tenant, cache reads, a score and affinity': {
    route: 'code "review"',
    door: 'messages',
    trace,
    protocol: 'anthropic',
    tenant: 'team-ä/☃',
    outcome: 'ok',
    status: 200,
    stream: true,
    profile: profile as RequestRecord['profile'],
    plan: plan([1, 2], [{ tier: 0, reason: 'context' }]),
    attempts: [
      {
        tier: 1,
        backend: 'cheap',
        outcome: 'escalated',
        reason: 'verbose',
        usage: usage(1200, 300, { cachedInput: 1000 }),
        costNano: 123,
        durationMs: 10.0005,
        score: 0.87654321,
      },
      { ...accepted, tier: 2, backend: 'strong', usage: usage(1200, 20, { estimated: true }) },
    ],
    escalations: [{ from: 1, to: 2, reason: 'verbose' }],
    delivered: { ...accepted, tier: 2, backend: 'strong' },
    affinity: { backend: 'cheap', kept: false, reprefillTokens: 1000 },
    cost: { costNano: 7023, baselineNano: 9000, savedNano: 1977 },
    durationMs: 40.1,
    overheadMs: 0.2,
    firstByteMs: 12.3456789,
  },
  'a failure with an error text that needs escaping': {
    route: 'auto',
    outcome: 'error',
    status: 502,
    stream: false,
    errorCode: 'upstream_error',
    attempts: [
      {
        tier: 0,
        backend: 'direct',
        outcome: 'failed',
        reason: 'http_5xx',
        status: 503,
        error: 'upstream said: "busy"\n\ttry\u0000 later \\ \u2028 \ud800',
        usage: usage(19, 0, { estimated: true }),
        costNano: -2850,
        durationMs: Number.NaN,
      },
    ],
    escalations: [],
    durationMs: Number.POSITIVE_INFINITY,
  },
  'a request refused before routing': {
    route: '_unrouted',
    door: '',
    outcome: 'rejected',
    status: 400,
    stream: false,
    attempts: [],
    escalations: [],
    durationMs: 0.01,
  },
};

describe('requestLine', () => {
  it('writes a value rounded to thousandths as JSON writes the rounded number', () => {
    const rand = mulberry32(11);
    const values = [0, -0, 0.0004, -0.0004, 0.0005, -0.0005, 1, -1, 0.1, 0.123456, 2.5e-7, 999.9995, 1234.5678];
    values.push(
      2_147_483.647,
      2_147_483.648,
      -2_147_483.648,
      1e12 + 0.5,
      1e21,
      -1e300,
      Number.NaN,
      Infinity,
      -Infinity,
    );
    for (let i = 0; i < 50_000; i++) {
      const scale = 10 ** Math.floor(rand() * 12 - 4);
      values.push((rand() - 0.3) * scale, Math.round(rand() * 100_000) / 1000);
    }
    for (const v of values) expect(round(v), String(v)).toBe(JSON.stringify(Math.round(v * 1000) / 1000));
  });

  for (const [name, record] of Object.entries(records)) {
    it(`writes ${name} as the summary object's JSON, byte for byte`, () => {
      expect(`{${requestLine(record)}}`).toBe(JSON.stringify(summarize(record)));
      for (const [key, value] of Object.entries(summarize(record)))
        expect(requestLineKeys[key]).toBe(typeof value === 'object' ? 'object' : 'scalar');
    });
  }
});

describe('logMembers', () => {
  const capture = (options: pino.LoggerOptions = {}) => {
    const lines: string[] = [];
    const logger = pino(
      {
        level: 'info',
        redact: { paths: redactPaths, censor: '[redacted]' },
        base: { service: 'sluice' },
        timestamp: () => ',"time":1796676054910',
        ...options,
      },
      { write: (s: string) => lines.push(s) },
    );
    return { lines, logger: logger.child({ reqId: 'req-"1"' }) };
  };

  it('writes the line pino would write for the same fields as an object, at info and warn', () => {
    const viaPino = capture();
    const direct = capture();
    for (const record of Object.values(records)) {
      viaPino.logger.info(summarize(record), 'request');
      viaPino.logger.warn(summarize(record), 'request');
      logMembers(direct.logger, 'info', requestLine(record), 'request', requestLineKeys);
      logMembers(direct.logger, 'warn', requestLine(record), 'request', requestLineKeys);
    }
    expect(direct.lines).toHaveLength(8);
    // pino escapes short strings its own way (a lone surrogate stays raw): the same JSON, not always the same bytes.
    expect(direct.lines.map((l) => JSON.parse(l))).toEqual(viaPino.lines.map((l) => JSON.parse(l)));
    expect(direct.lines.slice(0, 4)).toEqual(viaPino.lines.slice(0, 4));
    expect(JSON.parse(direct.lines[0]!)).toMatchObject({ level: 30, reqId: 'req-"1"', service: 'sluice' });
  });

  it("writes the line itself through Sluice's own logger configuration (its redaction paths leave these keys alone)", () => {
    const { lines, logger } = capture();
    const internals = logger as unknown as Record<symbol, (...a: unknown[]) => string>;
    const asJson = internals[pino.symbols.asJsonSym]!;
    let serialised = 0;
    internals[pino.symbols.asJsonSym] = function (this: unknown, ...a: unknown[]) {
      serialised++;
      return asJson.apply(this, a);
    };
    const record = records['a JSON answer']!;
    logMembers(logger, 'info', requestLine(record), 'request', requestLineKeys);
    logger.info(summarize(record), 'request');
    expect(serialised).toBe(1); // the object only
    expect(lines[0]).toBe(lines[1]);
  });

  it('writes nothing below the logger level', () => {
    const { lines, logger } = capture({ level: 'warn' });
    logMembers(logger, 'info', requestLine(records['a JSON answer']!), 'request', requestLineKeys);
    expect(lines).toEqual([]);
  });

  it("leaves the line to pino when the logger's configuration changes lines", () => {
    const record = records['an escalated stream with a tenant, cache reads, a score and affinity']!;
    const configs: Record<string, pino.LoggerOptions> = {
      mixin: { mixin: () => ({ pod: 'a' }) },
      formatter: { formatters: { log: (o) => ({ ...o, formatted: true }) } },
      redaction: { redact: { paths: ['tenant'], censor: '[redacted]' } },
      serializer: { serializers: { route: (r: string) => r.toUpperCase() } },
      'message key': { messageKey: 'message' },
    };
    for (const [name, options] of Object.entries(configs)) {
      const viaPino = capture(options);
      const direct = capture(options);
      viaPino.logger.info(summarize(record), 'request');
      logMembers(direct.logger, 'info', requestLine(record), 'request', requestLineKeys);
      expect(direct.lines, name).toEqual(viaPino.lines);
    }
    const redacted = capture(configs.redaction);
    logMembers(redacted.logger, 'info', requestLine(record), 'request', requestLineKeys);
    expect(JSON.parse(redacted.lines[0]!)).toMatchObject({ tenant: '[redacted]' });
  });
});
