/** Loopback ports for tests that need one nothing listens on. */
import * as net from 'node:net';

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePortForTests(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
