/**
 * Where webhooks may go. A callback URL is chosen by the client but posted to by this server, so a URL
 * naming an internal service (metadata endpoints, Redis, the admin side of a cluster) would let a
 * client reach it. Only public unicast addresses are allowed: checked when the job is submitted, and
 * again when the webhook is sent, on the very addresses the socket then connects to, so a name that
 * resolves differently later (DNS rebinding) cannot slip past.
 */
import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to its addresses (every family). Tests substitute a fixed table. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Longest wait for a callback host's addresses; a submission must not hang on a slow resolver. */
const LOOKUP_TIMEOUT_MS = 5_000;

export interface WebhookTargetPolicy {
  /** Allow http:// and non-public addresses (local development). @defaultValue false */
  allowPrivate: boolean;
  /** @defaultValue systemResolver */
  resolve?: Resolver;
}

/** A callback target this server refuses to contact; the message says why. */
export class WebhookTargetError extends Error {
  override readonly name = 'WebhookTargetError';
}

/**
 * Whether `address` is public unicast. ipaddr.js names every special range (loopback, private,
 * unique-local, link-local, CGNAT, multicast, unspecified, reserved, documentation, 6to4, Teredo…);
 * anything but plain `unicast` is refused, and IPv4-mapped IPv6 is judged as the IPv4 it maps.
 */
export function isPublicAddress(address: string): boolean {
  if (isIP(address) === 0) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** The host of a URL without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** What is wrong with `url` as a callback, judged without DNS; undefined when nothing is. */
export function callbackUrlProblem(url: string, policy: WebhookTargetPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  if (parsed.protocol !== 'https:' && !(policy.allowPrivate && parsed.protocol === 'http:')) {
    return 'must be an https:// URL';
  }
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry credentials';
  const host = hostOf(parsed);
  if (!policy.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
    return `${host} is not a public address`;
  }
  return undefined;
}

/**
 * The addresses of `hostname`, every one of them public unless the policy allows private ones. All
 * must pass: a name with one public and one private address would otherwise pick either.
 */
export async function checkedAddresses(
  hostname: string,
  policy: WebhookTargetPolicy,
): Promise<LookupAddress[]> {
  const family = isIP(hostname);
  let addresses: LookupAddress[];
  if (family !== 0) {
    addresses = [{ address: hostname, family }];
  } else {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })),
        LOOKUP_TIMEOUT_MS,
      );
    });
    try {
      addresses = await Promise.race([(policy.resolve ?? systemResolver)(hostname), timeout]);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new WebhookTargetError(`${hostname} does not resolve${code ? ` (${code})` : ''}`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (addresses.length === 0) throw new WebhookTargetError(`${hostname} does not resolve`);
  if (!policy.allowPrivate) {
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused)
      throw new WebhookTargetError(`${hostname} resolves to ${refused.address}, not a public address`);
  }
  return addresses;
}

/** Why `url` cannot be a callback, with DNS: the check at submission. Undefined when it can. */
export async function callbackProblem(url: string, policy: WebhookTargetPolicy): Promise<string | undefined> {
  const lexical = callbackUrlProblem(url, policy);
  if (lexical) return lexical;
  try {
    await checkedAddresses(hostOf(new URL(url)), policy);
    return undefined;
  } catch (error) {
    if (error instanceof WebhookTargetError) return error.message;
    throw error;
  }
}

/**
 * A `lookup` for `http.request`: the socket connects only to addresses that passed the check. It
 * answers in both shapes Node asks for (one address, or all of them for Happy Eyeballs).
 */
export function checkedLookup(policy: WebhookTargetPolicy): LookupFunction {
  return (hostname, options, callback) => {
    checkedAddresses(hostname, policy).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
        const usable = wanted ? addresses.filter((entry) => entry.family === wanted) : addresses;
        if (usable.length === 0) {
          callback(new WebhookTargetError(`${hostname} has no IPv${wanted} address`), '', 0);
        } else if (options.all) {
          (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, usable);
        } else {
          const [first] = usable as [LookupAddress];
          callback(null, first.address, first.family);
        }
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}
