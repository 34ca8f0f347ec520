import {
  bytes,
  duration,
  elapsed,
  isActive,
  percent,
  progressLabel,
  relativeTime,
  shortUri,
} from './format.js';

const NOW = Date.parse('2026-01-10T12:00:00Z');

describe('console formatting', () => {
  it('floors percentages and clamps them to 0..100', () => {
    expect([percent(0), percent(0.999), percent(1), percent(1.2), percent(-1), percent(0.456)]).toEqual([
      '0 %',
      '99 %',
      '100 %',
      '100 %',
      '0 %',
      '45 %',
    ]);
  });

  it('labels progress by phase and layer', () => {
    expect(progressLabel(null, 'queued')).toBe('waiting');
    expect(progressLabel(null, 'cancelled')).toBe('not started');
    expect(progressLabel({ phase: 'within', fraction: 0.3 }, 'running')).toBe('within');
    expect(progressLabel({ phase: 'within', layer: 3, layers: 12, fraction: 0.3 }, 'running')).toBe(
      'within · layer 3/12',
    );
  });

  it('writes sizes in decimal units with three significant digits', () => {
    expect([bytes(0), bytes(999), bytes(1000), bytes(5_220), bytes(2_670_000), bytes(123_456_789)]).toEqual([
      '0 B',
      '999 B',
      '1.00 kB',
      '5.22 kB',
      '2.67 MB',
      '123 MB',
    ]);
  });

  it('writes durations from milliseconds to hours', () => {
    expect([duration(850), duration(12_340), duration(245_000), duration(7_380_000)]).toEqual([
      '850 ms',
      '12.3 s',
      '4 min 05 s',
      '2 h 03 min',
    ]);
  });

  it('writes times relative to now, and old ones as dates', () => {
    expect(relativeTime('2026-01-10T11:59:55Z', NOW)).toBe('just now');
    expect(relativeTime('2026-01-10T11:59:30Z', NOW)).toBe('30 s ago');
    expect(relativeTime('2026-01-10T11:55:00Z', NOW)).toBe('5 min ago');
    expect(relativeTime('2026-01-10T15:00:00Z', NOW)).toBe('in 3 h');
    expect(relativeTime('2026-01-08T12:00:00Z', NOW)).toBe('2 d ago');
    expect(relativeTime('2025-12-01T12:00:00Z', NOW)).toBe('2025-12-01');
    expect(relativeTime('not a date', NOW)).toBe('not a date');
  });

  it('measures how long a job ran, or runs so far', () => {
    expect(elapsed(null, null, NOW)).toBeUndefined();
    expect(elapsed('2026-01-10T11:59:50Z', null, NOW)).toBe('10.0 s');
    expect(elapsed('2026-01-10T11:00:00Z', '2026-01-10T11:00:01.500Z', NOW)).toBe('1.5 s');
  });

  it('shortens URIs to their last segment', () => {
    expect(shortUri('s3://b/runs/a/model.json')).toBe('model.json');
    expect(shortUri('file:///data/images/')).toBe('images');
    expect(shortUri('s3://bucket')).toBe('bucket');
  });

  it('calls queued and running active, final statuses not', () => {
    expect(
      ['queued', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => isActive(s as never)),
    ).toEqual([true, true, false, false, false]);
  });
});
