#!/usr/bin/env node
// (Re)generates the bundled ddinit examples, deterministically:
//
//   examples/models/<name>/model.json   small example architectures (topology only)
//   bench/models/<name>/model.json      benchmark architectures (topology only)
//   examples/images/img-NNNN.{jpg,png}  procedurally generated, natural-image-like pictures
//
// Usage (from the repository root):
//   node examples/make-examples.mjs                  models + images, then verify every model
//   node examples/make-examples.mjs --skip-verify    no load-back / forward-pass check (faster)
//
// A model.json holds only the tfjs layers-model topology (no weightsManifest, no weights):
// the everyday use of ddinit is "initialize this architecture".
// Images are public domain (CC0): they are drawn here from a seeded PRNG, nothing is downloaded.

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE_MODELS = path.join(ROOT, 'examples', 'models');
const BENCH_MODELS = path.join(ROOT, 'bench', 'models');
const IMAGES = path.join(ROOT, 'examples', 'images');

const IMAGE_COUNT = 320;
const IMAGE_SEED = 20160101;

// ---------------------------------------------------------------------------------------------
// Models. Every layer gets an explicit name so that reports and tests can refer to it.
// ---------------------------------------------------------------------------------------------

/** Plain VGG-style CNN for CIFAR (32x32x3): ReLU inside the convs, no BatchNorm, linear logits. */
function vggCifar() {
  const conv = (name, filters, extra = {}) =>
    tf.layers.conv2d({ name, filters, kernelSize: 3, padding: 'same', activation: 'relu', ...extra });
  return tf.sequential({
    name: 'vgg_cifar',
    layers: [
      conv('conv1_1', 32, { inputShape: [32, 32, 3] }),
      conv('conv1_2', 32),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }),
      conv('conv2_1', 64),
      conv('conv2_2', 64),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }),
      conv('conv3_1', 128),
      tf.layers.maxPooling2d({ name: 'pool3', poolSize: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 256, activation: 'relu' }),
      tf.layers.dense({ name: 'fc2', units: 10 }),
    ],
  });
}

/** Small ResNet (functional DAG) for CIFAR: Conv(no bias) -> BatchNorm -> ReLU, 3 residual blocks. */
function resnetBn() {
  const convBn = (x, name, filters, kernelSize, strides = 1) => {
    const c = tf.layers
      .conv2d({ name: `${name}_conv`, filters, kernelSize, strides, padding: 'same', useBias: false })
      .apply(x);
    return tf.layers.batchNormalization({ name: `${name}_bn` }).apply(c);
  };
  const relu = (x, name) => tf.layers.activation({ name, activation: 'relu' }).apply(x);

  /** Basic block; a 1x1 strided projection shortcut when the shape changes. */
  const block = (x, name, filters, strides) => {
    let y = relu(convBn(x, `${name}_a`, filters, 3, strides), `${name}_a_relu`);
    y = convBn(y, `${name}_b`, filters, 3);
    const shortcut = strides === 1 ? x : convBn(x, `${name}_proj`, filters, 1, strides);
    const sum = tf.layers.add({ name: `${name}_add` }).apply([y, shortcut]);
    return relu(sum, `${name}_out`);
  };

  const input = tf.input({ name: 'input', shape: [32, 32, 3] });
  let x = relu(convBn(input, 'stem', 16, 3), 'stem_relu');
  x = block(x, 'block1', 16, 1);
  x = block(x, 'block2', 32, 2); // 32x32x16 -> 16x16x32, projection shortcut
  x = block(x, 'block3', 32, 1);
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x);
  const logits = tf.layers.dense({ name: 'logits', units: 10 }).apply(x);
  return tf.model({ name: 'resnet_bn', inputs: input, outputs: logits });
}

