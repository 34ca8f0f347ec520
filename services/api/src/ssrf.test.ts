/**
 * Webhook targets: which addresses count as public, the checks at submission (literal IPs, DNS) and
 * again at delivery, where a name that resolved to a public address at submission and to loopback
 * later (DNS rebinding) must not be contacted. Host names other than `localhost` go through a fixed
 * resolver table, since tests cannot own public DNS names.
 */
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callbackProblem, callbackUrlProblem, isPublicAddress, type Resolver } from './ssrf.js';
import {
  type FakeWorker,
  fakeResult,
  startFakeWorker,
  startTestApi,
  stopTestApi,
  type TestApi,
  validSpec,
  waitFor,
} from './testing/harness.js';
import { postWebhook } from './webhooks.js';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.251',
    '255.255.255.255',
    '192.0.2.1',
    '198.18.0.1',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '2002:7f00:1::1',
    '64:ff9b::7f00:1',
    '2001:db8::1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'accepts %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});

describe('callbackUrlProblem', () => {
  const strict = { allowPrivate: false };
  it.each([
    ['http://example.com/hook', 'must be an https:// URL'],
    ['ftp://example.com/hook', 'must be an https:// URL'],
    ['https://127.0.0.1/hook', '127.0.0.1 is not a public address'],
    // WHATWG URL parsing turns these spellings into 127.0.0.1 before the check sees them.
    ['https://0x7f.1/hook', '127.0.0.1 is not a public address'],
    ['https://2130706433/hook', '127.0.0.1 is not a public address'],
    ['https://[::1]:8443/hook', '::1 is not a public address'],
    ['https://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe is not a public address'],
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254 is not a public address'],
    ['https://user:pw@example.com/hook', 'must not carry credentials'],
    ['https://example.com/hook', undefined],
    ['https://8.8.8.8/hook', undefined],
  ])('%s', (url, expected) => {
    expect(callbackUrlProblem(url, strict)).toBe(expected);
  });

  it('lets http:// and loopback through only when private targets are allowed', () => {
    expect(callbackUrlProblem('http://127.0.0.1:9000/hook', { allowPrivate: true })).toBeUndefined();
    expect(callbackUrlProblem('ftp://127.0.0.1/hook', { allowPrivate: true })).toBe(
      'must be an https:// URL',
    );
  });
});

describe('callbackProblem (with DNS)', () => {
  it('refuses a name that the system resolver maps to loopback', async () => {
    expect(await callbackProblem('https://localhost/hook', { allowPrivate: false })).toMatch(
      /^localhost resolves to (127\.0\.0\.1|::1), not a public address$/,
    );
  });

  it('refuses a name with one public and one private address, and one that does not resolve', async () => {
    const resolve: Resolver = async (host) => {
      if (host === 'mixed.example.test') {
        return [
          { address: '93.184.216.34', family: 4 },
          { address: '10.0.0.7', family: 4 },
        ];
      }
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    expect(await callbackProblem('https://mixed.example.test/', { allowPrivate: false, resolve })).toBe(
      'mixed.example.test resolves to 10.0.0.7, not a public address',
    );
    expect(await callbackProblem('https://nowhere.example.test/', { allowPrivate: false, resolve })).toBe(
      'nowhere.example.test does not resolve (ENOTFOUND)',
    );
  });
});

/** A local receiver counting the requests (and Host headers) it gets. */
async function startReceiver(): Promise<{ port: number; hosts: string[]; server: Server }> {
  const hosts: string[] = [];
  const server = createServer((request, response) => {
    hosts.push(request.headers.host ?? '');
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, hosts, server };
}

describe('postWebhook connects only to checked addresses', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const toLoopback: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => new Promise((resolve) => receiver.server.close(resolve)));

  it('connects to the address the resolver gave, keeping the name in Host', async () => {
    const status = await postWebhook(`http://hooks.example.test:${receiver.port}/x`, {}, '{}', {
      policy: { allowPrivate: true, resolve: toLoopback },
      timeoutMs: 5_000,
    });
    expect(status).toBe(204);
    expect(receiver.hosts).toEqual([`hooks.example.test:${receiver.port}`]);
  });

  it('refuses before connecting when the name resolves to loopback', async () => {
    const before = receiver.hosts.length;
    await expect(
      postWebhook(`https://hooks.example.test:${receiver.port}/x`, {}, '{}', {
        policy: { allowPrivate: false, resolve: toLoopback },
        timeoutMs: 5_000,
      }),
    ).rejects.toThrow('hooks.example.test resolves to 127.0.0.1, not a public address');
    expect(receiver.hosts.length).toBe(before);
  });
});

