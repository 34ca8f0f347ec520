/**
 * The options of `ddinit init` and their mapping onto the library's options. Every default shown in
 * `--help` comes from the zod schemas (`InitOptions`, `Preprocessing`), so the CLI never restates a number.
 */
import {
  BetweenMode,
  InitMethod,
  InitOptions,
  type InitOptionsInput,
  type Limits,
  LimitsEnv,
  limitsFromEnv,
  RandomFilters,
} from '@ddinit/contracts';
import { parseOptions } from '@ddinit/core';
import { Preprocessing, preprocessingInvalid } from '@ddinit/data';
import { BACKEND_ENV, BACKEND_NAMES, type BackendName, isBackendName } from '@ddinit/tf';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { backendEnvUnknown, optionInvalid } from './errors.js';

const INIT_DEFAULTS = InitOptions.parse({});
const PREPROCESSING_DEFAULTS = Preprocessing.parse({});
const SCALES = Preprocessing.shape.scale.unwrap().options;
const CHANNEL_ORDERS = Preprocessing.shape.channelOrder.unwrap().options;
const RESIZES = Preprocessing.shape.resize.unwrap().options;
const BACKENDS = ['auto', ...BACKEND_NAMES] as const;

/** What commander hands the `init` action. */
export interface InitCliOptions {
  model: string;
  data: string;
  out: string;
  random: RandomFilters;
  method: InitMethod;
  beta: number;
  alpha: number;
  iterations?: number;
  between: BetweenMode;
  tolerance: number;
  lsuvTolerance: number;
  lsuvMaxIterations: number;
  sample: number;
  heldOut: number;
  batchSize: number;
  seed: number;
  layers?: string[];
  excludeLayers?: string[];
  onlyZeroKernels: boolean;
  excludeOutputs: boolean;
  normalizeKept: boolean;
  scale: Preprocessing['scale'];
  mean?: number[];
  std?: number[];
  channelOrder: Preprocessing['channelOrder'];
  resize: Preprocessing['resize'];
  maxPixels: number;
  backend: BackendName | 'auto';
  overwrite: boolean;
  html?: string;
  json: boolean;
  quiet: boolean;
}

const GROUPS = {
  io: 'Input and output:',
  init: 'Initialization:',
  layers: 'Layer selection:',
  data: 'Data sample:',
  preprocessing: 'Image preprocessing:',
  run: 'Run:',
} as const;

