import { z } from 'zod';
import { InitOptions } from './init-options.js';

/** Min / median / max of a per-channel statistic over a layer's output channels. */
export const Spread = z.object({ min: z.number(), median: z.number(), max: z.number() });
export type Spread = z.infer<typeof Spread>;

/** Per-channel mean and std of a layer's pre-activations, summarized over channels. */
export const ChannelStats = z.object({ mean: Spread, std: Spread });
export type ChannelStats = z.infer<typeof ChannelStats>;

export const LayerReport = z.object({
  /** Layer name; a SeparableConv2D contributes `name/depthwise` and `name/pointwise`. */
  name: z.string(),
  className: z.string(),
  kernelShape: z.array(z.int()),
  /** Whether this run changed the layer (selection, `onlyZeroKernels`). */
  selected: z.boolean(),
  random: z.object({
    requested: z.string(),
    used: z.string(),
    fallbackReason: z.string().optional(),
  }),
  /** Pre-activation statistics before and after, on the init sample and on the held-out sample. */
  stats: z.object({
    initBefore: ChannelStats.optional(),
    initAfter: ChannelStats.optional(),
    heldOutBefore: ChannelStats.optional(),
    heldOutAfter: ChannelStats.optional(),
  }),
  /** Change rate ‖∇W‖/‖W‖ before and after between-layer normalization, and the cumulative scale r. */
  changeRate: z.object({ before: z.number(), after: z.number(), scale: z.number() }).optional(),
  warnings: z.array(z.string()),
});
export type LayerReport = z.infer<typeof LayerReport>;

export const InitReport = z.object({
  ddinitVersion: z.string(),
  seed: z.int(),
  options: InitOptions,
  backend: z.object({
    name: z.string(),
    threads: z.int(),
    /** Which build runs, or why the preferred one could not (e.g. `threaded SIMD build`). */
    detail: z.string().optional(),
  }),
  images: z.object({ init: z.int(), heldOut: z.int() }),
  passes: z.object({ forward: z.int(), backward: z.int() }),
  /** Milliseconds per phase, e.g. `load`, `random`, `within`, `between`, `report`, `save`. */
  timingsMs: z.record(z.string(), z.number()),
  /** max C_k / min C_k over participating layers, before and after between-layer normalization. */
  changeRateSpread: z.object({ before: z.number(), after: z.number() }).optional(),
  layers: z.array(LayerReport),
  warnings: z.array(z.string()),
});
export type InitReport = z.infer<typeof InitReport>;
