import { isDdinitError } from '@ddinit/contracts';
import { CANCEL_REASON, jobAbort, SHUTDOWN_REASON } from './job-abort.js';

describe('jobAbort', () => {
  it('turns a cancel into the DdinitError cancelled', () => {
    const outer = new AbortController();
    const abort = jobAbort(outer.signal, 60_000);
    outer.abort(CANCEL_REASON);
    expect(abort.signal.reason).toMatchObject({ code: 'cancelled' });
    abort.dispose();
  });

  it('turns a shutdown into a plain error, so the job is retried', () => {
    const outer = new AbortController();
    const abort = jobAbort(outer.signal, 60_000);
    outer.abort(SHUTDOWN_REASON);
    expect(isDdinitError(abort.signal.reason)).toBe(false);
    expect(abort.signal.reason.message).toMatch(/shut down/);
    abort.dispose();
  });

  it('aborts with the DdinitError timeout when the time is up', async () => {
    const abort = jobAbort(undefined, 20);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(abort.signal.reason).toMatchObject({ code: 'timeout' });
    abort.dispose();
  });

  it('follows a signal that is already aborted', () => {
    const outer = new AbortController();
    outer.abort(CANCEL_REASON);
    const abort = jobAbort(outer.signal, 60_000);
    expect(abort.signal.aborted).toBe(true);
    abort.dispose();
  });

  it('does not abort after dispose', async () => {
    const abort = jobAbort(undefined, 20);
    abort.dispose();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(abort.signal.aborted).toBe(false);
  });
});