/** Declares every `init` option on `command`, grouped in `--help`. */
export function addInitOptions(command: Command): Command {
  const d = INIT_DEFAULTS;
  const p = PREPROCESSING_DEFAULTS;
  const options = [
    new Option(
      '--model <path>',
      'required: a TensorFlow.js layers model.json (weight shards are read beside it)',
    )
      .makeOptionMandatory()
      .helpGroup(GROUPS.io),
    new Option(
      '--data <path>',
      'required: a folder of .jpg/.jpeg/.png/.webp images (searched recursively) or a .npy array',
    )
      .makeOptionMandatory()
      .helpGroup(GROUPS.io),
    new Option(
      '--out <dir>',
      'required: folder for the checkpoint (model.json, weight shards, weights.safetensors, report.json, report.html)',
    )
      .makeOptionMandatory()
      .helpGroup(GROUPS.io),
    new Option('--overwrite', 'replace a checkpoint already in --out').default(false).helpGroup(GROUPS.io),
    new Option('--html <path>', 'also write the self-contained HTML report page to this file')
      .default(undefined, 'only report.html in --out')
      .helpGroup(GROUPS.io),

    new Option('--random <kind>', 'random filters drawn before normalization')
      .choices(RandomFilters.options)
      .default(d.random)
      .helpGroup(GROUPS.init),
    new Option(
      '--method <method>',
      'paper: Krähenbühl et al. (within- and between-layer); lsuv: Mishkin & Matas',
    )
      .choices(InitMethod.options)
      .default(d.method)
      .helpGroup(GROUPS.init),
    new Option('--beta <number>', 'target mean of every affine layer’s pre-activations')
      .argParser(parseNumber)
      .default(d.beta)
      .helpGroup(GROUPS.init),
    new Option('--alpha <number>', 'damping exponent of the iterative between-layer update r = (C/C̄)^(α/2)')
      .argParser(parseNumber)
      .default(d.alpha)
      .helpGroup(GROUPS.init),
    new Option(
      '--between <mode>',
      'between-layer normalization: one exact solve, the paper’s damped loop, or none',
    )
      .choices(BetweenMode.options)
      .default(d.between)
      .helpGroup(GROUPS.init),
    new Option(
      '--iterations <n>',
      withDefault('most between-layer updates', '2 for closed-form, 10 for iterative'),
    )
      .argParser(parseInteger)
      .helpGroup(GROUPS.init),
    new Option(
      '--tolerance <number>',
      'between-layer stop: largest |log| change-rate gap (iterative) or scale move (closed-form)',
    )
      .argParser(parseNumber)
      .default(d.tolerance)
      .helpGroup(GROUPS.init),
    new Option('--exclude-outputs', 'do not rescale the model’s output layers (iterative between-layer mode)')
      .default(d.excludeOutputs)
      .helpGroup(GROUPS.init),
    new Option(
      '--normalize-kept',
      'run within-layer normalization on --random keep filters too (else keep only rescales)',
    )
      .default(d.normalizeKept)
      .helpGroup(GROUPS.init),
    new Option('--lsuv-tolerance <number>', 'LSUV: stop once |Var − 1| is below this')
      .argParser(parseNumber)
      .default(d.lsuvTolerance)
      .helpGroup(GROUPS.init),
    new Option('--lsuv-max-iterations <n>', 'LSUV: most rescaling tries per layer')
      .argParser(parseInteger)
      .default(d.lsuvMaxIterations)
      .helpGroup(GROUPS.init),
    new Option(
      '--seed <n>',
      'seeds every random draw: same seed, data, options and backend give identical weights',
    )
      .argParser(parseInteger)
      .default(d.seed)
      .helpGroup(GROUPS.init),

    new Option(
      '--layers <patterns...>',
      withDefault('initialize only these affine layers: names or /regex/ patterns', 'every affine layer'),
    ).helpGroup(GROUPS.layers),
    new Option(
      '--exclude-layers <patterns...>',
      withDefault('leave these layers untouched: names or /regex/ patterns', 'none'),
    ).helpGroup(GROUPS.layers),
    new Option(
      '--only-zero-kernels',
      'only layers whose kernel is all zeros (a pretrained backbone keeps its weights)',
    )
      .default(d.layers.onlyZeroKernels)
      .helpGroup(GROUPS.layers),

    new Option('--sample <n>', 'images in the initialization sample')
      .argParser(parseInteger)
      .default(d.sample)
      .helpGroup(GROUPS.data),
    new Option('--held-out <n>', 'images held out to report how the statistics generalize (0: none)')
      .argParser(parseInteger)
      .default(d.heldOut)
      .helpGroup(GROUPS.data),
    new Option('--batch-size <n>', 'images per forward/backward pass')
      .argParser(parseInteger)
      .default(d.batchSize)
      .helpGroup(GROUPS.data),

    new Option(
      '--scale <mapping>',
      '8-bit values to floats: unit → [0, 1], symmetric → [-1, 1], none → 0..255',
    )
      .choices(SCALES)
      .default(p.scale)
      .helpGroup(GROUPS.preprocessing),
    new Option(
      '--mean <list>',
      withDefault('per-channel mean subtracted after --scale: one value or one per channel, a,b,c', 'none'),
    )
      .argParser(parseNumberList)
      .helpGroup(GROUPS.preprocessing),
    new Option(
      '--std <list>',
      withDefault('per-channel divisor applied after --mean: one value or one per channel, a,b,c', 'none'),
    )
      .argParser(parseNumberList)
      .helpGroup(GROUPS.preprocessing),
    new Option('--channel-order <order>', 'channel order the model was trained with (images only)')
      .choices(CHANNEL_ORDERS)
      .default(p.channelOrder)
      .helpGroup(GROUPS.preprocessing),
    new Option('--resize <mode>', 'stretch to H×W, or resize the short side and crop the centre')
      .choices(RESIZES)
      .default(p.resize)
      .helpGroup(GROUPS.preprocessing),
    new Option('--max-pixels <n>', 'refuse larger images from their header, before decoding')
      .argParser(parseInteger)
      .default(p.maxPixels)
      .helpGroup(GROUPS.preprocessing),

    new Option('--backend <name>', `TensorFlow.js backend; auto tries ${BACKEND_NAMES.join(', ')} in order`)
      .choices(BACKENDS)
      .default('auto', `auto, or $${BACKEND_ENV} when set`)
      .helpGroup(GROUPS.run),
    new Option('--json', 'print the report and the written files as JSON on stdout, nothing else')
      .default(false)
      .helpGroup(GROUPS.run),
    new Option('--quiet', 'no progress on stderr').default(false).helpGroup(GROUPS.run),
  ];
  for (const option of options) command.addOption(option);
  return command;
}

/** Everything `runInitJob` needs from the command line, checked: nothing on disk has been looked at yet. */
export interface ResolvedInitOptions {
  options: InitOptions;
  preprocessing: Preprocessing;
  /** `undefined` leaves the choice to `$DDINIT_BACKEND`, else auto. */
  backend: BackendName | 'auto' | undefined;
  /** Bounds on the model and the data, from `$DDINIT_MAX_*` as the worker reads them. */
  limits: Limits;
}