/** A functional net that exercises many layer kinds ddinit has to understand. */
function mixedDag() {
  const input = tf.input({ name: 'input', shape: [32, 32, 3] });
  const stem = tf.layers
    .conv2d({ name: 'stem_conv', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(input);

  // Inception-style split: a 1x1 branch and a 3x3 branch, concatenated on channels (-> 32 ch).
  const b1 = tf.layers
    .conv2d({ name: 'inc_1x1', filters: 16, kernelSize: 1, activation: 'relu' })
    .apply(stem);
  const b3 = tf.layers
    .conv2d({ name: 'inc_3x3', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(stem);
  let x = tf.layers.concatenate({ name: 'inc_concat', axis: -1 }).apply([b1, b3]);

  // Explicit padding, then a valid depthwise conv with depth_multiplier 2 (32 -> 64 ch).
  x = tf.layers.zeroPadding2d({ name: 'pad', padding: 1 }).apply(x);
  x = tf.layers.depthwiseConv2d({ name: 'dw_x2', kernelSize: 3, depthMultiplier: 2 }).apply(x);
  x = tf.layers.leakyReLU({ name: 'dw_x2_lrelu', alpha: 0.1 }).apply(x);
  x = tf.layers.averagePooling2d({ name: 'avgpool', poolSize: 2 }).apply(x); // 16x16x64

  x = tf.layers
    .separableConv2d({ name: 'sep', filters: 48, kernelSize: 3, padding: 'same', activation: 'relu' })
    .apply(x);

  // Upsample with a transposed conv, then come back down with a strided conv.
  x = tf.layers
    .conv2dTranspose({ name: 'up', filters: 32, kernelSize: 2, strides: 2, activation: 'relu' })
    .apply(x); // 32x32x32
  x = tf.layers
    .conv2d({ name: 'post_up_conv', filters: 32, kernelSize: 3, strides: 2, padding: 'same' })
    .apply(x);
  x = tf.layers.leakyReLU({ name: 'post_up_lrelu', alpha: 0.2 }).apply(x); // 16x16x32

  // A plain (depth_multiplier 1) strided depthwise conv.
  x = tf.layers
    .depthwiseConv2d({ name: 'dw', kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })
    .apply(x); // 8x8x32

  x = tf.layers.dropout({ name: 'dropout', rate: 0.25 }).apply(x);
  x = tf.layers.globalMaxPooling2d({ name: 'gmp' }).apply(x);
  const logits = tf.layers.dense({ name: 'logits', units: 10 }).apply(x);
  return tf.model({ name: 'mixed_dag', inputs: input, outputs: logits });
}

/** VGG-11 for CIFAR, no BatchNorm: 64,M,128,M,256,256,M,512,512,M,512,512,M, then 512-512-10. */
function vgg11Cifar() {
  const plan = [[64], [128], [256, 256], [512, 512], [512, 512]];
  const layers = [];
  plan.forEach((filtersOfBlock, b) => {
    filtersOfBlock.forEach((filters, c) => {
      const first = layers.length === 0 ? { inputShape: [32, 32, 3] } : {};
      layers.push(
        tf.layers.conv2d({
          name: `block${b + 1}_conv${c + 1}`,
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          ...first,
        }),
      );
    });
    layers.push(tf.layers.maxPooling2d({ name: `block${b + 1}_pool`, poolSize: 2 }));
  });
  layers.push(
    tf.layers.flatten({ name: 'flatten' }),
    tf.layers.dense({ name: 'fc1', units: 512, activation: 'relu' }),
    tf.layers.dense({ name: 'fc2', units: 512, activation: 'relu' }),
    tf.layers.dense({ name: 'fc3', units: 10 }),
  );
  return tf.sequential({ name: 'vgg11_cifar', layers });
}

/** CaffeNet-like (AlexNet variant) for 227x227x3, no BatchNorm; LRN and conv groups are left out. */
function caffenet() {
  const conv = (name, filters, kernelSize, extra = {}) =>
    tf.layers.conv2d({ name, filters, kernelSize, padding: 'same', activation: 'relu', ...extra });
  const pool = (name) => tf.layers.maxPooling2d({ name, poolSize: 3, strides: 2 });
  return tf.sequential({
    name: 'caffenet',
    layers: [
      conv('conv1', 96, 11, { strides: 4, padding: 'valid', inputShape: [227, 227, 3] }), // 55x55
      pool('pool1'), // 27x27
      conv('conv2', 256, 5),
      pool('pool2'), // 13x13
      conv('conv3', 384, 3),
      conv('conv4', 384, 3),
      conv('conv5', 256, 3),
      pool('pool5'), // 6x6x256
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc6', units: 4096, activation: 'relu' }),
      tf.layers.dropout({ name: 'drop6', rate: 0.5 }),
      tf.layers.dense({ name: 'fc7', units: 4096, activation: 'relu' }),
      tf.layers.dropout({ name: 'drop7', rate: 0.5 }),
      tf.layers.dense({ name: 'fc8', units: 1000 }),
    ],
  });
}

const MODELS = [
  { name: 'vgg-cifar', dir: EXAMPLE_MODELS, build: vggCifar },
  { name: 'resnet-bn', dir: EXAMPLE_MODELS, build: resnetBn },
  { name: 'mixed-dag', dir: EXAMPLE_MODELS, build: mixedDag },
  { name: 'vgg11-cifar', dir: BENCH_MODELS, build: vgg11Cifar },
  { name: 'caffenet', dir: BENCH_MODELS, build: caffenet },
];

/** The model.json of a topology-only tfjs layers model. */
function topologyOnlyModelJson(model) {
  return {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version['tfjs-layers']}`,
    convertedBy: null,
    modelTopology: model.toJSON(null, false),
  };
}

function modelPath(spec) {
  return path.join(spec.dir, spec.name, 'model.json');
}

async function writeModels() {
  for (const spec of MODELS) {
    const model = spec.build();
    const file = modelPath(spec);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(topologyOnlyModelJson(model), null, 1)}\n`);
    console.log(
      `wrote ${path.relative(ROOT, file)}: ${model.layers.length} layers, ${model.countParams()} params`,
    );
    model.dispose();
  }
}

/** Loads every model.json back, checks that the topology round-trips and runs zeros through it. */
async function verifyModels() {
  for (const spec of MODELS) {
    const file = modelPath(spec);
    const json = JSON.parse(await readFile(file, 'utf8'));
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology }));
    const again = JSON.stringify(model.toJSON(null, false));
    if (again !== JSON.stringify(json.modelTopology)) {
      throw new Error(`${spec.name}: topology does not round-trip through tf.loadLayersModel`);
    }
    const inputShape = model.inputs[0].shape.map((d) => d ?? 1);
    const output = tf.tidy(() => model.predict(tf.zeros(inputShape)));
    const finite = (await output.isFinite().all().data())[0] === 1;
    if (!finite) throw new Error(`${spec.name}: forward pass gave non-finite values`);
    const classes = model.layers.map((l) => l.getClassName());
    console.log(`ok ${spec.name}: [${inputShape}] -> [${output.shape}]\n   ${classes.join(' ')}`);
    output.dispose();
    model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Images: layered procedural pictures with roughly natural statistics (1/f background texture,
// edges, oriented gratings, blurred blobs, anti-aliased shapes, sensor noise).
// ---------------------------------------------------------------------------------------------

/** mulberry32: tiny seeded PRNG, uniform in [0, 1). */
function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor((hi - lo + 1) * next()), // inclusive
    pick: (items) => items[Math.floor(items.length * next())],
    normal: () => {
      const u = 1 - next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    /** A random, fairly saturated RGB colour in [0, 1]^3. */
    color: () => {
      const h = next() * 6;
      const s = rng.uniform(0.2, 0.9);
      const v = rng.uniform(0.25, 1);
      const f = h - Math.floor(h);
      const p = v * (1 - s);
      const q = v * (1 - s * f);
      const t = v * (1 - s * (1 - f));
      return [
        [v, t, p],
        [q, v, p],
        [p, v, t],
        [p, q, v],
        [t, p, v],
        [v, p, q],
      ][Math.floor(h) % 6];
    },
  };
  return rng;
}

/** A float RGB canvas in [0, 1] (values may leave the range until encoding). */
function makeCanvas(width, height) {
  return { width, height, data: new Float32Array(width * height * 3) };
}

/** Visits every pixel; fn(x, y) returns [weight, colour] to blend, or null to leave it. */
function blend(img, fn) {
  const { width, height, data } = img;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = fn(x + 0.5, y + 0.5);
      if (!r || r[0] <= 0) continue;
      const [w, c] = r;
      const i = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) data[i + k] = (1 - w) * data[i + k] + w * c[k];
    }
  }
}

