// The optional agreement judge: a backend asked, with one fixed prompt (documented in the README), whether two
// answers to the same request agree. The order the answers are shown in is random, so a judge that prefers the
// first (or second) answer shown cannot bias the estimate. Its cost is shadow spend.
import type { Profile } from '../classify/profile.js';
import { countText } from '../classify/count-tokens.js';
import type { BackendConfig } from '../config/schema.js';
import { priceUsage } from '../cost/pricing.js';
import { usageFrom } from '../cascade/attempt.js';
import type { Cancel } from '../upstream/cancel.js';
import type { Upstream } from '../upstream/types.js';
import type { Agreement } from './agreement.js';

export const judgeSystemPrompt =
  'You compare two answers to the same request. Reply with one word: SAME if they give the same final answer (or take the same action), DIFFERENT if they do not.';

export function judgeUserPrompt(prompt: string, first: string, second: string): string {
  return `Request:\n${prompt}\n\nAnswer 1:\n${first}\n\nAnswer 2:\n${second}\n\nDo the two answers agree? Reply SAME or DIFFERENT.`;
}

/** The judge's word, read strictly: anything but one of the two words is undecided. */
export function readVerdict(text: string): Agreement {
  const same = /\bSAME\b/i.test(text),
    different = /\bDIFFERENT\b/i.test(text);
  return same === different ? 'undecided' : same ? 'agree' : 'disagree';
}

/** The most a judge call can cost: the prompt and both answers at their maximum, and a few output tokens. */
export function judgeWorstCaseNano(backend: BackendConfig, profile: Profile): number {
  return priceUsage(backend.pricing, {
    input: profile.inputTokens + 2 * profile.outputTokens + 120,
    cachedInput: 0,
    output: 8,
    estimated: true,
  });
}

export async function askAgreementJudge(o: {
  backend: BackendConfig;
  upstream: Upstream;
  prompt: string;
  a: string;
  b: string;
  random: () => number;
  signal: Cancel;
  requestId: string;
}): Promise<{ agreement: Agreement; costNano: number }> {
  const [first, second] = o.random() < 0.5 ? [o.a, o.b] : [o.b, o.a];
  const content = judgeUserPrompt(o.prompt, first, second);
  const body = {
    model: o.backend.model,
    messages: [
      { role: 'system', content: judgeSystemPrompt },
      { role: 'user', content },
    ],
    max_tokens: 8,
    temperature: 0,
  };
  try {
    const res = await o.upstream.send({
      endpoint: 'chat',
      body,
      stream: false,
      signal: o.signal,
      requestId: `${o.requestId}.judge`,
    });
    if (res.kind !== 'json') {
      res.cancel();
      return { agreement: 'undecided', costNano: 0 };
    }
    const choice = (res.json.choices as Array<{ message?: { content?: unknown } }> | undefined)?.[0];
    const text = typeof choice?.message?.content === 'string' ? choice.message.content : '';
    const usage = usageFrom(res.json.usage, {
      inputTokens: countText(judgeSystemPrompt + content).tokens,
      outputText: text,
    });
    return { agreement: readVerdict(text), costNano: priceUsage(o.backend.pricing, usage) };
  } catch {
    return { agreement: 'undecided', costNano: 0 };
  }
}
