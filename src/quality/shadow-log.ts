// The shadow log: one JSON line per sample (features and outcomes; prompts and answers only with storePrompts),
// appended in order. `sluice train-difficulty` and `sluice calibrate` read it; at start-up its newest samples
// seed a route's evidence when the state store holds none (a single replica on the memory store).
import { createWriteStream, existsSync, openSync, readSync, closeSync, fstatSync, type WriteStream } from 'node:fs';
import type { QualitySample } from './threshold.js';

export interface ShadowLog {
  append(record: Record<string, unknown>): void;
  close(): Promise<void>;
}

export function openShadowLog(path: string, onError: (err: Error) => void): ShadowLog {
  let stream: WriteStream | undefined;
  return {
    append(record) {
      stream ??= createWriteStream(path, { flags: 'a' }).on('error', onError);
      stream.write(`${JSON.stringify(record)}\n`);
    },
    close: () =>
      new Promise((resolve) => {
        if (!stream) resolve();
        else stream.end(resolve);
      }),
  };
}

/** The newest `max` samples of a route in a shadow log (reads at most its last 16 MB). */
export function readLoggedSamples(path: string, route: string, max: number): QualitySample[] {
  if (!existsSync(path)) return [];
  const fd = openSync(path, 'r');
  let text: string;
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 16 * 1024 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    text = buf.toString('utf8');
    if (len < size) text = text.slice(text.indexOf('\n') + 1);
  } finally {
    closeSync(fd);
  }
  const out: QualitySample[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(`"route":${JSON.stringify(route)}`)) continue;
    const s = sampleOf(line);
    if (s) out.push(s);
  }
  return out.slice(-max);
}

function sampleOf(line: string): QualitySample | undefined {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const match = (v: unknown): 0 | 1 | null => (v === true || v === 1 ? 1 : v === false || v === 0 ? 0 : null);
  const difficulty = num(r.difficulty),
    stake = num(r.stake_usd),
    cheap = num(r.cheap_start_usd),
    strong = num(r.strong_usd);
  if (difficulty === undefined || stake === undefined || cheap === undefined || strong === undefined) return undefined;
  return {
    at: Date.parse(String(r.at)) || 0,
    difficulty,
    stakeNano: Math.round(stake * 1e9),
    cheapMatch: match(r.cheap_ok),
    deliveredMatch: match(r.delivered_match),
    cheapStartNano: Math.round(cheap * 1e9),
    strongNano: Math.round(strong * 1e9),
  };
}