const smoothstep = (e) => (e <= -1 ? 0 : e >= 1 ? 1 : 0.5 + 0.5 * Math.sin((e * Math.PI) / 2));

/** Linear gradient between two colours in a random direction. */
function paintGradient(img, rng) {
  const a = rng.color();
  const b = rng.color();
  const th = rng.uniform(0, 2 * Math.PI);
  const [dx, dy] = [Math.cos(th), Math.sin(th)];
  const len = Math.abs(dx) * img.width + Math.abs(dy) * img.height;
  const x0 = dx < 0 ? img.width : 0;
  const y0 = dy < 0 ? img.height : 0;
  blend(img, (x, y) => {
    const t = ((x - x0) * dx + (y - y0) * dy) / len;
    return [1, [0, 1, 2].map((k) => a[k] + (b[k] - a[k]) * t)];
  });
}

/** Adds ~1/f texture: octaves of bilinear value noise, amplitude proportional to the cell size. */
function addFractalNoise(img, rng, amplitude, colored) {
  const { width, height, data } = img;
  const tint = colored ? [rng.uniform(0.5, 1), rng.uniform(0.5, 1), rng.uniform(0.5, 1)] : [1, 1, 1];
  for (let cell = 32, amp = amplitude; cell >= 2; cell /= 2, amp /= 2) {
    const gw = Math.ceil(width / cell) + 2;
    const gh = Math.ceil(height / cell) + 2;
    const grid = Float32Array.from({ length: gw * gh }, () => rng.uniform(-1, 1));
    const ox = rng.uniform(0, cell);
    const oy = rng.uniform(0, cell);
    for (let y = 0; y < height; y++) {
      const gy = (y + oy) / cell;
      const j = Math.floor(gy);
      const fy = gy - j;
      for (let x = 0; x < width; x++) {
        const gx = (x + ox) / cell;
        const i = Math.floor(gx);
        const fx = gx - i;
        const top = grid[j * gw + i] * (1 - fx) + grid[j * gw + i + 1] * fx;
        const bottom = grid[(j + 1) * gw + i] * (1 - fx) + grid[(j + 1) * gw + i + 1] * fx;
        const v = amp * (top * (1 - fy) + bottom * fy);
        const p = (y * width + x) * 3;
        for (let k = 0; k < 3; k++) data[p + k] += v * tint[k];
      }
    }
  }
}

