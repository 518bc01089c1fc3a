// An egress proxy for tests: answers HTTP CONNECT and tunnels to that port on 127.0.0.1, whatever host was asked
// for, so a backend named `llm.internal.test` is reachable only through it. Optional Basic credentials.
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ConnectProxy {
  url: string;
  /** The authorities (host:port) tunnels were asked for. */
  tunnels: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(opts: { credentials?: string } = {}): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const expected = opts.credentials && `Basic ${Buffer.from(opts.credentials).toString('base64')}`;
    if (expected && req.headers['proxy-authorization'] !== expected) {
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    tunnels.push(req.url ?? '');
    const port = Number(/:(\d+)$/.exec(req.url ?? '')?.[1]);
    const target = connect(port, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) target.write(head);
      target.pipe(socket);
      socket.pipe(target);
    });
    target.on('error', () => socket.destroy());
    socket.on('close', () => target.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
