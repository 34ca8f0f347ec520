/**
 * Where each attempt of a job writes its weight files. Attempts of one job can overlap (a stalled run
 * still uploading while its retry starts), so each writes under its own folder and only model.json,
 * written last, decides which set is the checkpoint (research §3.6).
 */
import type { ObjectStore } from '@ddinit/storage';

/** `attempts/<jobId>-<attempt>/`, relative to the output prefix. */
export function attemptFolder(jobId: string, attempt: number): string {
  // Job ids are free-form; keep a `/` in one from nesting folders.
  return `${attemptsOf(jobId)}${attempt}/`;
}

/**
 * True when the model.json at `key` was committed by an earlier attempt of this same job: every weight
 * path it lists lies in one of the job's attempt folders. That attempt then died after committing but
 * before reporting success, and the retry may replace the checkpoint instead of failing with
 * `output_exists`.
 */
export async function committedByJob(store: ObjectStore, key: string, jobId: string): Promise<boolean> {
  if ((await store.stat(key)) === undefined) return false;
  let modelJson: { weightsManifest?: { paths?: unknown }[] };
  try {
    modelJson = JSON.parse(new TextDecoder().decode(await store.get(key)));
  } catch {
    return false;
  }
  const paths = (modelJson?.weightsManifest ?? []).flatMap((group) =>
    Array.isArray(group?.paths) ? group.paths : [undefined],
  );
  // The attempt number is matched whole: job `1` must not claim the files of job `1-2`.
  const ours = new RegExp(`^${escapeRegExp(attemptsOf(jobId))}\\d+/[^/]+$`);
  return paths.length > 0 && paths.every((path) => typeof path === 'string' && ours.test(path));
}

/**
 * Deletes the attempt folders under `outputFolder` that earlier attempts of this job left (a killed
 * worker's shards), once `attempt` has committed. Other jobs' folders are never touched. A failure
 * here leaves only unreferenced files, so it does not fail the committed job.
 */
export async function removeAbandonedAttempts(
  store: ObjectStore,
  outputFolder: string,
  jobId: string,
  attempt: number,
): Promise<string[]> {
  const ours = new RegExp(`^${escapeRegExp(outputFolder + attemptsOf(jobId))}(\\d+)/`);
  try {
    const abandoned = (await store.list(`${outputFolder}attempts`)).filter((key) => {
      const match = ours.exec(key);
      return match !== null && Number(match[1]) !== attempt;
    });
    await store.delete(abandoned);
    return abandoned;
  } catch {
    return [];
  }
}

function attemptsOf(jobId: string): string {
  return `attempts/${encodeURIComponent(jobId)}-`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
