/**
 * The operator's bounds on one job's input: they keep a hostile or mistaken model or dataset from
 * exhausting memory or time before any work starts. A job's own options (such as
 * `preprocessing.maxPixels`) may ask for less, never for more. The worker reads them from the
 * environment (`DDINIT_MAX_*`, see `LIMITS_ENV`) and so does `ddinit init`.
 */
import { z } from 'zod';

export interface Limits {
  /**
   * Largest `model.json` read, in bytes; larger fails with `model_too_large` before it is downloaded.
   * @defaultValue 32 MiB (`33_554_432`)
   */
  maxModelJsonBytes: number;
  /**
   * Largest total of the weight shards, in bytes, as the manifest declares it; larger fails with
   * `model_too_large` before any shard is read.
   * @defaultValue 2 GiB (`2_147_483_648`)
   */
  maxWeightBytes: number;
  /**
   * Most parameters (weight elements) the model's layers may create; more fails with
   * `model_too_large` while the model is built, before the offending weight is allocated.
   * @defaultValue 500_000_000 (2 GB as float32)
   */
  maxParameters: number;
  /**
   * Most samples read for one job, initialization and held-out together; a larger request fails
   * with `sample_too_large` before the dataset is listed. Each image sample costs
   * `height × width × channels × 4` bytes of memory.
   * @defaultValue 10_000
   */
  maxSampleImages: number;
  /**
   * Most pixels of one image, read from its header (a larger image fails with `image_too_large` and is
   * never decoded), and of the model's image input. Caps `preprocessing.maxPixels`.
   * @defaultValue 50_000_000
   */
  maxPixelsPerImage: number;
  /**
   * Most keys listed under a dataset folder: listing stops there and the sample is drawn, with the
   * seed, from the keys seen. Lowering it makes huge prefixes cheaper but samples fewer of their images.
   * @defaultValue 1_000_000
   */
  maxListedKeys: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxModelJsonBytes: 32 * 1024 ** 2,
  maxWeightBytes: 2 * 1024 ** 3,
  maxParameters: 500_000_000,
  maxSampleImages: 10_000,
  maxPixelsPerImage: 50_000_000,
  maxListedKeys: 1_000_000,
});

/** The environment variable of each limit, for the worker and `ddinit init`. */
export const LIMITS_ENV = {
  maxModelJsonBytes: 'DDINIT_MAX_MODEL_JSON_BYTES',
  maxWeightBytes: 'DDINIT_MAX_WEIGHT_BYTES',
  maxParameters: 'DDINIT_MAX_PARAMETERS',
  maxSampleImages: 'DDINIT_MAX_SAMPLE_IMAGES',
  maxPixelsPerImage: 'DDINIT_MAX_PIXELS_PER_IMAGE',
  maxListedKeys: 'DDINIT_MAX_LISTED_KEYS',
} as const satisfies Record<keyof Limits, string>;

const LIMIT_NAMES = Object.keys(LIMITS_ENV) as (keyof Limits)[];

/** A limit is a positive whole number; `_` may group digits (`2_147_483_648`). */
const limitValue = (fallback: number) =>
  z.preprocess(
    (value) => (value === '' || value === undefined ? fallback : String(value).trim().replace(/_/g, '')),
    z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(Number.MAX_SAFE_INTEGER, 'is too large'),
  );

/** Zod fields over the environment, one per limit, for a service's own env schema. */
export const LimitsEnv = z.object(
  Object.fromEntries(LIMIT_NAMES.map((name) => [LIMITS_ENV[name], limitValue(DEFAULT_LIMITS[name])])) as {
    [K in keyof Limits as (typeof LIMITS_ENV)[K]]: ReturnType<typeof limitValue>;
  },
);

/** The limits from env values already parsed by `LimitsEnv`. */
export function limitsFromEnv(parsed: z.output<typeof LimitsEnv>): Limits {
  return Object.fromEntries(LIMIT_NAMES.map((name) => [name, parsed[LIMITS_ENV[name]]])) as unknown as Limits;
}

/** `DEFAULT_LIMITS` with the given ones (those not `undefined`) in their place. */
export function resolveLimits(limits: Partial<Limits> = {}): Limits {
  const given = Object.entries(limits).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_LIMITS, ...Object.fromEntries(given) };
}
