// Process helpers shared by the benchmarks: Sluice started the way `npm start` starts it, child processes that never
// outlive the bench, free ports, and what /proc says about a process (CPU time, RSS).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';

/** `npm start`'s environment assignments and node flags, read from package.json so the bench runs what users run. */
export function startCommand(script: string): { env: Record<string, string>; nodeArgs: string[] } {
  const words = script.split(/\s+/);
  const node = words.indexOf('node');
  const env = Object.fromEntries(words.slice(0, node).map((w) => w.split('=') as [string, string]));
  return { env, nodeArgs: words.slice(node + 1).filter((w) => w.startsWith('--')) };
}

/** Sluice logs a line per request, as in production; its stdout goes to /dev/null so no reader can slow it. */
export async function startSluice(config: string): Promise<{ child: ChildProcess; port: number }> {
  const port = Number(/port: (\d+)/.exec(readFileSync(config, 'utf8'))![1]);
  const start = startCommand(
    (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start,
  );
  const child = spawn('node', [...start.nodeArgs, 'dist/src/cli.js', 'serve', '--config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...start.env },
  });
  children.push(child);
  await waitHealthy(port, '/healthz');
  return { child, port };
}

export async function waitHealthy(port: number, path: string, post?: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const init = post ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: post } : {};
    if (
      await fetch(`http://127.0.0.1:${port}${path}`, init).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
  }
  throw new Error(`nothing answers on port ${port}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const children: ChildProcess[] = [];
// Children never outlive the bench, however it ends.
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

export async function startProcess(
  cmd: string,
  args: string[],
  portFrom: (line: string) => number | undefined,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    let found = false;
    child.stdout!.on('data', (d: Buffer) => {
      if (found) return; // keep draining: Sluice logs a line per request
      buf += d;
      for (const line of buf.split('\n')) {
        const port = portFrom(line.trim());
        if (port !== undefined) {
          found = true;
          resolve({ child, port });
          return;
        }
      }
    });
    child.on('exit', (code) => {
      if (!found) reject(new Error(`${args.join(' ')} exited with ${code}`));
    });
  });
}

/** CPU time a process has used so far (user + system, all its threads), in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** VmRSS (now) or VmHWM (the kernel's high-water mark since start, which catches spikes between samples). */
export function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
