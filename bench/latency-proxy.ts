// A TCP proxy that delays every chunk the client sends by `latencyMs`: with keep-alive HTTP each
// request is one chunk, so every request pays one extra round trip, as it would to a remote S3.
// Responses pass straight through (the delay is charged once per request, not per byte).
import net, { type AddressInfo } from 'node:net';

export interface LatencyProxy {
  endpoint: string;
  close(): Promise<void>;
}

/** Listen on 127.0.0.1 and forward to `target` (http://host:port) with `latencyMs` per request. */
export async function startLatencyProxy(target: string, latencyMs: number): Promise<LatencyProxy> {
  const upstream = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const server = net.connect(Number(upstream.port), upstream.hostname);
    sockets.add(client).add(server);
    // Chunks are forwarded in order: each waits for its own delay after the one before it.
    let chain = Promise.resolve();
    client.on('data', (chunk) => {
      chain = chain.then(
        () =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              if (!server.destroyed) server.write(chunk);
              resolve();
            }, latencyMs),
          ),
      );
    });
    server.pipe(client);
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
