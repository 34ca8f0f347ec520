import { InitOptions } from './init-options.js';

describe('InitOptions', () => {
  it('fills every default', () => {
    const options = InitOptions.parse({});
    expect(options).toMatchObject({
      random: 'gaussian',
      method: 'paper',
      beta: 0,
      alpha: 0.25,
      between: 'closed-form',
    });
    expect(options.sample).toBe(256);
    expect(options.batchSize).toBe(64);
  });

  it('names every bad field', () => {
    const result = InitOptions.safeParse({ alpha: -1, batchSize: 0, bogus: true });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => issue.path.join('.') || issue.message);
    expect(paths).toEqual(expect.arrayContaining(['alpha', 'batchSize']));
    expect(JSON.stringify(result.error!.issues)).toContain('bogus');
  });
});
