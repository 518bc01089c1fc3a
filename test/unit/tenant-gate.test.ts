// The tenant gate's settlement batching, on the real in-memory store with its calls counted.
import { describe, expect, it } from 'vitest';
import type { StateConfig } from '../../src/config/schema.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import type { AdmitCheck, StateStore } from '../../src/state/store.js';
import type { Tenant } from '../../src/tenants/key-registry.js';
import { TenantGate } from '../../src/tenants/tenant-gate.js';

function countingStore(now: () => number = Date.now): { store: StateStore; calls: AdmitCheck[] } {
  const inner = createMemoryStore(now);
  const calls: AdmitCheck[] = [];
  return {
    calls,
    store: {
      ...inner,
      admit: (check) => {
        calls.push(check);
        return inner.admit(check);
      },
    },
  };
}

const state = { driver: 'memory' } as StateConfig;
const events = { storeError: () => {}, limited: () => {} };
const tenant = (tpm: number, perDay: number): Tenant => ({
  name: 'team',
  key: { tpm, budgetUsd: { perDay } } as Tenant['key'],
});

describe('TenantGate settlement', () => {
  it('batches a roomy tenant: many settlements, one store call, the same totals', async () => {
    const { store, calls } = countingStore();
    const gate = new TenantGate(store, state, events, { settleEveryMs: 60_000 });
    const t = tenant(1_000_000, 1_000);
    const admissions = [];
    for (let i = 0; i < 20; i++) admissions.push(await gate.admit(t, { tokens: 100, worstNano: 5_000 }));
    expect(admissions.every((a) => !a.urgent)).toBe(true);
    for (const a of admissions) gate.settle(t, a, 30, 2_000); // each used 30 tokens and cost 2,000 nano
    expect(calls).toHaveLength(20); // admissions only so far
    await gate.flush();
    expect(calls).toHaveLength(21);
    expect(calls[20]).toMatchObject({
      force: true,
      rates: [{ key: 'team:tpm', cost: 20 * (30 - 100) }],
      spend: { amountNano: 20 * (2_000 - 5_000) },
    });
    const spent = await store.spendRead([admissions[0]!.reservation!.limits[0]!.key]);
    expect(spent).toEqual([20 * 2_000]);
  });

  it('settles at once near a limit, so a waiting refund never causes a refusal', async () => {
    const { store, calls } = countingStore();
    const gate = new TenantGate(store, state, events, { settleEveryMs: 60_000 });
    const t = tenant(1_000_000, 24e-6); // $24e-6 a day: 24,000 nano, each request reserving 5,000
    const a = await gate.admit(t, { tokens: 100, worstNano: 5_000 });
    expect(a.urgent).toBe(true);
    gate.settle(t, a, 30, 1_000);
    expect(calls).toHaveLength(2); // written without waiting for a flush
    await expect.poll(async () => (await store.spendRead([a.reservation!.limits[0]!.key]))[0]).toBe(1_000);
    // Four more worst cases fit only because the refund is already in (without it, 19,000 left holds three).
    for (let i = 0; i < 4; i++) await gate.admit(t, { tokens: 100, worstNano: 5_000 });
    await expect(gate.admit(t, { tokens: 100, worstNano: 5_000 })).rejects.toMatchObject({
      code: 'insufficient_quota',
    });
  });
});

describe('TenantGate leases', () => {
  const leases = { requests: 64, share: 0.01, reserveShare: 0.2, ttlMs: 1_000 };
  const roomy = (): Tenant => ({
    name: 'big',
    key: { rpm: 100_000, tpm: 10_000_000, budgetUsd: { perDay: 1_000 } } as Tenant['key'],
  });

  it('serves most requests of a roomy tenant from its leases: few store calls, the same totals once given back', async () => {
    const clock = () => 1_000_000; // frozen: the rate limits do not refill while the test runs
    const { store, calls } = countingStore(clock);
    const gate = new TenantGate(store, state, events, { settleEveryMs: 60_000, leases, now: clock });
    const t = roomy();
    const admitted = [];
    for (let i = 0; i < 200; i++) admitted.push(await gate.admit(t, { tokens: 100, worstNano: 5_000 }));
    expect(calls.length).toBeLessThanOrEqual(5); // one call leases 63 more requests' worth of every limit
    expect(admitted[199]!.headers['x-ratelimit-limit-requests']).toBe('100000');
    for (const a of admitted) gate.settle(t, a, 100, 5_000); // used exactly the estimate
    await gate.flush(true); // shutdown: every lease given back
    const day = admitted[0]!.reservation!.limits[0]!.key;
    expect(await store.spendRead([day])).toEqual([200 * 5_000]);
    const rpm = await store.admit({ rates: [{ key: 'big:rpm', limit: 100_000, windowMs: 60_000, cost: 0 }] });
    // 200 taken (± float rounding); an unreturned lease would hold back up to 63 more.
    expect(rpm.rates[0]!.remaining).toBeGreaterThanOrEqual(100_000 - 201);
    expect(rpm.rates[0]!.remaining).toBeLessThanOrEqual(100_000 - 200);
  });

  it('never lets two replicas overshoot a limit together, and stops leasing when it runs low', async () => {
    const clock = () => 1_000_000; // frozen: no refill while the test runs, however slow the machine
    const store = createMemoryStore(clock);
    const replicas = [0, 1].map(
      () => new TenantGate(store, state, events, { settleEveryMs: 60_000, leases, now: clock }),
    );
    const t: Tenant = { name: 'pair', key: { rpm: 1_000 } as Tenant['key'] };
    let admitted = 0;
    for (let i = 0; i < 1_200; i++) {
      try {
        await replicas[i % 2]!.admit(t, { tokens: 0 });
        admitted++;
      } catch (err) {
        expect(err).toMatchObject({ code: 'rate_limit_exceeded' });
      }
    }
    expect(admitted).toBeLessThanOrEqual(1_000);
    // Capacity idle in the other replica's lease can refuse a request briefly, never more than one lease's worth.
    expect(admitted).toBeGreaterThanOrEqual(1_000 - 2 * 10);
    await Promise.all(replicas.map((r) => r.flush(true)));
  });

  it('takes no lease on a tight limit, so a lease never causes a refusal', async () => {
    const { store, calls } = countingStore();
    const gate = new TenantGate(store, state, events, { settleEveryMs: 60_000, leases });
    const t: Tenant = { name: 'small', key: { rpm: 50 } as Tenant['key'] }; // 1 % of 50 is under one request
    for (let i = 0; i < 50; i++) await gate.admit(t, { tokens: 0 });
    expect(calls).toHaveLength(50);
    await expect(gate.admit(t, { tokens: 0 })).rejects.toMatchObject({ code: 'rate_limit_exceeded' });
  });
});
