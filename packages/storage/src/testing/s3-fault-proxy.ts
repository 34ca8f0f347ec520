/**
 * A fault-injecting HTTP proxy for tests, in front of an S3 server (s3rver): clients reach it through
 * the same endpoint setting as the real service, and it forwards every request untouched (the Host
 * header included, which SigV4 signs) unless a rule matches. Rules pick requests by method, object
 * key and count, and answer with an S3 error, a reset connection, a slow, truncated or corrupted body.
 */
import { once } from 'node:events';
import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { S3ClientSettings } from '../s3-client.js';

export type S3Fault =
  /** An S3 error response (`InternalError`, `ServiceUnavailable`), as S3 answers under load. */
  | { kind: 'status'; status: 500 | 503 }
  /**
   * The connection is destroyed: `before` any response, or in the `body` of the response, after the
   * headers and half of it.
   */
  | { kind: 'reset'; at: 'before' | 'body' }
  /** Request and response bodies pass at `bytesPerSecond`. */
  | { kind: 'slow'; bytesPerSecond: number }
  /** The response keeps its Content-Length but sends half the body, then the connection closes. */
  | { kind: 'truncate' }
  /** The response sends its headers and half the body, then nothing more, keeping the connection open. */
  | { kind: 'stall' }
  /** One byte of the request body (an upload) or of the response body (a download) is flipped. */
  | { kind: 'corrupt'; body: 'request' | 'response' };

export interface FaultRule {
  /** HTTP method to match (`GET`, `PUT`, `HEAD`); any if absent. */
  method?: string;
  /** Tested against the object key (the path after the bucket, decoded); any if absent. */
  key?: RegExp;
  /**
   * How many matching requests get the fault; the rule then lets requests through.
   * @defaultValue every one
   */
  times?: number;
  fault: S3Fault;
}

/** A rule in force, with how many requests it has hit so far. */
export interface ActiveRule extends FaultRule {
  hits: number;
}

export interface ProxiedRequest {
  method: string;
  bucket: string;
  key: string;
  /** The fault applied, if any. */
  fault?: S3Fault['kind'];
}

