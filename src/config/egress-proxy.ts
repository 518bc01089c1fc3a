// Which backends are reached through the environment's egress proxy: `https_proxy`/`HTTPS_PROXY` for https
// backends, `http_proxy`/`HTTP_PROXY` for http ones (lower case first, as curl reads them), except hosts named in
// `no_proxy`/`NO_PROXY` and loopback addresses, which are always reached directly. Pure.
import type { Env } from './load-config.js';

/** The proxy URL for calls to `target`, or undefined for a direct connection. Throws when the variable is not a URL. */
export function proxyFor(target: URL, env: Env): string | undefined {
  const https = target.protocol === 'https:';
  const name = https ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  const variable = name.find((n) => env[n]);
  if (!variable) return undefined;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopback(host)) return undefined;
  const port = Number(target.port) || (https ? 443 : 80);
  if (bypassed(host, port, env.no_proxy ?? env.NO_PROXY ?? '')) return undefined;
  const value = env[variable]!;
  let proxy: URL;
  try {
    proxy = new URL(value.includes('://') ? value : `http://${value}`);
  } catch {
    throw new Error(`${variable} is not a URL`);
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:')
    throw new Error(`${variable} must be an http:// or https:// URL`);
  return proxy.href;
}

/** `no_proxy` entries: `*`, a host, a domain (`example.com`, `.example.com` and `*.example.com` cover subdomains), each optionally with `:port`. */
function bypassed(host: string, port: number, noProxy: string): boolean {
  for (const raw of noProxy.split(/[\s,]+/)) {
    if (raw === '') continue;
    if (raw === '*') return true;
    const e = raw.toLowerCase();
    // [v6]:port, host:port, or a bare name or address (a v6 one has colons of its own)
    const m = /^\[(.+)\](?::(\d+))?$/.exec(e) ?? /^([^:]+)(?::(\d+))?$/.exec(e) ?? [e, e, undefined];
    if (m[2] !== undefined && Number(m[2]) !== port) continue;
    const entry = m[1]!.replace(/^\*?\./, '');
    if (host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The proxy URL without its credentials, for the log. */
export function withoutCredentials(proxy: string): string {
  const u = new URL(proxy);
  u.username = '';
  u.password = '';
  return u.href;
}
