/** The API key, entered once and kept in this browser's localStorage until "Sign out". */
const KEY = 'ddinit.console.apiKey';

export function savedKey(): string | undefined {
  return localStorage.getItem(KEY) ?? undefined;
}

export function saveKey(key: string): void {
  localStorage.setItem(KEY, key);
}

export function forgetKey(): void {
  localStorage.removeItem(KEY);
}
