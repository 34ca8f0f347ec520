import { errorsByField, parseBatchText, parseLabels, specFromValues } from './spec-form.js';

describe('submit form values', () => {
  it('builds a spec from the filled fields only, numbers as numbers', () => {
    expect(
      specFromValues({
        'model.uri': ' s3://m/model.json ',
        'dataset.uri': 's3://m/images/',
        'output.uri': 's3://o/run/',
        'dataset.sample': '128',
        'dataset.heldOut': '',
        'init.method': 'lsuv',
        'init.seed': '7',
        priority: '3',
        labels: 'team=vision, run = 2',
      }),
    ).toEqual({
      model: { uri: 's3://m/model.json' },
      dataset: { uri: 's3://m/images/', sample: 128 },
      output: { uri: 's3://o/run/' },
      init: { method: 'lsuv', seed: 7 },
      priority: 3,
      labels: { team: 'vision', run: '2' },
    });
  });

  it('keeps the required objects and text the API must judge', () => {
    expect(specFromValues({ 'init.batchSize': '12abc' })).toEqual({
      model: {},
      dataset: {},
      output: {},
      init: { batchSize: '12abc' },
    });
  });

  it('reads labels as key=value pairs, keeping malformed ones for the API to name', () => {
    expect(parseLabels('a=1,, b = two words ,flag')).toEqual({ a: '1', b: 'two words', flag: '' });
    expect(parseLabels('k=v=w')).toEqual({ k: 'v=w' });
  });

  it("puts the API's field errors on their inputs, the rest aside", () => {
    const { byField, other } = errorsByField(
      [
        { path: 'body.model.uri', message: 'must be s3://bucket/key or file:///path' },
        { path: 'body.dataset.sample', message: 'too small' },
        { path: 'body.dataset.sample', message: 'not an integer' },
        { path: 'body.labels.bad key', message: 'invalid key' },
        { path: 'body.init.tolerance', message: 'too big' },
        { path: 'query.limit', message: 'too big' },
      ],
      'body.',
    );
    expect(byField).toEqual({
      'model.uri': 'must be s3://bucket/key or file:///path',
      'dataset.sample': 'too small; not an integer',
      labels: 'invalid key',
    });
    expect(other.map((error) => error.path)).toEqual(['body.init.tolerance', 'query.limit']);
  });

  it('finds a template’s errors under its prefix', () => {
    const { byField, other } = errorsByField(
      [
        { path: 'body.templates.0.output.uri', message: 'bucket not allowed' },
        { path: 'body.cron', message: 'not a valid cron pattern' },
      ],
      'body.templates.0.',
    );
    expect(byField).toEqual({ 'output.uri': 'bucket not allowed' });
    expect(errorsByField(other, 'body.', ['cron']).byField).toEqual({ cron: 'not a valid cron pattern' });
  });

  it('reads a batch as a JSON array of specs or as the API body', () => {
    expect(parseBatchText('[{"a": 1}, {"b": 2}]')).toEqual({ jobs: [{ a: 1 }, { b: 2 }] });
    expect(parseBatchText('{"jobs": []}')).toEqual({ jobs: [] });
    expect(() => parseBatchText('[{')).toThrow(SyntaxError);
  });
});
