/**
 * Runs s3rver for a test, in a process of its own: s3rver signs ListObjectsV2 continuation tokens with
 * DES, which Node's OpenSSL 3 only offers with --openssl-legacy-provider, a flag a test process cannot
 * turn on for itself. Started by s3-server.ts through fork(); reports its port over IPC and exits
 * when the parent goes away.
 */
const S3rver = require('s3rver');

process.once('message', async ({ directory, buckets }) => {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = await server.run();
  process.send({ port });
});
process.once('disconnect', () => process.exit(0));
