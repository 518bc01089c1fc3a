// The record of one request as the summary log line and the metrics see it.
import type { AttemptRecord, Escalation } from '../shared/attempt-record.js';
import type { Profile } from '../classify/profile.js';
import type { RequestCost } from './account-request.js';
import type { Plan } from '../route/plan.js';
import type { TraceContext } from '../telemetry/trace-context.js';

export type RequestOutcome = 'ok' | 'error' | 'rejected' | 'client_aborted';

/** Route label for requests that never reached a route (bad body, unknown model); schema ids cannot clash. */
export const unroutedLabel = '_unrouted';

export interface RequestRecord {
  route: string;
  /** The client protocol it came through: chat, completions, embeddings, messages, responses. */
  door?: string;
  /** The protocol of the backend that delivered the answer (openai, mock), or cache. */
  protocol?: string;
  /** The model name the client asked for (spans only: never a metric label). */
  model?: string;
  /** performance.now() when the request arrived. */
  startMs?: number;
  trace?: TraceContext;
  /** The key's tenant (logs only: never a metric label). */
  tenant?: string;
  outcome: RequestOutcome;
  status: number;
  durationMs: number;
  overheadMs?: number;
  firstByteMs?: number;
  stream: boolean;
  profile?: Profile;
  plan?: Plan;
  attempts: AttemptRecord[];
  escalations: Escalation[];
  delivered?: AttemptRecord;
  cost?: RequestCost;
  errorCode?: string;
  /** Prompt-cache affinity: the backend holding the conversation's cache, and what moving away cost. */
  affinity?: { backend: string; kept: boolean; reprefillTokens: number };
}