/** A sinusoidal grating, sometimes under a Gaussian window (a Gabor patch). */
function addGrating(img, rng) {
  const c = rng.color();
  const th = rng.uniform(0, Math.PI);
  const freq = rng.uniform(0.04, 0.3); // cycles per pixel
  const phase = rng.uniform(0, 2 * Math.PI);
  const strength = rng.uniform(0.3, 0.9);
  const gabor = rng.next() < 0.5;
  const cx = rng.uniform(0, img.width);
  const cy = rng.uniform(0, img.height);
  const sigma = rng.uniform(6, 20);
  const square = rng.next() < 0.25; // some bar gratings with softened edges
  blend(img, (x, y) => {
    let s = Math.sin(2 * Math.PI * freq * (x * Math.cos(th) + y * Math.sin(th)) + phase);
    if (square) s = Math.tanh(3 * s);
    let w = strength * (0.5 + 0.5 * s);
    if (gabor) w *= Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
    return [w, c];
  });
}

/** A blurred Gaussian blob, possibly elongated and rotated. */
function addBlob(img, rng) {
  const c = rng.color();
  const cx = rng.uniform(-5, img.width + 5);
  const cy = rng.uniform(-5, img.height + 5);
  const sx = rng.uniform(3, 16);
  const sy = sx * rng.uniform(0.4, 1);
  const th = rng.uniform(0, Math.PI);
  const strength = rng.uniform(0.5, 1);
  blend(img, (x, y) => {
    const u = (x - cx) * Math.cos(th) + (y - cy) * Math.sin(th);
    const v = -(x - cx) * Math.sin(th) + (y - cy) * Math.cos(th);
    return [strength * Math.exp(-0.5 * ((u / sx) ** 2 + (v / sy) ** 2)), c];
  });
}

