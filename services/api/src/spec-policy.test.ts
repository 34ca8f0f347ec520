import { JobSpec } from '@ddinit/contracts';
import { type SpecPolicy, specErrors, uriProblem } from './spec-policy.js';

const policy: SpecPolicy = { allowedBuckets: ['models'], fileRoot: '/data/ddinit', webhooks: false };

describe('uriProblem', () => {
  it.each([
    ['s3://models/a/model.json', undefined],
    ['s3://other/a', 'bucket "other" is not allowed on this server'],
    ['file:///data/ddinit/x/model.json', undefined],
    ['file:///data/ddinit', undefined],
    ['file:///data/ddinit-evil/x', 'must be under the file root this server allows'],
    ['file:///data/ddinit/../secret', 'must be under the file root this server allows'],
    ['file:///data/ddinit/%2e%2e/secret', 'must be under the file root this server allows'],
    ['file:///data/ddinit/a%2Fb', 'not a valid file:// URI'],
  ])('%s', (uri, expected) => {
    expect(uriProblem(uri, policy)).toBe(expected);
  });

  it('refuses file:// without a root and allows any bucket with *', () => {
    expect(uriProblem('file:///data/x', { allowedBuckets: '*', webhooks: true })).toBe(
      'file:// URIs are not accepted by this server',
    );
    expect(uriProblem('s3://anything/x', { allowedBuckets: '*', webhooks: true })).toBeUndefined();
  });
});

describe('specErrors', () => {
  it('lists every refused URI and an unusable callback under the given path', () => {
    const spec = JobSpec.parse({
      model: { uri: 's3://models/m/model.json' },
      dataset: { uri: 's3://x-data/images/' },
      output: { uri: 'file:///tmp/out/' },
      callback: { url: 'https://example.com/hook' },
    });
    expect(specErrors(spec, policy, 'body.jobs.2').map((error) => error.path)).toEqual([
      'body.jobs.2.dataset.uri',
      'body.jobs.2.output.uri',
      'body.jobs.2.callback.url',
    ]);
  });
});
