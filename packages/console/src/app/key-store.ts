/**
 * The API key, entered once and kept in this browser's localStorage until "Sign out". Batches have no
 * list in the API, so the ones created here are remembered beside it.
 */
const KEY = 'ddinit.console.apiKey';
const BATCHES = 'ddinit.console.batches';
const MAX_BATCHES = 20;

export function savedKey(): string | undefined {
  return localStorage.getItem(KEY) ?? undefined;
}

export function saveKey(key: string): void {
  localStorage.setItem(KEY, key);
}

/** Signs out: the key and what was remembered with it. */
export function forgetKey(): void {
  localStorage.removeItem(KEY);
  localStorage.removeItem(BATCHES);
}

export function rememberedBatches(): string[] {
  try {
    const ids = JSON.parse(localStorage.getItem(BATCHES) ?? '[]') as unknown;
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberBatch(id: string): void {
  const ids = [id, ...rememberedBatches().filter((known) => known !== id)].slice(0, MAX_BATCHES);
  localStorage.setItem(BATCHES, JSON.stringify(ids));
}
