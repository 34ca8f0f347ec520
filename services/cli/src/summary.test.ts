/** The text summary: alignment, the per-layer columns, footnotes and warnings, from report data alone. */
import type { ChannelStats, InitReport, LayerReport } from '@ddinit/contracts';
import { outputChannels, renderSummary } from './summary.js';
import { renderTable } from './table.js';

const stats = (std: number, mean = 0): ChannelStats => ({
  mean: { min: mean - 1, median: mean, max: mean + 1 },
  std: { min: std / 2, median: std, max: std * 2 },
});

const layer = (over: Partial<LayerReport> & Pick<LayerReport, 'name'>): LayerReport => ({
  className: 'Conv2D',
  kernelShape: [3, 3, 3, 16],
  selected: true,
  random: { requested: 'pca', used: 'pca' },
  stats: {},
  warnings: [],
  ...over,
});

const report = (layers: LayerReport[]): InitReport => ({
  ddinitVersion: '9.9.9',
  seed: 7,
  options: {
    random: 'pca',
    method: 'paper',
    beta: 0,
    alpha: 0.25,
    between: 'closed-form',
    tolerance: 0.05,
    excludeOutputs: false,
    normalizeKept: false,
    sample: 32,
    heldOut: 8,
    batchSize: 8,
    seed: 7,
    layers: { onlyZeroKernels: false },
    lsuvTolerance: 0.1,
    lsuvMaxIterations: 10,
  },
  backend: { name: 'wasm', threads: 2 },
  images: { init: 32, heldOut: 8 },
  passes: { forward: 9, backward: 2 },
  timingsMs: { load: 12.4, data: 40.6, within: 100, save: 3 },
  changeRateSpread: { before: 41.23456, after: 1.0001 },
  layers,
  warnings: ['run-wide note'],
});

const files = [
  { key: 'model.json', uri: 'file:///out/model.json', bytes: 5183, sha256: 'a' },
  { key: 'group1-shard1of1.bin', uri: 'file:///out/group1-shard1of1.bin', bytes: 2666152, sha256: 'b' },
];

describe('renderSummary', () => {
  const text = renderSummary({
    report: report([
      layer({
        name: 'conv1',
        stats: { heldOutBefore: stats(0.0684), heldOutAfter: stats(0.43812, 0.000281) },
        changeRate: { before: 0.12345, after: 0.6461, scale: 0.4242 },
        warnings: ['no bias (use_bias: false): only the scale is set'],
      }),
      layer({
        name: 'a_much_longer_layer_name',
        random: { requested: 'pca', used: 'gaussian', fallbackReason: 'too few patches' },
        stats: { initBefore: stats(12.3), initAfter: stats(1) },
        changeRate: { before: 1.5, after: 0.6461, scale: 1 },
      }),
      layer({
        name: 'partly',
        random: { requested: 'pca', used: 'pca', fallbackReason: '5 of 16 filters are Gaussian' },
      }),
      layer({
        name: 'frozen',
        className: 'Dense',
        kernelShape: [64, 10],
        selected: false,
        random: { requested: 'pca', used: 'keep' },
      }),
    ]),
    files,
    outDir: '/out',
  });
  const lines = text.split('\n');

  test('an overview of the run', () => {
    expect(lines[0]).toBe('ddinit 9.9.9: initialized 3 of 4 affine layers');
    expect(text).toMatch(/^backend +wasm \(2 threads\)$/m);
    expect(text).toMatch(/^images +32 init, 8 held out$/m);
    expect(text).toMatch(/^seed +7$/m);
    expect(text).toMatch(/^passes +9 forward, 2 backward$/m);
    expect(text).toMatch(/^time \(ms\) +load 12, data 41, within 100, save 3; total 156$/m);
    expect(text).toMatch(/^change-rate spread +41\.2 → 1\.00 /m);
  });

  test('a per-layer table with aligned columns', () => {
    const start = lines.findIndex((line) => line.startsWith('layer '));
    const [header, rule, ...rows] = lines.slice(start, start + 6);
    expect(rule).toMatch(/^─+( +─+)+$/);
    // Every column starts where its rule starts.
    const starts = [...rule!.matchAll(/─+/g)].map((m) => m.index);
    for (const line of [header!, ...rows]) {
      for (const at of starts.slice(1)) expect(line[at - 1]).toBe(' ');
    }
    expect(rows[0]).toMatch(
      /^conv1 +Conv2D +16 +pca +0\.0684 → 0\.438 +0\.000281 +1\.23e-1 → 6\.46e-1 +0\.424$/,
    );
    expect(rows[1]).toMatch(
      /^a_much_longer_layer_name +Conv2D +16 +gaussian\* +12\.3 → 1\.00° +0 +1\.50e\+0 → 6\.46e-1 +1\.00$/,
    );
    expect(rows[2]).toMatch(/^partly +Conv2D +16 +pca\* +– +– +– +–$/);
    expect(rows[3]).toMatch(/^frozen +Dense +10 +not selected +– +– +– +–$/);
  });

  test('footnotes for the statistics, the sample they come from and the fallbacks', () => {
    expect(text).toContain('on the held-out sample (before: as loaded)');
    expect(text).toContain('° on the init sample (before: as drawn)');
    expect(text).toContain('* a_much_longer_layer_name: asked for pca, used gaussian: too few patches');
    expect(text).toContain('* partly (pca): 5 of 16 filters are Gaussian');
  });

  test('every warning, and the written files', () => {
    expect(text).toContain(
      'warnings (2):\n  run-wide note\n  conv1: no bias (use_bias: false): only the scale is set\n',
    );
    expect(text).toContain('wrote 2 files to /out:\n');
    expect(text).toMatch(/^ {2}file:\/\/\/out\/model\.json {12,}5183 bytes$/m);
    expect(text).toMatch(/^ {2}file:\/\/\/out\/group1-shard1of1\.bin +2666152 bytes$/m);
  });
});

describe('outputChannels', () => {
  test.each([
    [{ name: 'd', className: 'Dense', kernelShape: [64, 10] }, 10],
    [{ name: 'c', className: 'Conv2D', kernelShape: [3, 3, 3, 32] }, 32],
    [{ name: 'c1', className: 'Conv1D', kernelShape: [5, 4, 8] }, 8],
    [{ name: 'dw', className: 'DepthwiseConv2D', kernelShape: [3, 3, 16, 2] }, 32],
    [{ name: 's/depthwise', className: 'SeparableConv2D', kernelShape: [3, 3, 16, 1] }, 16],
    [{ name: 's/pointwise', className: 'SeparableConv2D', kernelShape: [1, 1, 16, 24] }, 24],
    [{ name: 't', className: 'Conv2DTranspose', kernelShape: [3, 3, 12, 24] }, 12],
  ])('%j has %i output channels', (unit, channels) => {
    expect(outputChannels(unit)).toBe(channels);
  });
});

describe('renderTable', () => {
  test('pads to the widest cell and right-aligns numbers', () => {
    expect(
      renderTable(
        [{ header: 'name' }, { header: 'n', align: 'right' }],
        [
          ['a', '1'],
          ['bbbbbb', '1234'],
        ],
      ),
    ).toEqual(['name       n', '──────  ────', 'a          1', 'bbbbbb  1234']);
  });
});
