// The circuit breaker's state machine, with an explicit clock.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/health/circuit-breaker.js';

describe('CircuitBreaker', () => {
  it('trips after five failures in a row and stays open for the cool-down', () => {
    const b = new CircuitBreaker();
    for (let i = 0; i < 4; i++) expect(b.record(false, 1_000)).toBeUndefined();
    expect(b.record(false, 1_000)).toBe('tripped');
    expect(b.available(1_000)).toBe(false);
    expect(b.available(5_999)).toBe(false);
    expect(b.available(6_000)).toBe(true); // half-open after 5 s
  });
  it('a success in between resets the run', () => {
    const b = new CircuitBreaker();
    for (let i = 0; i < 4; i++) b.record(false, 0);
    b.record(true, 0);
    for (let i = 0; i < 4; i++) expect(b.record(false, 0)).toBeUndefined();
  });
  it('trips on the failure rate over the window', () => {
    const b = new CircuitBreaker();
    const outcomes = [true, false, true, false, true, false, true, false, true, false];
    const events = outcomes.map((ok) => b.record(ok, 0));
    expect(events.at(-1)).toBe('tripped');
    expect(events.slice(0, -1).every((e) => e === undefined)).toBe(true);
  });
  it('half-open: a success closes, a failure reopens for twice as long', () => {
    const b = new CircuitBreaker();
    for (let i = 0; i < 5; i++) b.record(false, 0);
    expect(b.record(false, 6_000)).toBe('tripped'); // second trip: 10 s
    expect(b.available(15_999)).toBe(false);
    expect(b.available(16_000)).toBe(true);
    expect(b.record(true, 16_000)).toBe('closed');
    expect(b.shared()).toEqual({ openUntil: 0, trips: 0 });
  });
  it('ignores outcomes that arrive while open', () => {
    const b = new CircuitBreaker();
    for (let i = 0; i < 5; i++) b.record(false, 0);
    expect(b.record(true, 100)).toBeUndefined();
    expect(b.available(100)).toBe(false);
  });
  it('adopts a trip another replica published, and not an expired one', () => {
    const b = new CircuitBreaker();
    expect(b.adopt({ openUntil: 10_000, trips: 1 }, 1_000)).toBe('tripped');
    expect(b.available(5_000)).toBe(false);
    expect(new CircuitBreaker().adopt({ openUntil: 500, trips: 1 }, 1_000)).toBeUndefined();
  });
});
