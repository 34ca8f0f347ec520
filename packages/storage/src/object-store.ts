/**
 * The one storage interface the engine's I/O is written against. `FileStore` serves local runs;
 * the service plugs an S3 store in behind the same calls. Keys are `/`-separated and relative
 * to the store's root; a store never reaches outside that root.
 */
export interface ObjectStore {
  /** Human-readable location of a key, for messages and reports (`file:///…`, `s3://…`). */
  uri(key: string): string;
  /** The object's bytes; throws `object_not_found` if it does not exist. */
  get(key: string): Promise<Uint8Array>;
  /** Writes the object whole: readers see the old object or the new one, never a part. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** Deletes the objects; keys with no object are skipped. */
  delete(keys: readonly string[]): Promise<void>;
  /** Keys under `prefix` (recursive), sorted, at most `limit` of them. */
  list(prefix: string, options?: { limit?: number }): Promise<string[]>;
  /** Size in bytes, or `undefined` if there is no such object. */
  stat(key: string): Promise<{ bytes: number } | undefined>;
}
