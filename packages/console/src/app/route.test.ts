import { href, parseRoute, type Route } from './route.js';

describe('hash routes', () => {
  it.each<[string, Route]>([
    ['', { view: 'jobs' }],
    ['#/jobs', { view: 'jobs' }],
    ['#/jobs?status=failed', { view: 'jobs', status: 'failed' }],
    ['#/jobs/j_abc-DEF_1', { view: 'job', id: 'j_abc-DEF_1' }],
    ['#/submit', { view: 'submit' }],
    ['#/schedules', { view: 'schedules' }],
    ['#/schedules/s_1', { view: 'schedule', id: 's_1' }],
    ['#/batches', { view: 'batches' }],
    ['#/batches/b_9', { view: 'batch', id: 'b_9' }],
  ])('%s reads as %j and formats back', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
    expect(parseRoute(href(route))).toEqual(route);
  });

  it.each([
    '#/jobs?status=done',
    '#/nowhere',
    '#/jobs/j_1/extra',
    '#/jobs/<img src=x>',
    '#/jobs/%E0%A4%A',
    '#/submit/x',
    `#/jobs/${'a'.repeat(129)}`,
  ])('%s falls back to the jobs list', (hash) => {
    expect(parseRoute(hash)).toEqual({ view: 'jobs' });
  });

  it('keeps ids inert in links', () => {
    expect(href({ view: 'job', id: 'j_a' })).toBe('#/jobs/j_a');
    expect(href({ view: 'jobs', status: 'running' })).toBe('#/jobs?status=running');
  });
});
