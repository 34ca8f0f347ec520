/**
 * What this deployment lets a job touch, checked after the schema: which buckets, which local root,
 * and whether callbacks can be signed. The schema says what a URI looks like; this says whether it
 * is allowed here, so one contract serves deployments with different storage.
 */
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FieldError, JobSpec } from '@ddinit/contracts';

export interface SpecPolicy {
  /** `*` or the buckets s3:// URIs may name. */
  allowedBuckets: string[] | '*';
  /** Absolute, resolved directory file:// URIs must be under; undefined refuses file://. */
  fileRoot?: string;
  /** Whether callback URLs can be honoured (a webhook secret is configured). */
  webhooks: boolean;
}

export function s3Location(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return match?.[1] !== undefined ? { bucket: match[1], key: match[2] ?? '' } : undefined;
}

/** Why `uri` is not allowed, or undefined when it is. */
export function uriProblem(uri: string, policy: SpecPolicy): string | undefined {
  const s3 = s3Location(uri);
  if (s3) {
    if (policy.allowedBuckets === '*' || policy.allowedBuckets.includes(s3.bucket)) return undefined;
    return `bucket "${s3.bucket}" is not allowed on this server`;
  }
  if (uri.startsWith('file://')) {
    if (!policy.fileRoot) return 'file:// URIs are not accepted by this server';
    let path: string;
    try {
      path = resolve(fileURLToPath(uri));
    } catch {
      return 'not a valid file:// URI';
    }
    // URL parsing and resolve() remove `..` (encoded or not), so an escaping path no longer starts with the root.
    const root = policy.fileRoot.endsWith(sep) ? policy.fileRoot : policy.fileRoot + sep;
    if (path === policy.fileRoot || path.startsWith(root)) return undefined;
    return 'must be under the file root this server allows';
  }
  return 'must be s3://bucket/key or file:///path';
}

/** Every policy violation of `spec`, with paths under `at` (e.g. `body`, `body.jobs.3`). */
export function specErrors(spec: JobSpec, policy: SpecPolicy, at: string): FieldError[] {
  const errors: FieldError[] = [];
  const uris: [string, string][] = [
    ['model.uri', spec.model.uri],
    ['dataset.uri', spec.dataset.uri],
    ['output.uri', spec.output.uri],
  ];
  for (const [field, uri] of uris) {
    const message = uriProblem(uri, policy);
    if (message) errors.push({ path: `${at}.${field}`, message });
  }
  if (spec.callback && !policy.webhooks) {
    errors.push({ path: `${at}.callback.url`, message: 'webhooks are not configured on this server' });
  }
  return errors;
}
