import { normalizeBytes, normalizeFloats, Preprocessing, resolvePreprocessing } from './preprocessing.js';

const normalize = (bytes: number[], channels: number, options: Partial<Preprocessing>, bgr = false) => {
  const out = new Float32Array(bytes.length);
  normalizeBytes(Uint8Array.from(bytes), out, 0, channels, resolvePreprocessing(options, channels), bgr);
  return [...out];
};

describe('Preprocessing', () => {
  it('fills defaults', () => {
    expect(Preprocessing.parse({})).toEqual({
      scale: 'unit',
      channelOrder: 'rgb',
      resize: 'stretch',
      maxPixels: 50_000_000,
    });
  });

  it('names unknown and bad fields', () => {
    expect(() => resolvePreprocessing({ scale: 'bogus' } as never, 3)).toThrow(
      expect.objectContaining({ code: 'preprocessing_invalid', message: expect.stringContaining('scale') }),
    );
    expect(() => resolvePreprocessing({ std: [0] }, 1)).toThrow(/std/);
    expect(() => resolvePreprocessing({ extra: 1 } as never, 3)).toThrow(/extra/);
  });

  it('needs one mean/std value or one per channel', () => {
    expect(() => resolvePreprocessing({ mean: [0.5, 0.5] }, 3)).toThrow(
      expect.objectContaining({
        code: 'preprocessing_invalid',
        message: expect.stringMatching(/mean has 2 values.*3 channels/),
      }),
    );
    expect(resolvePreprocessing({ mean: [0.5], std: [0.1, 0.2, 0.3] }, 3).std).toEqual([0.1, 0.2, 0.3]);
  });
});

describe('normalizeBytes', () => {
  it('scales 8-bit values', () => {
    expect(normalize([0, 51, 255], 3, {})).toEqual([0, 0.2, 1].map(Math.fround));
    expect(normalize([0, 51, 255], 3, { scale: 'symmetric' })).toEqual(
      [-1, 51 / 127.5 - 1, 1].map(Math.fround),
    );
    expect(normalize([0, 51, 255], 3, { scale: 'none' })).toEqual([0, 51, 255]);
  });

  it('standardizes per channel after scaling', () => {
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const expected = [10, 20, 30].map((v, c) => Math.fround((v / 255 - mean[c]!) / std[c]!));
    expect(normalize([10, 20, 30], 3, { mean, std })).toEqual(expected);
    expect(normalize([10, 20], 1, { mean: [0.5] })).toEqual(
      [10 / 255 - 0.5, 20 / 255 - 0.5].map(Math.fround),
    );
  });

  it('swaps red and blue for bgr, keeping alpha in place', () => {
    expect(normalize([1, 2, 3, 4, 5, 6], 3, { scale: 'none' }, true)).toEqual([3, 2, 1, 6, 5, 4]);
    expect(normalize([1, 2, 3, 4], 4, { scale: 'none' }, true)).toEqual([3, 2, 1, 4]);
    expect(normalize([1, 2], 1, { scale: 'none' }, true)).toEqual([1, 2]);
  });
});

describe('normalizeFloats', () => {
  it('standardizes without scaling', () => {
    const out = new Float32Array(4);
    normalizeFloats(
      Float32Array.of(1, 2, 3, 4),
      out,
      0,
      2,
      resolvePreprocessing({ mean: [1, 2], std: [2] }, 2),
    );
    expect([...out]).toEqual([0, 0, 1, 1]);
  });
});