export interface S3FaultProxy {
  endpoint: string;
  /** `upstream` with the proxy's endpoint: what clients under test use. */
  settings: S3ClientSettings;
  /** Adds a rule; the first rule (in order added) that matches a request and has hits left applies. */
  add(rule: FaultRule): ActiveRule;
  /** Drops every rule: requests pass untouched from now on. */
  clear(): void;
  /** Every request seen, in arrival order. */
  requests: ProxiedRequest[];
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port, forwarding to the S3 server that `upstream` reaches. */
export async function startS3FaultProxy(upstream: S3ClientSettings): Promise<S3FaultProxy> {
  if (upstream.endpoint === undefined) throw new Error('the upstream settings have no endpoint');
  const target = new URL(upstream.endpoint);
  const rules: ActiveRule[] = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const { bucket, key } = objectOf(req.url ?? '/');
    const rule = rules.find(
      (r) =>
        r.hits < (r.times ?? Number.POSITIVE_INFINITY) &&
        (r.method === undefined || r.method === req.method) &&
        (r.key === undefined || r.key.test(key)),
    );
    if (rule) rule.hits++;
    requests.push({ method: req.method ?? '', bucket, key, ...(rule && { fault: rule.fault.kind }) });
    handle(req, res, target, rule?.fault).catch(() => res.socket?.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    settings: { ...upstream, endpoint },
    add(rule) {
      const active = { ...rule, hits: 0 };
      rules.push(active);
      return active;
    },
    clear() {
      rules.length = 0;
    },
    requests,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Bucket and key of a path-style request (`/bucket/key?query`). */
function objectOf(url: string): { bucket: string; key: string } {
  const path = url.split('?')[0] ?? '';
  const [, bucket = '', ...rest] = path.split('/');
  return { bucket: decodeURIComponent(bucket), key: decodeURIComponent(rest.join('/')) };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  fault: S3Fault | undefined,
): Promise<void> {
  if (fault?.kind === 'reset' && fault.at === 'before') {
    req.socket.destroy();
    return;
  }
  if (fault?.kind === 'status') {
    req.resume();
    await once(req, 'end');
    sendS3Error(req, res, fault.status);
    return;
  }

  const requestBody = await readAll(req);
  if (fault?.kind === 'corrupt' && fault.body === 'request') flipByte(requestBody);
  const outgoing = forward(req, target);
  // Either side may vanish mid-exchange (a killed worker): that ends this exchange, not the proxy.
  outgoing.on('error', () => {});
  res.on('error', () => {});
  // A client that went away (killed mid-upload) takes the upstream request with it, as it would S3's.
  res.once('close', () => {
    if (!res.writableFinished) outgoing.destroy();
  });
  const response = once(outgoing, 'response') as Promise<[IncomingMessage]>;
  // Awaited below, after the request body: a failure before then must not go unhandled meanwhile.
  response.catch(() => {});
  if (fault?.kind === 'slow') await pipeBody(bufferStream(requestBody), outgoing, fault.bytesPerSecond);
  else outgoing.end(requestBody);
  const [upstream] = await response;
  upstream.on('error', () => {});
  // One request per connection: a fault then never leaves a connection half-usable for the next one.
  const headers = { ...upstream.headers, connection: 'close' };
  if (fault === undefined || fault.kind === 'slow') {
    res.writeHead(upstream.statusCode ?? 502, headers);
    await pipeBody(upstream, res, fault?.kind === 'slow' ? fault.bytesPerSecond : undefined);
    return;
  }
  const body = await readAll(upstream);
  res.writeHead(upstream.statusCode ?? 502, headers);
  if (fault.kind === 'corrupt') {
    flipByte(body);
    res.end(body);
    return;
  }
  // reset mid-body, truncate and stall: half the body under the full Content-Length, then the
  // connection goes (a stalled one when the client gives up, or the proxy closes).
  const socket = res.socket;
  res.write(body.subarray(0, Math.floor(body.length / 2)));
  if (fault.kind === 'stall') return;
  if (fault.kind === 'truncate') socket?.end();
  // A reset after the half is on its way; a truncated connection that the client kept half-open is
  // closed all the same.
  setTimeout(() => socket?.destroy(), fault.kind === 'reset' ? 20 : 200).unref();
}

/** The request to the server, on a connection of its own, headers untouched (SigV4 signs them). */
function forward(req: IncomingMessage, target: URL): ClientRequest {
  return request({
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: req.headers,
    agent: false,
  });
}

/** Copies `source` to `sink` and ends it, at most `bytesPerSecond` if given (in 10 steps a second). */
async function pipeBody(
  source: AsyncIterable<Buffer>,
  sink: NodeJS.WritableStream,
  bytesPerSecond: number | undefined,
): Promise<void> {
  const step = bytesPerSecond === undefined ? Number.POSITIVE_INFINITY : Math.max(1, bytesPerSecond / 10);
  for await (const chunk of source) {
    for (let offset = 0; offset < chunk.length; offset += step) {
      if (!sink.write(chunk.subarray(offset, offset + step))) await once(sink, 'drain');
      if (bytesPerSecond !== undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  sink.end();
}

async function* bufferStream(data: Buffer): AsyncIterable<Buffer> {
  yield data;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function flipByte(data: Buffer): void {
  if (data.length === 0) return;
  const at = Math.floor(data.length / 2);
  data[at] = (data[at] ?? 0) ^ 0xff;
}

const S3_ERRORS = {
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  503: ['ServiceUnavailable', 'Please reduce your request rate.'],
} as const;

function sendS3Error(req: IncomingMessage, res: ServerResponse, status: 500 | 503): void {
  const [code, message] = S3_ERRORS[status];
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;
  res.writeHead(status, {
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(body),
    connection: 'close',
  });
  // A HEAD response has no body, whatever its Content-Length says.
  res.end(req.method === 'HEAD' ? undefined : body);
}