/** A straight edge: one side of a random line takes a new colour, with a soft or sharp boundary. */
function addEdge(img, rng) {
  const c = rng.color();
  const th = rng.uniform(0, 2 * Math.PI);
  const px = rng.uniform(0.2, 0.8) * img.width;
  const py = rng.uniform(0.2, 0.8) * img.height;
  const softness = rng.pick([0.7, 0.7, 1.5, 4]);
  const strength = rng.uniform(0.6, 1);
  blend(img, (x, y) => {
    const d = (x - px) * Math.cos(th) + (y - py) * Math.sin(th);
    return [strength * smoothstep(d / softness), c];
  });
}

/** An anti-aliased disc, ellipse, rectangle or triangle. Inside test via a signed distance. */
function addShape(img, rng) {
  const c = rng.color();
  const cx = rng.uniform(0.1, 0.9) * img.width;
  const cy = rng.uniform(0.1, 0.9) * img.height;
  const r = rng.uniform(4, 0.35 * Math.min(img.width, img.height));
  const th = rng.uniform(0, Math.PI);
  const kind = rng.pick(['disc', 'ellipse', 'rect', 'triangle']);
  const aspect = rng.uniform(0.4, 1);
  const rot = (x, y) => [
    (x - cx) * Math.cos(th) + (y - cy) * Math.sin(th),
    -(x - cx) * Math.sin(th) + (y - cy) * Math.cos(th),
  ];
  // Signed distance (approximate for the ellipse), negative inside.
  const sdf = {
    disc: (x, y) => Math.hypot(x - cx, y - cy) - r,
    ellipse: (x, y) => {
      const [u, v] = rot(x, y);
      return (Math.hypot(u, v / aspect) - r) * aspect;
    },
    rect: (x, y) => {
      const [u, v] = rot(x, y);
      return Math.max(Math.abs(u) - r, Math.abs(v) - r * aspect);
    },
    triangle: (x, y) => {
      const [u, v] = rot(x, y);
      let d = -Infinity;
      for (let k = 0; k < 3; k++) {
        const a = (2 * Math.PI * k) / 3;
        d = Math.max(d, u * Math.cos(a) + v * Math.sin(a) - r / 2);
      }
      return d;
    },
  }[kind];
  const outlineOnly = rng.next() < 0.15;
  blend(img, (x, y) => {
    const d = sdf(x, y);
    const w = outlineOnly ? 1 - smoothstep(Math.abs(d) - 1.2) : 1 - smoothstep(d / 0.7);
    return [w, c];
  });
}

/** Separable box blur of the given radius (defocus). */
function boxBlur(img, radius) {
  const { width, height, data } = img;
  const pass = (src, horizontal) => {
    const dst = new Float32Array(src.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let k = 0; k < 3; k++) {
          let sum = 0;
          for (let o = -radius; o <= radius; o++) {
            const xx = horizontal ? Math.min(width - 1, Math.max(0, x + o)) : x;
            const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + o));
            sum += src[(yy * width + xx) * 3 + k];
          }
          dst[(y * width + x) * 3 + k] = sum / (2 * radius + 1);
        }
      }
    }
    return dst;
  };
  img.data = pass(pass(data, true), false);
}

function addSensorNoise(img, rng, sigma) {
  for (let i = 0; i < img.data.length; i++) img.data[i] += sigma * rng.normal();
}

