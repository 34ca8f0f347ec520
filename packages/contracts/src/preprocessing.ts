import { z } from 'zod';

/** How raw pixels and array values become the floats the model sees. */
export const Preprocessing = z
  .object({
    /**
     * Maps 8-bit values (image pixels, uint8 arrays): `unit` divides by 255 into [0, 1], `symmetric` maps
     * to [-1, 1], `none` keeps 0..255. float32 arrays are used as they are. @defaultValue 'unit'
     */
    scale: z.enum(['unit', 'none', 'symmetric']).default('unit'),
    /** Per-channel mean subtracted after `scale`: one value, or one per channel (the input's last axis). */
    mean: z.array(z.number()).min(1).optional(),
    /** Per-channel divisor applied after `mean`: one value, or one per channel. */
    std: z.array(z.number().positive()).min(1).optional(),
    /** Channel order the model was trained with; applies to decoded images only, not to .npy arrays. @defaultValue 'rgb' */
    channelOrder: z.enum(['rgb', 'bgr']).default('rgb'),
    /** `stretch` resizes to H×W; `center-crop` resizes the short side and crops the centre. @defaultValue 'stretch' */
    resize: z.enum(['stretch', 'center-crop']).default('stretch'),
    /** Images with more pixels are refused from their header, before decoding. @defaultValue 50_000_000 */
    maxPixels: z.int().min(1).max(Number.MAX_SAFE_INTEGER).default(50_000_000),
  })
  .strict();
export type Preprocessing = z.infer<typeof Preprocessing>;
export type PreprocessingInput = z.input<typeof Preprocessing>;
