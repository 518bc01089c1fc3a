// Shadow sampling: after a client's answer is on its way, a sampled share of a quality route's requests is also
// asked of the tier the client did not get (the strongest tier for an answer a cheaper one served, the cheapest for
// one that started stronger), so both sides of the threshold are learnt. Nothing here can reach the client: the
// call starts after the answer is sent, every failure ends as a counted outcome, and the daily shadow budget is
// reserved and settled in the shared store so that replicas together stay under it.
import { performance } from 'node:perf_hooks';
import type { AttemptRecord } from '../shared/attempt-record.js';
import { answerFromJson } from '../cascade/json-attempt.js';
import { runCascade } from '../cascade/run-cascade.js';
import type { AnswerView, JudgeFn } from '../shared/answer.js';
import { difficultyInput, type Profile } from '../classify/profile.js';
import { extractFeatures } from '../classify/difficulty-features.js';
import type { BackendConfig, RouteConfig } from '../config/schema.js';
import { nanoToUsd, priceUsage } from '../cost/pricing.js';
import { lastUserText, promptText } from '../openai/message-text.js';
import { isJsonMode } from '../openai/response-format.js';
import type { ChatMessage } from '../openai/types.js';
import type { PlannedTier } from '../route/plan.js';
import type { StateStore } from '../state/store.js';
import { Cancel } from '../upstream/cancel.js';
import type { Upstream } from '../upstream/types.js';
import { compareAnswers, type Agreement } from './agreement.js';
import { askAgreementJudge, judgeWorstCaseNano } from './agreement-judge.js';
import type { QualityLog, RouteQuality } from './route-quality.js';
import type { ShadowLog } from './shadow-log.js';
import type { QualitySample } from './threshold.js';

export type ShadowOutcome = Agreement | 'error' | 'skipped_budget';

export interface ShadowRequest {
  requestId: string;
  endpoint: 'chat' | 'completions';
  body: Record<string, unknown>;
  route: RouteConfig;
  profile: Profile;
  /** The tier the cascade started on and the attempts it made. */
  startTier: number;
  attempts: readonly AttemptRecord[];
  delivered: AttemptRecord;
  answer: AnswerView;
  /** The cascade's cost, every attempt included. */
  costNano: number;
  /** The judge the cascade used on the cheap tiers (to know whether a cheap answer would have been escalated). */
  judge: JudgeFn | undefined;
  backends: ReadonlyMap<string, BackendConfig>;
  upstreams: ReadonlyMap<string, Upstream>;
  isHealthy: (backend: string) => boolean;
}

export interface ShadowDeps {
  store: StateStore;
  log: QualityLog;
  counted(route: string, outcome: ShadowOutcome, costNano: number): void;
  storeError(operation: string): void;
  shadowLog(path: string): ShadowLog;
  random: () => number;
}

/** What starting on the cheapest tier would save over the strongest, at request time (nano-dollars). */
export function stakeOf(route: RouteConfig, backends: ReadonlyMap<string, BackendConfig>, profile: Profile): number {
  const usage = { input: profile.inputTokens, cachedInput: 0, output: profile.outputTokens, estimated: true };
  const cheap = backends.get(route.tiers[0]!.backends[0]!)!;
  const strong = backends.get(route.tiers[route.tiers.length - 1]!.backends[0]!)!;
  return priceUsage(strong.pricing, usage) - priceUsage(cheap.pricing, usage);
}

export class Shadowing {
  private readonly active = new Set<Cancel>();
  private paused = false;
  private budgetStopped = new Map<string, string>();

  constructor(private readonly deps: ShadowDeps) {}

  /** Samples the request; resolves when its shadow work (if any) is done. Never rejects. */
  async afterAnswer(req: ShadowRequest, quality: RouteQuality): Promise<void> {
    const q = req.route.quality!;
    if (this.deps.random() >= q.shadowRate) return;
    try {
      await this.sample(req, quality);
    } catch (err) {
      this.deps.log.warn({ route: req.route.name, requestId: req.requestId, err: String(err) }, 'shadow sample failed');
      this.deps.counted(req.route.name, 'error', 0);
    }
  }

  /** Aborts shadow calls in flight (shutdown). */
  close(): void {
    for (const c of this.active) c.abort('shutdown');
  }

