import { duration, percent, shape, sig3 } from './format.js';

test('numbers: three significant digits, short exponents, real minus signs', () => {
  expect([0.78516, 12.345, 0, -0.0256, 2.1645e-4, 1e-5, 123456, Number.NaN, undefined].map(sig3)).toEqual([
    '0.785',
    '12.3',
    '0',
    '−0.0256',
    '2.16e−4',
    '1e−5',
    '1.23e5',
    '–',
    '–',
  ]);
  expect([8.1, 3781.6, 125_000].map(duration)).toEqual(['8 ms', '3.78 s', '2 min 5 s']);
  expect(shape([3, 3, 16, 32])).toBe('3×3×16×32');
  expect([percent(1, 300), percent(150, 300), percent(1, 0)]).toEqual(['<1%', '50%', '–']);
});
