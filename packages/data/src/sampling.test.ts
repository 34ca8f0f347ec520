import { drawSample } from './sampling.js';

const population = Array.from({ length: 100 }, (_, i) => `img-${String(i).padStart(3, '0')}.png`);

describe('drawSample', () => {
  it('gives the same items in the same order for the same seed', () => {
    const a = drawSample(population, { count: 10, heldOut: 5, seed: 7 }, 'data');
    const b = drawSample(population, { count: 10, heldOut: 5, seed: 7 }, 'data');
    expect(a).toEqual(b);
    expect(drawSample(population, { count: 10, heldOut: 5, seed: 8 }, 'data').init).not.toEqual(a.init);
  });

  it('draws disjoint init and held-out sets without repeats', () => {
    const { init, heldOut } = drawSample(population, { count: 30, heldOut: 20, seed: 1 }, 'data');
    expect(init).toHaveLength(30);
    expect(heldOut).toHaveLength(20);
    expect(new Set([...init, ...heldOut]).size).toBe(50);
  });

  it('shuffles rather than taking the first items', () => {
    const { init } = drawSample(population, { count: 10, heldOut: 0, seed: 3 }, 'data');
    expect(init).not.toEqual(population.slice(0, 10));
  });

  it('extends a smaller draw with the same seed', () => {
    const small = drawSample(population, { count: 5, heldOut: 0, seed: 11 }, 'data');
    const large = drawSample(population, { count: 5, heldOut: 10, seed: 11 }, 'data');
    expect(large.init).toEqual(small.init);
  });

  it('uses every item for init when there are fewer than asked, leaving none held out', () => {
    const { init, heldOut } = drawSample(population.slice(0, 3), { count: 10, heldOut: 4, seed: 0 }, 'data');
    expect([...init].sort()).toEqual(population.slice(0, 3));
    expect(heldOut).toEqual([]);
  });

  it('holds out only what is left after init', () => {
    const { heldOut } = drawSample(population.slice(0, 12), { count: 10, heldOut: 4, seed: 0 }, 'data');
    expect(heldOut).toHaveLength(2);
  });

  it('needs at least two items', () => {
    expect(() => drawSample(['only.png'], { count: 10, heldOut: 0, seed: 0 }, 'file:///d')).toThrow(
      expect.objectContaining({
        code: 'sample_too_small',
        message: expect.stringContaining('only 1 sample in file:///d'),
      }),
    );
    expect(() => drawSample(population, { count: 1, heldOut: 0, seed: 0 }, 'file:///d')).toThrow(
      expect.objectContaining({ code: 'sample_too_small' }),
    );
  });
});