  private async sample(req: ShadowRequest, quality: RouteQuality): Promise<void> {
    const { route, delivered, profile } = req;
    const strongest = route.tiers.length - 1;
    const stakeNano = stakeOf(route, req.backends, profile);
    const base = { at: Date.now(), difficulty: profile.difficulty ?? 0, stakeNano };
    const strongCostOf = (tier: number) =>
      req.attempts.filter((a) => a.tier === tier).reduce((s, a) => s + a.costNano, 0);
    if (req.startTier === 0 && delivered.tier === strongest) {
      // The cheap start escalated: the client got the strongest tier's answer. Known without a call.
      await this.record(
        req,
        quality,
        {
          ...base,
          cheapMatch: 1,
          deliveredMatch: 1,
          cheapStartNano: req.costNano,
          strongNano: strongCostOf(strongest),
        },
        { outcome: 'agree', shadowTier: undefined, shadowNano: 0 },
      );
      return;
    }
    const shadowTier = req.startTier === 0 ? strongest : 0;
    const tier = plannedTier(req, shadowTier);
    if (!tier) return this.deps.counted(route.name, 'error', 0);
    const judgeBackend = route.quality!.judge ? req.backends.get(route.quality!.judge) : undefined;
    const worstNano =
      priceUsage(tier.backends[0]!.pricing, {
        input: profile.inputTokens,
        cachedInput: 0,
        output: profile.outputTokens,
        estimated: true,
      }) + (judgeBackend ? judgeWorstCaseNano(judgeBackend, profile) : 0);
    const reserved = await this.reserve(route, worstNano);
    if (!reserved) return;
    let spentNano = 0;
    try {
      const call = await this.call(req, tier, route.quality!.timeoutMs);
      spentNano += call.costNano;
      if (!call.answer) {
        this.deps.counted(route.name, 'error', spentNano);
        this.deps.log.warn(
          { route: route.name, requestId: req.requestId, tier: shadowTier, error: call.error },
          'shadow call failed',
        );
        return;
      }
      const input = { prompt: promptOf(req), json: isJsonMode(req.body) };
      let cmp = compareAnswers(req.answer, call.answer, input).agreement;
      if (cmp === 'undecided' && judgeBackend) {
        const judged = await this.withCancel(route.quality!.timeoutMs, (signal) =>
          askAgreementJudge({
            backend: judgeBackend,
            upstream: req.upstreams.get(judgeBackend.id)!,
            prompt: input.prompt,
            a: req.answer.text,
            b: call.answer!.text,
            random: this.deps.random,
            signal,
            requestId: req.requestId,
          }),
        );
        spentNano += judged.costNano;
        cmp = judged.agreement;
      }
      const match = cmp === 'agree' ? 1 : cmp === 'disagree' ? 0 : null;
      let sample: QualitySample;
      if (shadowTier === strongest) {
        // Served below the strongest tier: the shadow says whether the delivered answer matched.
        sample = {
          ...base,
          cheapMatch: match,
          deliveredMatch: match,
          cheapStartNano: req.costNano,
          strongNano: call.costNano,
        };
      } else {
        // Started above the cheapest tier: would the cheap answer have been kept (the judge) and matched?
        const escalated = req.judge?.(call.answer, { partial: false, backend: tier.backends[0]! }).kind === 'escalate';
        const deliveredMatch = delivered.tier === strongest ? 1 : null;
        sample = {
          ...base,
          cheapMatch: escalated ? deliveredMatch : match,
          deliveredMatch,
          cheapStartNano: call.costNano + (escalated ? req.costNano : 0),
          strongNano: req.costNano,
        };
        if (escalated) cmp = 'agree';
      }
      await this.record(req, quality, sample, {
        outcome: cmp,
        shadowTier,
        shadowNano: spentNano,
        answer: call.answer.text,
      });
    } finally {
      await this.settle(route, spentNano - worstNano);
    }
  }

  private async record(
    req: ShadowRequest,
    quality: RouteQuality,
    sample: QualitySample,
    o: { outcome: Agreement; shadowTier: number | undefined; shadowNano: number; answer?: string },
  ): Promise<void> {
    if (o.shadowTier !== undefined) this.deps.counted(req.route.name, o.outcome, o.shadowNano);
    await quality.add(sample);
    const q = req.route.quality!;
    if (!q.log) return;
    const features = extractFeatures(difficultyInput(req.endpoint, req.body, req.profile.inputTokens));
    this.deps.shadowLog(q.log).append({
      at: new Date(sample.at).toISOString(),
      route: req.route.name,
      request_id: req.requestId,
      outcome: o.outcome,
      start_tier: req.startTier,
      delivered_tier: req.delivered.tier,
      ...(o.shadowTier !== undefined && { shadow_tier: o.shadowTier }),
      difficulty: sample.difficulty,
      input_tokens: req.profile.inputTokens,
      output_tokens: req.profile.outputTokens,
      cheap_ok: sample.cheapMatch === null ? null : sample.cheapMatch === 1,
      strong_ok: true,
      delivered_match: sample.deliveredMatch,
      stake_usd: nanoToUsd(sample.stakeNano),
      cheap_start_usd: nanoToUsd(sample.cheapStartNano),
      strong_usd: nanoToUsd(sample.strongNano),
      shadow_usd: nanoToUsd(o.shadowNano),
      features: { hashed: [...features.hashed], hashed_value: features.hashedValue, dense: [...features.dense] },
      ...(q.storePrompts && {
        ...(req.endpoint === 'chat' ? { messages: req.body.messages } : { prompt: req.body.prompt }),
        delivered_answer: req.answer.text,
        ...(o.answer !== undefined && { shadow_answer: o.answer }),
      }),
    });
  }

