import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { deletePrefix } from '@ddinit/queue';
import { Redis } from 'ioredis';
import { generateOpenApi } from './openapi-document.js';
import { REDIS_URL } from './testing/harness.js';

describe('openapi.json', () => {
  it('is the committed document (run `npm run openapi -w @ddinit/api` after changing the API)', async () => {
    const committed = await readFile(new URL('../openapi.json', import.meta.url), 'utf8');
    expect(await generateOpenApi()).toBe(committed);
  });

  it('documents problem+json errors, the bearer scheme and unauthenticated operations', async () => {
    const document = JSON.parse(await generateOpenApi());
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    const create = document.paths['/v1/jobs'].post;
    expect(Object.keys(create.responses).sort()).toEqual(['200', '202', '400', '401', '422', '429', '503']);
    expect(create.responses['400'].content['application/problem+json'].schema).toEqual({
      $ref: '#/components/schemas/Problem',
    });
    expect(create.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/JobSpecInput',
    });
    expect(document.paths['/health/ready'].get.security).toEqual([]);
    expect(document.paths['/metrics'].get.security).toEqual([]);
  });

  it('is generated without a Redis, writing nothing to the local one', async () => {
    // As `npm run openapi` runs it: the built module in a process of its own.
    const built = new URL('../dist/openapi-document.js', import.meta.url).href;
    const script = `const { generateOpenApi } = await import(${JSON.stringify(built)}); await generateOpenApi();`;
    const redis = new Redis(REDIS_URL);
    try {
      await deletePrefix(redis, 'openapi');
      await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
      expect(await redis.keys('openapi:*')).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
