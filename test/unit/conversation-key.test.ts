// Which conversation a request continues: explicit keys first, else the hash of what every turn resends.
import { describe, expect, it } from 'vitest';
import { conversationKey } from '../../src/route/conversation-key.js';

const turn = (extra: Array<{ role: string; content: string }>) => ({
  messages: [
    { role: 'system', content: 'You are a travel guide.' },
    { role: 'user', content: 'Plan three days in Paris.' },
    ...extra,
  ],
});

describe('conversation keys', () => {
  it('takes prompt_cache_key, then user, then the x-session-id header', () => {
    expect(conversationKey({ prompt_cache_key: 'pk', user: 'u' }, 's')).toBe('k:pk');
    expect(conversationKey({ user: 'u' }, 's')).toBe('u:u');
    expect(conversationKey({}, 's')).toBe('s:s');
  });

  it('hashes the conversation’s start: the same across turns, different for another conversation', () => {
    const first = conversationKey(turn([{ role: 'assistant', content: 'Day 1: the Louvre.' }]), undefined);
    // A first turn with no key continues no conversation.
    expect(conversationKey(turn([]), undefined)).toBeUndefined();
    const later = conversationKey(
      turn([
        { role: 'assistant', content: 'Day 1: the Louvre.' },
        { role: 'user', content: 'And day 2?' },
      ]),
      undefined,
    );
    expect(later).toBe(first);
    expect(first).toMatch(/^h:/);
    const other = conversationKey(
      {
        messages: [
          { role: 'user', content: 'Rome?' },
          { role: 'assistant', content: 'Yes.' },
        ],
      },
      undefined,
    );
    expect(other).not.toBe(first);
  });
});
