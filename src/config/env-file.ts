import { existsSync } from 'node:fs';

/**
 * Reads `.env` into process.env when the file exists; variables already set in the environment win.
 * Node's own parser is used, so no extra dependency is needed.
 */
export function loadEnvFile(path = '.env'): void {
  if (!existsSync(path)) return;
  process.loadEnvFile(path);
}