/**
 * Maps the command line onto `InitOptions` and `Preprocessing` and validates both, so that a bad value
 * fails before any file is read or written.
 * @param backendGiven - whether `--backend` was on the command line (else the environment decides).
 * @throws DdinitError `options_invalid` (also for a bad `$DDINIT_MAX_*`), `preprocessing_invalid` or
 * `backend_unknown`.
 */
export function resolveInitOptions(
  cli: InitCliOptions,
  backendGiven: boolean,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedInitOptions {
  const options = parseOptions(toInitOptions(cli));
  for (const pattern of [...(options.layers.include ?? []), ...(options.layers.exclude ?? [])])
    checkLayerPattern(pattern);
  const parsed = Preprocessing.safeParse(toPreprocessing(cli));
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'preprocessing'}: ${issue.message}`,
    );
    throw preprocessingInvalid(problems.join('; '));
  }
  const backend = backendGiven ? cli.backend : undefined;
  if (backend === undefined) checkBackendEnv(env);
  return { options, preprocessing: parsed.data, backend, limits: readLimitsEnv(env) };
}

/** The limits of `$DDINIT_MAX_*`, checked like the worker checks them. */
function readLimitsEnv(env: NodeJS.ProcessEnv): Limits {
  const parsed = LimitsEnv.safeParse(env);
  if (parsed.success) return limitsFromEnv(parsed.data);
  throw optionInvalid(
    parsed.error.issues
      .map((issue) => {
        const name = String(issue.path[0]);
        return `${name} (${JSON.stringify(env[name])}): ${issue.message}`;
      })
      .join('; '),
  );
}

export function toInitOptions(cli: InitCliOptions): InitOptionsInput {
  return {
    random: cli.random,
    method: cli.method,
    beta: cli.beta,
    alpha: cli.alpha,
    ...(cli.iterations !== undefined && { iterations: cli.iterations }),
    between: cli.between,
    tolerance: cli.tolerance,
    excludeOutputs: cli.excludeOutputs,
    normalizeKept: cli.normalizeKept,
    sample: cli.sample,
    heldOut: cli.heldOut,
    batchSize: cli.batchSize,
    seed: cli.seed,
    layers: {
      ...(cli.layers !== undefined && { include: cli.layers }),
      ...(cli.excludeLayers !== undefined && { exclude: cli.excludeLayers }),
      onlyZeroKernels: cli.onlyZeroKernels,
    },
    lsuvTolerance: cli.lsuvTolerance,
    lsuvMaxIterations: cli.lsuvMaxIterations,
  };
}

export function toPreprocessing(cli: InitCliOptions): Partial<Preprocessing> {
  return {
    scale: cli.scale,
    ...(cli.mean !== undefined && { mean: cli.mean }),
    ...(cli.std !== undefined && { std: cli.std }),
    channelOrder: cli.channelOrder,
    resize: cli.resize,
    maxPixels: cli.maxPixels,
  };
}

/** A `/regex/flags` layer pattern must compile; plain names are checked against the model later. */
function checkLayerPattern(pattern: string): void {
  const regex = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  if (!regex) return;
  try {
    new RegExp(regex[1]!, regex[2]);
  } catch (error) {
    throw optionInvalid(
      `layers: ${JSON.stringify(pattern)} is not a valid pattern: ${(error as Error).message}`,
    );
  }
}

/** `$DDINIT_BACKEND` must name a backend too; `selectBackend` reads it, this only checks it early. */
function checkBackendEnv(env: NodeJS.ProcessEnv): void {
  const value = env[BACKEND_ENV]?.trim();
  if (value === undefined || value === '' || value === 'auto' || isBackendName(value)) return;
  throw backendEnvUnknown(BACKEND_ENV, value, BACKENDS);
}

/** A description that states a default commander cannot show (it shows only defined default values). */
function withDefault(description: string, defaultText: string): string {
  return `${description} (default: ${defaultText})`;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
const INTEGER = /^[+-]?\d+$/;

/** Digits may be grouped with `_` (`50_000_000`). */
function clean(value: string): string {
  return value.trim().replace(/(?<=\d)_(?=\d)/g, '');
}

export function parseNumber(value: string): number {
  const text = clean(value);
  const number = Number(text);
  if (!NUMBER.test(text) || !Number.isFinite(number)) throw new InvalidArgumentError('Expected a number.');
  return number;
}

export function parseInteger(value: string): number {
  const text = clean(value);
  if (!INTEGER.test(text)) throw new InvalidArgumentError('Expected an integer.');
  const number = Number(text);
  if (!Number.isSafeInteger(number)) throw new InvalidArgumentError('The integer is too large.');
  return number;
}

export function parseNumberList(value: string): number[] {
  const parts = value.split(',');
  const numbers = parts.map((part) => {
    const text = clean(part);
    return NUMBER.test(text) ? Number(text) : Number.NaN;
  });
  if (numbers.some((n) => !Number.isFinite(n)))
    throw new InvalidArgumentError(
      'Expected one number or numbers separated by commas, like 0.485,0.456,0.406.',
    );
  return numbers;
}
