// Model names to routes: names, exact aliases, prefix aliases (`claude-*`), backend ids.
import { describe, expect, it } from 'vitest';
import { loadConfigObject } from '../../src/config/load-config.js';
import { createTargetResolver } from '../../src/route/resolve-target.js';

const mock = { protocol: 'mock', model: 'm' };
const { config } = loadConfigObject(
  {
    backends: [
      { id: 'a', ...mock },
      { id: 'b', ...mock },
    ],
    routes: [
      { name: 'coding', aliases: ['claude-*', 'gpt-4o'], tiers: [{ backends: ['a'] }, { backends: ['b'] }] },
      { name: 'quick', aliases: ['claude-haiku-*', 'claude-3-5-haiku-latest'], tiers: [{ backends: ['a'] }] },
    ],
  },
  { env: {} },
);
const resolve = createTargetResolver(config);

describe('model name resolution', () => {
  it('takes exact names first, then the longest matching prefix', () => {
    expect(resolve('gpt-4o')?.route.name).toBe('coding');
    expect(resolve('claude-opus-5-5')?.route.name).toBe('coding');
    expect(resolve('claude-haiku-4-5-20251001')?.route.name).toBe('quick');
    expect(resolve('claude-3-5-haiku-latest')?.route.name).toBe('quick');
    expect(resolve('a')).toMatchObject({ pinned: true });
    expect(resolve('gpt-4o-mini')).toBeUndefined();
    expect(resolve('claude')).toBeUndefined();
  });
});
