// POST /v1/messages/count_tokens: the Anthropic SDKs' countTokens and Claude Code (dozens of calls at start-up, with
// ?beta=true). A route that starts on an Anthropic backend asks it (its count is the one it bills); otherwise, or
// when it does not answer, the request is translated as /v1/messages would be and system prompt, tools and
// messages are counted by Sluice's tokenizer, the way the route's classifier counts them. Never priced.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { countChatTokens } from '../classify/count-tokens.js';
import { asObject } from '../openai/wire-values.js';
import { anthropicHeaders, messagesToChat } from '../doors/messages.js';
import { modelNotFound } from '../errors/sluice-error.js';
import type { ChatMessage } from '../openai/types.js';
import type { Runtime } from '../runtime.js';
import { checkDepth } from './validate-body.js';
import { Cancel } from '../upstream/cancel.js';

export function countTokensHandler(runtime: () => Runtime) {
  return async function handle(request: FastifyRequest, reply: FastifyReply) {
    const rt = runtime();
    const tenant = await rt.keys.authenticate(request.headers);
    const raw = request.body;
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) checkDepth(raw as Record<string, unknown>);
    // count_tokens takes no max_tokens; the translation needs one.
    const chat = messagesToChat(asObject(raw) ? { max_tokens: 1, ...(raw as object) } : raw);
    const model = chat.model as string;
    const target = rt.resolveTarget(model);
    if (!target) throw modelNotFound(model);
    rt.keys.authorize(tenant, model, target.route.name);
    const first = rt.upstreams.get(target.route.tiers[0]!.backends[0]!);
    if (first?.countTokens) {
      const signal = new Cancel();
      const headers = anthropicHeaders(request.headers);
      try {
        const n = await first.countTokens(
          { protocol: 'anthropic', body: raw as Record<string, unknown>, headers },
          signal,
        );
        return reply.type('application/json').send({ input_tokens: n });
      } catch (err) {
        request.log.debug({ err, backend: first.backend.id }, 'count_tokens: backend did not answer; counted locally');
      } finally {
        signal.dispose();
      }
    }
    const counted = countChatTokens(chat.messages as ChatMessage[], chat.tools);
    return reply.type('application/json').send({ input_tokens: counted.tokens });
  };
}
