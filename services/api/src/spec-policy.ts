/**
 * What this deployment lets a job touch, checked after the schema: which buckets (per tenant, when
 * configured), which local root, and which callback targets. The schema says what a URI looks like;
 * this says whether it is allowed here, so one contract serves deployments with different storage.
 */
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FieldError, JobSpec } from '@ddinit/contracts';
import { callbackProblem, type Resolver } from './ssrf.js';

export interface SpecPolicy {
  /** `*` or the buckets s3:// URIs may name. */
  allowedBuckets: string[] | '*';
  /** Tenants limited to buckets of their own; tenants not listed use `allowedBuckets`. */
  tenantBuckets?: Record<string, string[]>;
  /** Absolute, resolved directory file:// URIs must be under; undefined refuses file://. */
  fileRoot?: string;
  /** Whether callback URLs can be honoured (a webhook secret is configured). */
  webhooks: boolean;
  /** http:// callbacks and non-public addresses allowed (development). @defaultValue false */
  allowPrivateWebhooks?: boolean;
  /** Resolves callback hosts. @defaultValue the system resolver */
  resolveHost?: Resolver;
}

export function s3Location(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return match?.[1] !== undefined ? { bucket: match[1], key: match[2] ?? '' } : undefined;
}

/** The buckets `tenant` may name. */
export function bucketsOf(policy: SpecPolicy, tenant: string): string[] | '*' {
  const own = policy.tenantBuckets;
  return own && Object.hasOwn(own, tenant) ? (own[tenant] ?? []) : policy.allowedBuckets;
}

function isInside(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** Why `uri` is not allowed for `tenant`, judged on the text alone; undefined when it is. */
export function uriProblem(uri: string, policy: SpecPolicy, tenant = ''): string | undefined {
  const s3 = s3Location(uri);
  if (s3) {
    const buckets = bucketsOf(policy, tenant);
    if (buckets === '*' || buckets.includes(s3.bucket)) return undefined;
    return `bucket "${s3.bucket}" is not allowed on this server`;
  }
  if (uri.startsWith('file://')) {
    if (!policy.fileRoot) return 'file:// URIs are not accepted by this server';
    const path = filePath(uri);
    if (path === undefined) return 'not a valid file:// URI';
    // URL parsing and resolve() remove `..` (encoded or not), so an escaping path no longer starts with the root.
    if (isInside(path, policy.fileRoot)) return undefined;
    return 'must be under the file root this server allows';
  }
  return 'must be s3://bucket/key or file:///path';
}

function filePath(uri: string): string | undefined {
  try {
    return resolve(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

/**
 * The real path `file` has, or will have once created: symlinks resolved in the part that exists.
 * (The storage package has the same walk; the API does not load that package, which brings tfjs.)
 */
async function plannedRealPath(file: string): Promise<string> {
  const missing: string[] = [];
  for (let dir = file; ; dir = dirname(dir)) {
    try {
      return join(await realpath(dir), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      if (dirname(dir) === dir) return file;
      missing.push(basename(dir));
    }
  }
}

/**
 * Why a file:// URI that passed `uriProblem` is not allowed once symlinks are followed. Workers check
 * again when they open the file (a link may change between submission and run).
 */
async function realPathProblem(uri: string, root: string): Promise<string | undefined> {
  const path = filePath(uri);
  if (path === undefined) return 'not a valid file:// URI';
  try {
    const [real, realRoot] = await Promise.all([plannedRealPath(path), plannedRealPath(root)]);
    return isInside(real, realRoot) ? undefined : 'leads out of the file root this server allows (symlink)';
  } catch {
    return 'cannot be checked against the file root';
  }
}

/** Every policy violation of `spec` submitted by `tenant`, with paths under `at` (e.g. `body.jobs.3`). */
export async function specErrors(
  spec: JobSpec,
  policy: SpecPolicy,
  tenant: string,
  at: string,
): Promise<FieldError[]> {
  const uris: [string, string][] = [
    ['model.uri', spec.model.uri],
    ['dataset.uri', spec.dataset.uri],
    ['output.uri', spec.output.uri],
  ];
  const checks = uris.map(async ([field, uri]): Promise<FieldError | undefined> => {
    let message = uriProblem(uri, policy, tenant);
    if (!message && policy.fileRoot && uri.startsWith('file://')) {
      message = await realPathProblem(uri, policy.fileRoot);
    }
    return message ? { path: `${at}.${field}`, message } : undefined;
  });
  if (spec.callback) {
    const url = spec.callback.url;
    checks.push(
      (async () => {
        const message = policy.webhooks
          ? await callbackProblem(url, {
              allowPrivate: policy.allowPrivateWebhooks ?? false,
              ...(policy.resolveHost ? { resolve: policy.resolveHost } : {}),
            })
          : 'webhooks are not configured on this server';
        return message ? { path: `${at}.callback.url`, message } : undefined;
      })(),
    );
  }
  return (await Promise.all(checks)).filter((error): error is FieldError => error !== undefined);
}
