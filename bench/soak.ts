// npm run bench:soak — a steady rate for a long time (30 minutes by default; not in CI): the chaos traffic (three
// doors, streams, long prompts, client aborts) against the faulty upstream. Every interval prints Sluice's RSS,
// V8 heap, open sockets and file descriptors, and the interval's p50/p99 latency and error share; flat lines mean
// nothing leaks. SOAK_MINUTES, SOAK_RPS and SOAK_INTERVAL_S change it. Loopback only.
import { readdirSync, readlinkSync } from 'node:fs';
import { Pool } from 'undici';
import { chaosConfig, metricSum, metricsText, sendChaosRequest } from './chaos-traffic.js';
import { quantile, rssMb, startProcess, startSluice } from './processes.js';

const minutes = Number(process.env.SOAK_MINUTES ?? 30);
const rps = Number(process.env.SOAK_RPS ?? 100);
const intervalS = Number(process.env.SOAK_INTERVAL_S ?? 60);

/** Sockets and all descriptors the process holds open. */
function descriptors(pid: number): { sockets: number; fds: number } {
  const dir = `/proc/${pid}/fd`;
  let sockets = 0;
  let fds = 0;
  for (const fd of readdirSync(dir)) {
    fds++;
    try {
      if (readlinkSync(`${dir}/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // closed while listed
    }
  }
  return { sockets, fds };
}

async function heapMb(port: number): Promise<string> {
  return (metricSum(await metricsText(port), 'nodejs_heap_size_used_bytes') / 1_048_576).toFixed(0);
}

async function main(): Promise<void> {
  const upstream = await startProcess('node', ['dist/bench/chaos-upstream.js'], (l) =>
    /^\d+$/.test(l) ? Number(l) : undefined,
  );
  const sluice = await startSluice(await chaosConfig(upstream.port));
  const pid = sluice.child.pid!;
  const pool = new Pool(`http://127.0.0.1:${sluice.port}`, { connections: 64 });
  console.log(`# bench:soak — ${rps} requests/s for ${minutes} min, a line every ${intervalS} s`);
  console.log('| min | RSS MB | heap MB | sockets | fds | requests | p50 ms | p99 ms | errors | client aborts |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  let times: number[] = [];
  let errors = 0;
  let aborts = 0;
  let done = 0;
  let inFlight = 0;
  const one = async () => {
    inFlight++;
    const o = await sendChaosRequest(pool);
    inFlight--;
    done++;
    if (o.kind === 'answered') {
      if (o.status >= 500) errors++;
      times.push(o.ms);
    } else if (o.kind === 'aborted') aborts++;
    else errors++;
  };
  const end = Date.now() + minutes * 60_000;
  const ticker = setInterval(() => {
    if (Date.now() < end && inFlight < 2_000) void one();
  }, 1000 / rps);
  const started = Date.now();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(intervalS * 1000, end - Date.now())));
    const sorted = times.sort((a, b) => a - b);
    const { sockets, fds } = descriptors(pid);
    console.log(
      `| ${((Date.now() - started) / 60_000).toFixed(1)} | ${rssMb(pid).toFixed(0)} | ${await heapMb(sluice.port)} | ${sockets} | ${fds} | ${done} | ${quantile(sorted, 0.5).toFixed(1)} | ${quantile(sorted, 0.99).toFixed(1)} | ${errors} | ${aborts} |`,
    );
    times = [];
    errors = 0;
    aborts = 0;
    done = 0;
  }
  clearInterval(ticker);
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2_000));
  const { sockets, fds } = descriptors(pid);
  console.log(`after the load: RSS ${rssMb(pid).toFixed(0)} MB, ${sockets} sockets, ${fds} descriptors open`);
  await pool.close();
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
