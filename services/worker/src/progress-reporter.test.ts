import type { JobProgress } from '@ddinit/contracts';
import { ProgressReporter } from './progress-reporter.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recorder() {
  const sent: (JobProgress & { at: number })[] = [];
  const reporter = new ProgressReporter(
    async (progress) => {
      sent.push({ ...progress, at: Date.now() });
    },
    { minIntervalMs: 100 },
  );
  return { sent, reporter };
}

describe('ProgressReporter', () => {
  it('sends the first update of each phase at once and keeps the rest the interval apart, sending the latest', async () => {
    const { sent, reporter } = recorder();
    reporter.report({ phase: 'load', fraction: 0 });
    for (let i = 1; i <= 10; i++)
      reporter.report({ phase: 'within', fraction: i / 100, layer: i, layers: 10 });
    await sleep(150);
    await reporter.flush();
    expect(sent.map(({ at: _, ...progress }) => progress)).toEqual([
      { phase: 'load', fraction: 0 },
      { phase: 'within', fraction: 0.01, layer: 1, layers: 10 },
      { phase: 'within', fraction: 0.1, layer: 10, layers: 10 },
    ]);
    expect(sent[2]!.at - sent[1]!.at).toBeGreaterThanOrEqual(95);
  });

  it('never lets the fraction go back, and keeps it within 0..1', async () => {
    const { sent, reporter } = recorder();
    reporter.report({ phase: 'between', fraction: 0.6 });
    await reporter.flush();
    reporter.report({ phase: 'save', fraction: 0.4 });
    await sleep(150);
    reporter.report({ phase: 'save', fraction: 1.2 });
    await reporter.flush();
    expect(sent.map(({ phase, fraction }) => [phase, fraction])).toEqual([
      ['between', 0.6],
      ['save', 0.6],
      ['save', 1],
    ]);
  });

  it('flush sends what is pending at once; stop drops it', async () => {
    const { sent, reporter } = recorder();
    reporter.report({ phase: 'load', fraction: 0 });
    reporter.report({ phase: 'load', fraction: 0.05 });
    await reporter.flush();
    expect(sent.map((progress) => progress.fraction)).toEqual([0, 0.05]);
    reporter.report({ phase: 'load', fraction: 0.2 });
    reporter.stop();
    await sleep(150);
    expect(sent).toHaveLength(2);
  });

  it('survives a failed send', async () => {
    const sent: number[] = [];
    const reporter = new ProgressReporter(
      async (progress) => {
        if (progress.fraction === 0.1) throw new Error('redis hiccup');
        sent.push(progress.fraction);
      },
      { minIntervalMs: 0 },
    );
    reporter.report({ phase: 'a', fraction: 0.1 });
    reporter.report({ phase: 'a', fraction: 0.2 });
    await reporter.flush();
    expect(sent).toEqual([0.2]);
  });
});