/** Picture recipes; each paints a background then a few elements. */
const RECIPES = {
  gratings: (img, rng) => {
    paintGradient(img, rng);
    addFractalNoise(img, rng, 0.08, true);
    for (let n = rng.int(1, 3); n > 0; n--) addGrating(img, rng);
  },
  blobs: (img, rng) => {
    paintGradient(img, rng);
    addFractalNoise(img, rng, 0.1, true);
    for (let n = rng.int(2, 7); n > 0; n--) addBlob(img, rng);
  },
  shapes: (img, rng) => {
    paintGradient(img, rng);
    addFractalNoise(img, rng, 0.12, true);
    for (let n = rng.int(1, 5); n > 0; n--) addShape(img, rng);
  },
  edges: (img, rng) => {
    paintGradient(img, rng);
    addFractalNoise(img, rng, 0.1, false);
    for (let n = rng.int(1, 3); n > 0; n--) addEdge(img, rng);
  },
  texture: (img, rng) => {
    paintGradient(img, rng);
    addFractalNoise(img, rng, rng.uniform(0.25, 0.45), rng.next() < 0.7);
  },
  scene: (img, rng) => {
    paintGradient(img, rng);
    addFractalNoise(img, rng, 0.12, true);
    addEdge(img, rng);
    if (rng.next() < 0.5) addGrating(img, rng);
    for (let n = rng.int(0, 3); n > 0; n--) addBlob(img, rng);
    for (let n = rng.int(1, 3); n > 0; n--) addShape(img, rng);
  },
};

const SQUARE_SIZES = [48, 56, 64];
const OTHER_SIZES = [
  [64, 48],
  [48, 64],
  [64, 56],
  [56, 48],
];

/** Draws image `index` (1-based); its look depends only on IMAGE_SEED and the index. */
function drawImage(index) {
  const rng = makeRng(IMAGE_SEED + 7919 * index);
  const side = rng.pick(SQUARE_SIZES);
  const [width, height] = rng.next() < 0.12 ? rng.pick(OTHER_SIZES) : [side, side];
  const img = makeCanvas(width, height);
  const recipe = rng.pick(Object.keys(RECIPES));
  RECIPES[recipe](img, rng);
  if (rng.next() < 0.3) boxBlur(img, rng.int(1, 2));
  addSensorNoise(img, rng, rng.uniform(0.005, 0.03));
  const greyscale = rng.next() < 0.1;
  return { img, recipe, greyscale };
}

/** Quantizes to 8-bit, as 1 channel (luma) for greyscale pictures or 3 channels otherwise. */
function toBytes(img, greyscale) {
  const n = img.width * img.height;
  const q = (v) => Math.max(0, Math.min(255, Math.round(v * 255)));
  if (!greyscale) return { channels: 3, bytes: Uint8Array.from(img.data, q) };
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = img.data.subarray(3 * i, 3 * i + 3);
    bytes[i] = q(0.299 * r + 0.587 * g + 0.114 * b);
  }
  return { channels: 1, bytes };
}

async function writeImages() {
  await mkdir(IMAGES, { recursive: true });
  for (const f of await readdir(IMAGES)) {
    if (/^img-\d+\.(jpg|png)$/.test(f)) await rm(path.join(IMAGES, f));
  }
  const counts = {};
  for (let index = 1; index <= IMAGE_COUNT; index++) {
    const { img, recipe, greyscale } = drawImage(index);
    const { channels, bytes } = toBytes(img, greyscale);
    // Every 20th picture is a PNG so that loaders see more than one format.
    const png = index % 20 === 0;
    const name = `img-${String(index).padStart(4, '0')}.${png ? 'png' : 'jpg'}`;
    let pipeline = sharp(Buffer.from(bytes), { raw: { width: img.width, height: img.height, channels } });
    // Greyscale pictures are stored as true 1-channel files (sharp would otherwise write sRGB).
    if (channels === 1) pipeline = pipeline.toColourspace('b-w');
    pipeline = png
      ? pipeline.png({ compressionLevel: 9 })
      : pipeline.jpeg({ quality: 90, chromaSubsampling: '4:2:0' });
    await writeFile(path.join(IMAGES, name), await pipeline.toBuffer());
    const key = `${recipe}${greyscale ? ' (grey)' : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  console.log(`wrote ${IMAGE_COUNT} images to ${path.relative(ROOT, IMAGES)}:`, counts);
}

async function main() {
  const skipVerify = process.argv.includes('--skip-verify');
  await writeModels();
  await writeImages();
  if (!skipVerify) await verifyModels();
}

await main();
