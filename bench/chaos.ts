// npm run bench:chaos — Sluice's memory and bookkeeping under faults: 1,500 mixed requests (JSON and streams,
// through all three doors, some long prompts, some abandoned by the client) at 32 at a time against an upstream
// that fails, resets, stalls and cuts streams at random. Prints Sluice's RSS (peak, and after the load), that
// every request got an answer and was accounted, and that nothing is left in flight. Loopback only.
import { Pool } from 'undici';
import { chaosConfig, metricSum, metricsText, sendChaosRequest } from './chaos-traffic.js';
import { rssMb, startProcess, startSluice } from './processes.js';

const total = Number(process.env.CHAOS_REQUESTS ?? 1_500);
const concurrency = Number(process.env.CHAOS_CONCURRENCY ?? 32);
const targetMb = 150;

async function main(): Promise<void> {
  const upstream = await startProcess('node', ['dist/bench/chaos-upstream.js'], (l) =>
    /^\d+$/.test(l) ? Number(l) : undefined,
  );
  const config = await chaosConfig(upstream.port);
  const sluice = await startSluice(config);
  const pid = sluice.child.pid!;
  const startRss = rssMb(pid);
  let peak = startRss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  const pool = new Pool(`http://127.0.0.1:${sluice.port}`, { connections: concurrency });
  const statuses = new Map<string, number>();
  const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
  let sent = 0;
  const t0 = Date.now();
  const worker = async () => {
    while (sent < total) {
      sent++;
      const o = await sendChaosRequest(pool, { headersTimeout: 30_000, bodyTimeout: 30_000 });
      count(
        o.kind === 'answered' ? String(o.status) : o.kind === 'aborted' ? 'client abort' : `client error ${o.name}`,
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2_000)); // aborted requests finish their bookkeeping; shadow none here
  const after = rssMb(pid);
  clearInterval(sampler);
  const metrics = await metricsText(sluice.port);
  await pool.close();
  const accounted = metricSum(metrics, 'sluice_requests_total');
  const inflight = metricSum(metrics, 'sluice_inflight_requests');
  console.log(`# bench:chaos — ${total} requests at concurrency ${concurrency} in ${seconds.toFixed(1)} s`);
  console.log(
    `client saw: ${[...statuses]
      .sort()
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}`,
  );
  console.log(
    `accounted by Sluice: ${accounted} of ${total} (${accounted === total ? 'all' : 'MISSING'}); in flight after: ${inflight}`,
  );
  console.log(
    `Sluice RSS: ${startRss.toFixed(0)} MB at start, peak ${peak.toFixed(0)} MB (target ≤ ${targetMb} MB: ${peak <= targetMb ? 'met' : 'not met'}), ${after.toFixed(0)} MB after; kernel high-water mark ${rssMb(pid, 'VmHWM').toFixed(0)} MB`,
  );
  const mb = (name: string) => (metricSum(metrics, name) / 1_048_576).toFixed(0);
  console.log(
    `after the load, V8 heap: ${mb('nodejs_heap_size_used_bytes')} MB used of ${mb('nodejs_heap_size_total_bytes')} MB; external ${mb('nodejs_external_memory_bytes')} MB (the rest of RSS: code, the tokenizer's tables, malloc arenas)`,
  );
  sluice.child.kill('SIGTERM');
  upstream.child.kill('SIGTERM');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
