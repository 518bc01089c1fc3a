// The tenant gate's settlement batching, on the real in-memory store with its calls counted.
import { describe, expect, it } from 'vitest';
import type { StateConfig } from '../../src/config/schema.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import type { AdmitCheck, StateStore } from '../../src/state/store.js';
import type { Tenant } from '../../src/tenants/key-registry.js';
import { TenantGate } from '../../src/tenants/tenant-gate.js';

function countingStore(): { store: StateStore; calls: AdmitCheck[] } {
  const inner = createMemoryStore();
  const calls: AdmitCheck[] = [];
  return { calls, store: { ...inner, admit: (check) => { calls.push(check); return inner.admit(check); } } };
}

const state = { driver: 'memory' } as StateConfig;
const events = { storeError: () => {}, limited: () => {} };
const tenant = (tpm: number, perDay: number): Tenant => ({ name: 'team', key: { tpm, budgetUsd: { perDay } } as Tenant['key'] });

describe('TenantGate settlement', () => {
  it('batches a roomy tenant: many settlements, one store call, the same totals', async () => {
    const { store, calls } = countingStore();
    const gate = new TenantGate(store, state, events, 60_000);
    const t = tenant(1_000_000, 1_000);
    const admissions = [];
    for (let i = 0; i < 20; i++) admissions.push(await gate.admit(t, { tokens: 100, worstNano: 5_000 }));
    expect(admissions.every((a) => !a.urgent)).toBe(true);
    for (const a of admissions) gate.settle(t, a, 30, 2_000); // each used 30 tokens and cost 2,000 nano
    expect(calls).toHaveLength(20); // admissions only so far
    await gate.flush();
    expect(calls).toHaveLength(21);
    expect(calls[20]).toMatchObject({ force: true, rates: [{ key: 'team:tpm', cost: 20 * (30 - 100) }], spend: { amountNano: 20 * (2_000 - 5_000) } });
    const spent = await store.spendRead([admissions[0]!.reservation!.limits[0]!.key]);
    expect(spent).toEqual([20 * 2_000]);
  });

  it('settles at once near a limit, so a waiting refund never causes a refusal', async () => {
    const { store, calls } = countingStore();
    const gate = new TenantGate(store, state, events, 60_000);
    const t = tenant(1_000_000, 24e-6); // $24e-6 a day: 24,000 nano, each request reserving 5,000
    const a = await gate.admit(t, { tokens: 100, worstNano: 5_000 });
    expect(a.urgent).toBe(true);
    gate.settle(t, a, 30, 1_000);
    expect(calls).toHaveLength(2); // written without waiting for a flush
    await expect.poll(async () => (await store.spendRead([a.reservation!.limits[0]!.key]))[0]).toBe(1_000);
    // Four more worst cases fit only because the refund is already in (without it, 19,000 left holds three).
    for (let i = 0; i < 4; i++) await gate.admit(t, { tokens: 100, worstNano: 5_000 });
    await expect(gate.admit(t, { tokens: 100, worstNano: 5_000 })).rejects.toMatchObject({ code: 'insufficient_quota' });
  });
});
