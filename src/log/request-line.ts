// The summary of one request as the members of its log line's JSON object, written as text in one pass. Logged
// as an object, pino walked it key by key and stringified each nested part (5–12 µs and a few kB per request).
// No prompt or answer text is ever in it (that is a separate debug option, never on by default).
import { formatUsd } from '../cost/pricing.js';
import type { RequestRecord } from '../cost/request-record.js';
import type { MemberKeys } from './log-members.js';

const text = (s: string): string => JSON.stringify(s);
// Names (routes, backends, doors, outcomes, reasons) come from a small set: each is escaped once. Bounded, so
// names that never repeat cannot grow it; free text (error messages) is escaped each time.
const names = new Map<string, string>();
function name(s: string): string {
  let json = names.get(s);
  if (json === undefined) {
    json = JSON.stringify(s);
    if (names.size < 1_024 && s.length <= 128) names.set(s, json);
  }
  return json;
}
/** As JSON.stringify writes a number (non-finite ones are null). */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');
/** ".001" to ".999" with trailing zeros dropped, and "" for none: a millisecond's fraction as JSON writes it. */
const fractions = Array.from({ length: 1000 }, (_, i) =>
  i === 0 ? '' : `.${String(i).padStart(3, '0').replace(/0+$/, '')}`,
);
/**
 * `num(Math.round(n * 1000) / 1000)`, from integers: writing a fraction's shortest digits costs about ten times an
 * integer's. Exact while the thousandths fit in 31 bits (a decimal with three places is then the shortest text that
 * reads back as the same number); anything larger goes the long way.
 */
export function round(n: number): string {
  const k = Math.round(n * 1000);
  if (!(k > -2_147_483_648 && k < 2_147_483_648)) return num(k / 1000);
  const a = k < 0 ? -k : k;
  const s = `${Math.floor(a / 1000)}${fractions[a % 1000]}`;
  return k < 0 ? `-${s}` : s;
}

/** Every top-level key a request line may hold, and what its value is. */
export const requestLineKeys: MemberKeys = {
  route: 'scalar',
  door: 'scalar',
  traceId: 'scalar',
  protocol: 'scalar',
  tenant: 'scalar',
  outcome: 'scalar',
  status: 'scalar',
  stream: 'scalar',
  error: 'scalar',
  profile: 'object',
  plan: 'object',
  attempts: 'object',
  escalations: 'object',
  affinity: 'object',
  backend: 'scalar',
  costUsd: 'scalar',
  baselineUsd: 'scalar',
  savedUsd: 'scalar',
  durationMs: 'scalar',
  overheadMs: 'scalar',
  firstByteMs: 'scalar',
};

/** `"route":"auto","door":"chat",...`: no braces, so the logger can put its own fields before them. */
export function requestLine(r: RequestRecord): string {
  let s = `"route":${name(r.route)}`;
  if (r.door) s += `,"door":${name(r.door)}`;
  if (r.trace) s += `,"traceId":"${r.trace.traceId}"`; // 32 hex digits: read by pattern, or made (trace-context.ts)
  if (r.protocol) s += `,"protocol":${name(r.protocol)}`;
  if (r.tenant) s += `,"tenant":${name(r.tenant)}`;
  s += `,"outcome":${name(r.outcome)},"status":${num(r.status)},"stream":${r.stream}`;
  if (r.errorCode) s += `,"error":${name(r.errorCode)}`;
  const p = r.profile;
  if (p) {
    s += `,"profile":{"in":${num(p.inputTokens)},"out":${num(p.outputTokens)},"size":${name(p.sizeClass)}`;
    s += p.difficulty === undefined ? '}' : `,"difficulty":${round(p.difficulty)}}`;
  }
  if (r.plan) {
    s += `,"plan":{"tiers":[${r.plan.tiers.map((t) => num(t.index)).join(',')}],"skipped":`;
    s += `${JSON.stringify(r.plan.skipped)}}`;
  }
  s += ',"attempts":[';
  for (let i = 0; i < r.attempts.length; i++) {
    const a = r.attempts[i]!;
    if (i > 0) s += ',';
    s += `{"tier":${num(a.tier)},"backend":${name(a.backend)},"outcome":${name(a.outcome)}`;
    if (a.reason) s += `,"reason":${name(a.reason)}`;
    if (a.status) s += `,"status":${num(a.status)}`;
    if (a.error) s += `,"error":${text(a.error)}`;
    s += `,"in":${num(a.usage.input)},"out":${num(a.usage.output)}`;
    if (a.usage.cachedInput > 0) s += `,"cached":${num(a.usage.cachedInput)}`;
    if (a.usage.estimated) s += ',"estimated":true';
    s += `,"costUsd":"${formatUsd(a.costNano)}","ms":${round(a.durationMs)}`;
    s += a.score === undefined ? '}' : `,"score":${round(a.score)}}`;
  }
  s += ']';
  if (r.escalations.length > 0) s += `,"escalations":[${r.escalations.map((e) => name(e.reason)).join(',')}]`;
  if (r.affinity) s += `,"affinity":${JSON.stringify(r.affinity)}`;
  if (r.delivered) s += `,"backend":${name(r.delivered.backend)}`;
  if (r.cost) {
    s += `,"costUsd":"${formatUsd(r.cost.costNano)}","baselineUsd":"${formatUsd(r.cost.baselineNano)}"`;
    s += `,"savedUsd":"${formatUsd(r.cost.savedNano)}"`;
  }
  s += `,"durationMs":${round(r.durationMs)}`;
  if (r.overheadMs !== undefined) s += `,"overheadMs":${round(r.overheadMs)}`;
  if (r.firstByteMs !== undefined) s += `,"firstByteMs":${round(r.firstByteMs)}`;
  return s;
}