  /** Reserves the worst case against the route's daily shadow budget; false (and said why) when it cannot. */
  private async reserve(route: RouteConfig, worstNano: number): Promise<boolean> {
    const day = new Date().toISOString().slice(0, 10);
    const limit = {
      key: `shadow:${route.name}:${day}`,
      limitNano: Math.round(route.quality!.maxShadowUsdPerDay * 1e9),
      ttlMs: 2 * 86_400_000,
    };
    let allowed: boolean;
    try {
      allowed = (await this.deps.store.admit({ spend: { limits: [limit], amountNano: Math.round(worstNano) } }))
        .allowed;
    } catch {
      this.deps.storeError('shadow_reserve');
      if (!this.paused) {
        this.paused = true;
        this.deps.log.warn(
          { route: route.name },
          'shadow sampling paused: the state store is unreachable (routing keeps its last thresholds)',
        );
      }
      return false;
    }
    if (this.paused) {
      this.paused = false;
      this.deps.log.info({ route: route.name }, 'shadow sampling resumed');
    }
    if (!allowed) {
      this.deps.counted(route.name, 'skipped_budget', 0);
      if (this.budgetStopped.get(route.name) !== day) {
        this.budgetStopped.set(route.name, day);
        this.deps.log.warn(
          { route: route.name, maxShadowUsdPerDay: route.quality!.maxShadowUsdPerDay, day },
          'shadow budget for the day spent: sampling stops until it resets (00:00 UTC)',
        );
      }
    }
    return allowed;
  }

  private async settle(route: RouteConfig, deltaNano: number): Promise<void> {
    if (deltaNano === 0) return;
    const day = new Date().toISOString().slice(0, 10);
    const limit = {
      key: `shadow:${route.name}:${day}`,
      limitNano: Math.round(route.quality!.maxShadowUsdPerDay * 1e9),
      ttlMs: 2 * 86_400_000,
    };
    await this.deps.store
      .admit({ spend: { limits: [limit], amountNano: Math.round(deltaNano) }, force: true })
      .catch(() => this.deps.storeError('shadow_settle'));
  }

  private async call(
    req: ShadowRequest,
    tier: PlannedTier,
    timeoutMs: number,
  ): Promise<{ answer?: AnswerView; costNano: number; error?: string }> {
    const body: Record<string, unknown> = { ...req.body, stream: false };
    delete body.stream_options;
    const result = await this.withCancel(timeoutMs, (signal) =>
      runCascade(
        {
          requestId: `${req.requestId}.shadow`,
          endpoint: req.endpoint,
          body,
          route: { ...req.route, deadlineMs: timeoutMs },
          plan: { tiers: [tier], skipped: [] },
          profile: req.profile,
          signal,
          clientWantsUsage: false,
          startedAt: performance.now(),
        },
        { upstreams: req.upstreams, now: () => performance.now() },
        { judge: false, holdbackTokens: 'all' },
      ),
    );
    const costNano = result.attempts.reduce((s, a) => s + a.costNano, 0);
    if (result.outcome !== 'ok' || !result.answer) return { costNano, error: result.error?.message ?? result.outcome };
    return { answer: answerFromJson(result.answer.json), costNano };
  }

  private async withCancel<T>(timeoutMs: number, run: (signal: Cancel) => Promise<T>): Promise<T> {
    const signal = new Cancel();
    const timer = setTimeout(() => signal.abort('deadline'), timeoutMs);
    this.active.add(signal);
    try {
      return await run(signal);
    } finally {
      clearTimeout(timer);
      this.active.delete(signal);
    }
  }
}

/** The tier's backends that serve the request, healthy ones first; undefined when none can. */
function plannedTier(req: ShadowRequest, index: number): PlannedTier | undefined {
  const need = req.profile.inputTokens + req.profile.outputTokens;
  const fits = req.route.tiers[index]!.backends.map((id) => req.backends.get(id)!).filter(
    (b) => b.endpoints.includes(req.endpoint) && b.contextWindow >= need,
  );
  if (fits.length === 0) return undefined;
  return { index, backends: [...fits.filter((b) => req.isHealthy(b.id)), ...fits.filter((b) => !req.isHealthy(b.id))] };
}

function promptOf(req: ShadowRequest): string {
  return req.endpoint === 'chat' ? lastUserText(req.body.messages as ChatMessage[]) : promptText(req.body.prompt);
}
