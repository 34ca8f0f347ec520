import { z } from 'zod';

/** How each selected affine layer's filters are drawn before within-layer normalization (ALGORITHM.md §1). */
export const RandomFilters = z.enum(['gaussian', 'orthogonal', 'pca', 'kmeans', 'keep']);
export type RandomFilters = z.infer<typeof RandomFilters>;

/** `paper`: Algorithms 1 and 2 of Krähenbühl et al.; `lsuv`: Mishkin & Matas (ALGORITHM.md §4). */
export const InitMethod = z.enum(['paper', 'lsuv']);
export type InitMethod = z.infer<typeof InitMethod>;

/** Between-layer normalization (ALGORITHM.md §3): one exact solve, the paper's damped loop, or none. */
export const BetweenMode = z.enum(['closed-form', 'iterative', 'off']);
export type BetweenMode = z.infer<typeof BetweenMode>;

/** Which affine layers the run may change. Others keep their weights and scale. */
export const LayerSelection = z
  .object({
    /** Layer names or `/regex/` patterns; empty or absent means every affine layer. */
    include: z.array(z.string().min(1)).max(10_000).optional(),
    /** Layer names or `/regex/` patterns to leave untouched. */
    exclude: z.array(z.string().min(1)).max(10_000).optional(),
    /** Only layers whose kernel is all zeros (magic_init's rule: a pretrained backbone keeps its weights). */
    onlyZeroKernels: z.boolean().default(false),
  })
  .strict();
export type LayerSelection = z.infer<typeof LayerSelection>;

/** Every option of one initialization run, with its default. Shared by the CLI, the API and the worker. */
export const InitOptions = z
  .object({
    /** Random filters drawn before normalization. @defaultValue 'gaussian' */
    random: RandomFilters.default('gaussian'),
    /** @defaultValue 'paper' */
    method: InitMethod.default('paper'),
    /** Target mean of every affine layer's pre-activations. @defaultValue 0 */
    beta: z.number().min(-10).max(10).default(0),
    /** Damping exponent of the iterative between-layer update r = (C/C̄)^(α/2). @defaultValue 0.25 */
    alpha: z.number().gt(0).max(2).default(0.25),
    /**
     * Most between-layer updates. Closed form: measurements pooled into one solve (default 2: measure,
     * solve, verify, re-solve); iterative: damped measure-and-update rounds (default 10, the paper's).
     */
    iterations: z.int().min(1).max(100).optional(),
    /** @defaultValue 'closed-form' */
    between: BetweenMode.default('closed-form'),
    /**
     * Iterative: stop once max_k |log(C_k / C̄)| is below this. Closed form: stop once a new
     * measurement moves no layer's scale by more than this (in log). @defaultValue 0.05
     */
    tolerance: z.number().gt(0).max(10).default(0.05),
    /** Keep the model outputs' scale: output layers are not rescaled by the iterative mode. @defaultValue false */
    excludeOutputs: z.boolean().default(false),
    /** Run within-layer normalization on `keep` filters too (otherwise `keep` only rescales). @defaultValue false */
    normalizeKept: z.boolean().default(false),
    /** Images in the initialization sample. @defaultValue 256 */
    sample: z.int().min(2).max(1_000_000).default(256),
    /** Images held out to report how the statistics generalize (0: none). @defaultValue 64 */
    heldOut: z.int().min(0).max(1_000_000).default(64),
    /** Images per forward/backward pass. @defaultValue 64 */
    batchSize: z.int().min(1).max(65_536).default(64),
    /** Seeds every random draw: same seed, data, options and backend give identical weights. @defaultValue 0 */
    seed: z
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(0),
    /** Which layers to initialize. */
    layers: LayerSelection.default({ onlyZeroKernels: false }),
    /** LSUV: stop once |Var − 1| is below this. @defaultValue 0.1 */
    lsuvTolerance: z.number().gt(0).max(1).default(0.1),
    /** LSUV: most rescaling tries per layer. @defaultValue 10 */
    lsuvMaxIterations: z.int().min(1).max(100).default(10),
  })
  .strict();
export type InitOptions = z.infer<typeof InitOptions>;
export type InitOptionsInput = z.input<typeof InitOptions>;
