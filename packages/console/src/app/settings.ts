/** Defaults and choices the server put into the page (see ../page.ts), read once. */
import type { ConsoleSettings } from '../page.js';

let cached: ConsoleSettings | undefined;

export function settings(): ConsoleSettings {
  cached ??= JSON.parse(
    document.getElementById('ddinit-console-settings')?.textContent ?? '{}',
  ) as ConsoleSettings;
  return cached;
}
