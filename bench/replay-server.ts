// The replay upstream as its own process (so its work does not share Sluice's event loop in a benchmark):
// node dist/bench/replay-server.js <data.jsonl> <seed> <count> <latencyMs>; prints its URL, stops on SIGTERM.
import { readFileSync } from 'node:fs';
import { parseLabelledJsonl } from '../src/classify/difficulty-data.js';
import { replayAnswers, shuffled, startReplayUpstream } from './replay-upstream.js';

const [path, seed, count, latency] = process.argv.slice(2);
const rows = shuffled(parseLabelledJsonl(readFileSync(path!, 'utf8')).rows, Number(seed))
  .slice(0, Number(count))
  .map(replayAnswers);
const up = await startReplayUpstream(rows, {
  weakModel: 'mixtral-8x7b',
  strongModel: 'gpt-4-1106',
  latencyMs: Number(latency),
});
process.stdout.write(`${up.url}\n`);
process.on('SIGTERM', () => void up.close().then(() => process.exit(0)));
