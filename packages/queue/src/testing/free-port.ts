import { createServer } from 'node:net';

/**
 * A loopback port that nothing listened on a moment ago: one to start a server of the test's own on,
 * or one where a dependency is "down".
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
