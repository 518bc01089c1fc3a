// Which backends go through the environment's egress proxy: the same reading of the variables curl has.
import { describe, expect, it } from 'vitest';
import { proxyFor, withoutCredentials } from '../../src/config/egress-proxy.js';

const api = new URL('https://api.openai.com/v1');
const vllm = new URL('http://vllm.internal:8000/v1');

describe('proxyFor', () => {
  it("is direct without a proxy variable, and picks the variable of the backend's scheme, lower case first", () => {
    expect(proxyFor(api, {})).toBeUndefined();
    expect(proxyFor(api, { HTTP_PROXY: 'http://p:3128' })).toBeUndefined();
    expect(proxyFor(api, { HTTPS_PROXY: 'http://p:3128' })).toBe('http://p:3128/');
    expect(proxyFor(api, { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' })).toBe('http://lower:2/');
    expect(proxyFor(vllm, { HTTP_PROXY: 'proxy.corp:3128' })).toBe('http://proxy.corp:3128/'); // no scheme: http
  });
  it('leaves out the hosts, domains and ports NO_PROXY names, and loopback always', () => {
    const env = (noProxy: string) => ({ HTTPS_PROXY: 'http://p:3128', HTTP_PROXY: 'http://p:3128', NO_PROXY: noProxy });
    expect(proxyFor(api, env('api.openai.com'))).toBeUndefined();
    expect(proxyFor(api, env('openai.com'))).toBeUndefined();
    expect(proxyFor(api, env('.openai.com'))).toBeUndefined();
    expect(proxyFor(api, env('*.OpenAI.com'))).toBeUndefined();
    expect(proxyFor(api, env('notopenai.com, other'))).toBe('http://p:3128/');
    expect(proxyFor(vllm, env('localhost vllm.internal:8000'))).toBeUndefined();
    expect(proxyFor(vllm, env('vllm.internal:9000'))).toBe('http://p:3128/');
    expect(proxyFor(vllm, env('*'))).toBeUndefined();
    expect(proxyFor(new URL('http://[fd00::1]:8000/v1'), env('[fd00::1]:8000'))).toBeUndefined();
    expect(proxyFor(new URL('http://[fd00::1]:8000/v1'), env('fd00::1'))).toBeUndefined();
    for (const local of ['http://localhost:8000', 'http://127.0.0.9:1', 'http://[::1]:8000'])
      expect(proxyFor(new URL(local), env(''))).toBeUndefined();
  });
  it('refuses a proxy variable that is not an http(s) URL, naming it', () => {
    expect(() => proxyFor(api, { HTTPS_PROXY: 'socks5://p:1080' })).toThrow(
      'HTTPS_PROXY must be an http:// or https:// URL',
    );
    expect(() => proxyFor(api, { https_proxy: 'http://[' })).toThrow('https_proxy is not a URL');
  });
  it('logs a proxy without its credentials', () => {
    expect(withoutCredentials('http://user:pa55@proxy.corp:3128/')).toBe('http://proxy.corp:3128/');
  });
});
