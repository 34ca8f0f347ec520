/** DDINIT_MAX_BODY_BYTES: a larger body is refused with 413 problem+json before it is parsed. */
import { startTestApi, stopTestApi, type TestApi, validSpec } from './testing/harness.js';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi('body-limit', { background: false, maxBodyBytes: 2048 });
});
afterAll(() => stopTestApi(api));

/** A spec whose JSON is exactly `bytes` long (ASCII), padded in a label. */
function specOfSize(bytes: number): unknown {
  const spec = validSpec({ labels: { pad: '' } });
  const pad = 'x'.repeat(bytes - JSON.stringify(spec).length);
  const sized = { ...spec, labels: { pad } };
  expect(JSON.stringify(sized)).toHaveLength(bytes);
  return sized;
}

it('reads a body at the limit and refuses one byte more with 413 problem+json', async () => {
  // Labels hold at most 256 characters: the body at the limit is read, then refused by the schema.
  const atLimit = await api.request('POST', '/v1/jobs', { body: specOfSize(2048) });
  expect([atLimit.status, atLimit.body.code]).toEqual([400, 'validation_failed']);

  const over = await api.request('POST', '/v1/jobs', { body: specOfSize(2049) });
  expect(over.status).toBe(413);
  expect(over.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  expect(over.body).toMatchObject({ status: 413, code: 'payload_too_large' });
  expect(await api.queue.count()).toBe(0);
});
