/**
 * Writes services/api/openapi.json (`npm run openapi -w @ddinit/api`). The file is committed so API
 * changes show up in review; openapi.test.ts fails when it differs from what the code generates.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateOpenApi } from './openapi-document.js';

const target = fileURLToPath(new URL('../openapi.json', import.meta.url));
await writeFile(target, await generateOpenApi());
console.log(`wrote ${target}`);