describe('the API', () => {
  let api: TestApi;
  let worker: FakeWorker;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  // What `rebind.example.test` resolves to; the test flips it between submission and delivery.
  const table = new Map<string, LookupAddress[]>([
    ['public.example.test', [{ address: '93.184.216.34', family: 4 }]],
    ['private.example.test', [{ address: '192.168.0.10', family: 4 }]],
    ['rebind.example.test', [{ address: '93.184.216.34', family: 4 }]],
  ]);
  const resolveHost: Resolver = async (host) => {
    const entry = table.get(host);
    if (!entry) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return entry;
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    api = await startTestApi(
      'ssrf',
      { webhookAllowPrivate: false },
      { resolveHost, webhookRetry: { attempts: 2, delayMs: 50 } },
    );
    worker = startFakeWorker(api.prefix, async (job) => fakeResult(job.data.spec.output.uri));
  });
  afterAll(async () => {
    await worker?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
    await stopTestApi(api);
  });

  it.each([
    ['http://public.example.test/hook', 'must be an https:// URL'],
    ['https://127.0.0.1/hook', '127.0.0.1 is not a public address'],
    ['https://[fd00::1]/hook', 'fd00::1 is not a public address'],
    ['https://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1 is not a public address'],
    [
      'https://private.example.test/hook',
      'private.example.test resolves to 192.168.0.10, not a public address',
    ],
    ['https://unknown.example.test/hook', 'unknown.example.test does not resolve (ENOTFOUND)'],
  ])('refuses the callback %s at submission', async (url, message) => {
    const response = await api.request('POST', '/v1/jobs', { body: validSpec({ callback: { url } }) });
    expect([response.status, response.body.code]).toEqual([400, 'validation_failed']);
    expect(response.body.errors).toEqual([{ path: 'body.callback.url', message: expect.anything() }]);
    expect(response.body.errors[0].message).toMatch(message);
  });

  it('checks batch and schedule callbacks too', async () => {
    const bad = validSpec({ callback: { url: 'https://10.0.0.1/hook' } });
    const batch = await api.request('POST', '/v1/batches', { body: { jobs: [validSpec(), bad] } });
    expect([batch.status, batch.body.errors?.[0]?.path]).toEqual([400, 'body.jobs.1.callback.url']);
    const schedule = await api.request('POST', '/v1/schedules', {
      body: { every: 60_000, templates: [bad] },
    });
    expect([schedule.status, schedule.body.errors?.[0]?.path]).toEqual([
      400,
      'body.templates.0.callback.url',
    ]);
  });

  it('does not deliver to a name that resolves to loopback by the time the job finishes', async () => {
    await worker.worker.pause();
    const url = `https://rebind.example.test:${receiver.port}/hook`;
    const created = await api.request('POST', '/v1/jobs', { body: validSpec({ callback: { url } }) });
    expect(created.status).toBe(202);
    table.set('rebind.example.test', [{ address: '127.0.0.1', family: 4 }]);
    worker.worker.resume();
    await waitFor('the refused delivery', async () => {
      const metrics = await api.request('GET', '/metrics', { key: null });
      return /ddinit_webhook_deliveries_total\{outcome="refused"\} 1/.test(metrics.body);
    });
    expect(receiver.hosts).toEqual([]);
  });
});
