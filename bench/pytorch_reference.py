#!/usr/bin/python3
"""PyTorch peer of bench/init.bench.js: the paper's procedure on the same two architectures.

Krähenbühl et al., "Data-dependent Initializations of Convolutional Neural Networks" (ICLR 2016):
  Gaussian filters, then Algorithm 1 (within-layer: per affine layer in order, W /= sigma,
  b = beta - mu/sigma per output channel on the sample), then Algorithm 2 (between-layer: 10 damped
  iterations of r_k = (C_k / C_mean)^(alpha/2), W_k *= r_k, b_k *= r_k, W_{k+1} /= r_k).

Times one forward and one forward+backward pass of a batch, and the whole procedure (median of
BENCH_RUNS runs, a fresh model each run). Random N(0, 1) images of the model's input shape.
Prints a Markdown table and writes bench/pytorch_results.json.

    apt-get install -y python3-torch libopenblas0-pthread     # Debian bookworm
    /usr/bin/python3 bench/pytorch_reference.py               # the Debian python that has torch

Environment: BENCH_RUNS (default 3), BENCH_PASS_REPS (default 5), BENCH_MODELS (vgg11,caffenet),
BENCH_THREADS (default 2), BENCH_PY_OUT (default bench/pytorch_results.json).
"""

import datetime
import json
import math
import os
import platform
import re
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
    from torch import nn
except ImportError:
    # A pyenv/venv python3 may shadow the Debian one that python3-torch installs into.
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    raise

HERE = os.path.dirname(os.path.abspath(__file__))
ALPHA = 0.25
BETA = 0.0
ITERATIONS = 10
EPS = 1e-8


def env_int(name, default, minimum=1):
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    value = int(raw)
    if value < minimum:
        raise SystemExit(f"{name} must be >= {minimum}")
    return value


RUNS = env_int("BENCH_RUNS", 3)
PASS_REPS = env_int("BENCH_PASS_REPS", 5)
THREADS = env_int("BENCH_THREADS", 2)


# --- The architectures (same as bench/models/*/model.json; NCHW instead of NHWC) -------------------

def vgg11_cifar():
    layers, channels = [], 3
    for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, v, 3, padding=1), nn.ReLU()]
            channels = v
    layers += [nn.Flatten(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)]
    return nn.Sequential(*layers)


def caffenet():
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 1000),
    )


MODELS = [
    {"id": "vgg11", "name": "VGG-11 (CIFAR, 32×32×3)", "build": vgg11_cifar, "input": (3, 32, 32),
     "sample": 256, "batch": 64},
    {"id": "caffenet", "name": "CaffeNet-like (227×227×3)", "build": caffenet, "input": (3, 227, 227),
     "sample": 64, "batch": 16},
]


def affine_layers(model):
    return [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]


# --- The procedure --------------------------------------------------------------------------------

def gaussian_filters(model, generator):
    """Step 1: W ~ N(0, 1), b = 0 (the scale is irrelevant: within-layer normalizes it)."""
    with torch.no_grad():
        for layer in affine_layers(model):
            layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator))
            layer.bias.zero_()


def within_layer(model, batches):
    """Algorithm 1. The sample's activations are carried layer to layer, so the whole phase costs one
    forward pass of the sample. Per batch, mean and variance come from torch.var_mean (float32, about the
    batch's own mean); batches are merged in float64 (Chan et al.), so no E[z²] − E[z]² cancellation."""
    with torch.no_grad():
        acts = list(batches)
        for layer in model:
            if not isinstance(layer, (nn.Conv2d, nn.Linear)):
                acts = [layer(x) for x in acts]
                continue
            conv = isinstance(layer, nn.Conv2d)
            dims = (0, 2, 3) if conv else (0,)
            channels = layer.out_channels if conv else layer.out_features
            mean, m2, count = torch.zeros(channels, dtype=torch.float64), torch.zeros(channels, dtype=torch.float64), 0
            zs = []
            for x in acts:
                z = F.conv2d(x, layer.weight, None, layer.stride, layer.padding) if conv else F.linear(x, layer.weight)
                var_b, mean_b = torch.var_mean(z, dims, unbiased=False)
                n = z.numel() // channels
                delta = mean_b.double() - mean
                total = count + n
                mean += delta * n / total
                m2 += var_b.double() * n + delta * delta * count * n / total
                count = total
                zs.append(z)
            sigma = (m2 / count).sqrt().clamp_min(EPS)
            layer.weight.div_(sigma.float().view(-1, *([1] * (layer.weight.dim() - 1))))
            layer.bias.copy_((BETA - mean / sigma).float())
            shape = (1, -1, 1, 1) if conv else (1, -1)
            scale, shift = (1 / sigma).float().view(shape), layer.bias.view(shape)
            acts = [z.mul_(scale).add_(shift) for z in zs]  # = the layer's output with the new weights


def change_rates(model, batch, generator):
    """C_k = ||dl/dW_k|| / ||W_k|| under l = mean over the batch of sum(g * y), g ~ N(0, 1)."""
    layers = affine_layers(model)
    kernels = [layer.weight for layer in layers]
    y = model(batch)
    g = torch.randn(y.shape, generator=generator)
    loss = (g * y).sum() / batch.shape[0]
    grads = torch.autograd.grad(loss, kernels)
    with torch.no_grad():
        return torch.tensor([gr.norm().item() / w.norm().item() for gr, w in zip(grads, kernels)],
                            dtype=torch.float64)


def between_layer(model, batches, generator, iterations=ITERATIONS):
    """Algorithm 2, the paper's damped iteration; one batch (cycling through the sample) per round."""
    layers = affine_layers(model)
    spreads = []
    for it in range(iterations):
        rates = change_rates(model, batches[it % len(batches)], generator)
        spreads.append((rates.max() / rates.min()).item())
        mean = rates.log().mean().exp()
        r = (rates / mean) ** (ALPHA / 2)
        with torch.no_grad():
            for k, layer in enumerate(layers):
                layer.weight.mul_(r[k].item())
                layer.bias.mul_(r[k].item())
                if k + 1 < len(layers):
                    layers[k + 1].weight.div_(r[k].item())
    return spreads


# --- Timing ---------------------------------------------------------------------------------------

def time_passes(model, batch, generator):
    params = [p for p in model.parameters() if p.requires_grad]

    def forward():
        with torch.no_grad():
            model(batch)

    def forward_backward():
        y = model(batch)
        g = torch.randn(y.shape, generator=generator)
        torch.autograd.grad((g * y).sum() / batch.shape[0], params)

    out = {}
    for name, step in [("forward", forward), ("forwardBackward", forward_backward)]:
        times = []
        for i in range(PASS_REPS + 1):
            start = time.perf_counter()
            step()
            if i > 0:
                times.append((time.perf_counter() - start) * 1000)
        out[name] = {"medianMs": statistics.median(times), "minMs": min(times), "runsMs": times}
    return out


def run_procedure(spec, sample, seed):
    generator = torch.Generator().manual_seed(seed)
    model = spec["build"]().eval()
    batches = list(sample.split(spec["batch"]))
    t0 = time.perf_counter()
    gaussian_filters(model, generator)
    t1 = time.perf_counter()
    within_layer(model, batches)
    t2 = time.perf_counter()
    spreads = between_layer(model, batches, generator)
    t3 = time.perf_counter()
    # Untimed check: the spread of the change rates after the last update.
    final = change_rates(model, batches[0], generator)
    check = check_within(model, batches[:1]) if spec["id"] == "vgg11" else None
    return {
        "phasesMs": {"random": (t1 - t0) * 1000, "within": (t2 - t1) * 1000, "between": (t3 - t2) * 1000},
        "totalMs": (t3 - t0) * 1000,
        "spreadFirst": spreads[0],
        "spreadLast": spreads[-1],
        "spreadAfter": (final.max() / final.min()).item(),
        "firstLayerStd": check,
    }


def check_within(model, batches):
    """Std of the first layer's pre-activations (after between-layer it is r_1, the same on every channel)."""
    with torch.no_grad():
        z = model[0](batches[0])
        stds = z.transpose(0, 1).reshape(z.shape[1], -1).std(1)
        return {"min": stds.min().item(), "max": stds.max().item()}


def blas_info():
    config = torch.__config__.show()
    match = re.search(r"BLAS_INFO=([^,\s]+)", config)
    build = match.group(1) if match else "unknown"
    loaded = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if any(key in os.path.basename(path) for key in ("blas", "lapack", "dnnl", "mkl", "gomp")):
                    loaded.add(os.path.realpath(path))
    except OSError:
        pass
    # Which kernels the hot ops dispatch to: run one tiny conv + linear under the profiler.
    x = torch.randn(2, 3, 8, 8)
    with torch.autograd.profiler.profile() as prof:
        F.linear(F.conv2d(x, torch.randn(4, 3, 3, 3)).flatten(1), torch.randn(5, 144))
    ops = sorted({e.name for e in prof.function_events if "conv" in e.name or "mm" in e.name})
    return {
        "buildBlasInfo": build,
        "loadedLibraries": sorted(loaded),
        "mkldnnAvailable": torch.backends.mkldnn.is_available(),
        "mkldnnEnabled": torch.backends.mkldnn.enabled,
        "dispatchedOps": ops,
    }


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    torch.set_num_threads(THREADS)
    wanted = [s for s in os.environ.get("BENCH_MODELS", "").split(",") if s.strip()]
    specs = [m for m in MODELS if not wanted or m["id"] in wanted]
    if wanted and len(specs) != len(wanted):
        raise SystemExit(f"BENCH_MODELS: known ids are {', '.join(m['id'] for m in MODELS)}")
    blas = blas_info()
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
        "torch": {"version": torch.__version__, "threads": torch.get_num_threads(), **blas},
        "settings": {"runs": RUNS, "passReps": PASS_REPS, "alpha": ALPHA, "iterations": ITERATIONS},
        "loadAvg": {"start": os.getloadavg()},
        "models": [],
    }
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; BLAS build: {blas['buildBlasInfo']}; "
          f"oneDNN (mkldnn) {'on' if blas['mkldnnEnabled'] and blas['mkldnnAvailable'] else 'off'}")
    print(f"  loaded: {', '.join(os.path.basename(p) for p in blas['loadedLibraries'])}")
    print(f"  conv/matmul ops: {', '.join(blas['dispatchedOps'])}")
    print(f"Machine: {results['machine']['cpu']}, {results['machine']['cores']} cores; load avg {os.getloadavg()[0]:.2f}")
    print()

    for spec in specs:
        torch.manual_seed(0)
        sample = torch.randn(spec["sample"], *spec["input"])
        model = spec["build"]().eval()
        passes = time_passes(model, sample[: spec["batch"]], torch.Generator().manual_seed(1))
        del model
        print(f"[{spec['id']}] fwd {passes['forward']['medianMs']:.0f} ms, "
              f"fwd+bwd {passes['forwardBackward']['medianMs']:.0f} ms", file=sys.stderr)
        runs = []
        for i in range(RUNS):
            r = run_procedure(spec, sample, seed=i)
            print(f"[{spec['id']}] procedure {i + 1}/{RUNS}: {r['totalMs']:.0f} ms "
                  f"(within {r['phasesMs']['within']:.0f}, between {r['phasesMs']['between']:.0f}); "
                  f"change-rate spread {r['spreadFirst']:.1f}× → {r['spreadAfter']:.1f}×", file=sys.stderr)
            runs.append(r)
        fb = passes["forwardBackward"]["medianMs"]
        total = statistics.median(r["totalMs"] for r in runs)
        results["models"].append({
            "id": spec["id"], "name": spec["name"],
            "options": {"sample": spec["sample"], "batch": spec["batch"], "iterations": ITERATIONS, "alpha": ALPHA},
            "passes": {"batch": spec["batch"], **passes},
            "procedure": {
                "phasesMs": {p: statistics.median(r["phasesMs"][p] for r in runs) for p in runs[0]["phasesMs"]},
                "totalMs": total,
                "ratio": total / fb,
                "passCount": {"forward": math.ceil(spec["sample"] / spec["batch"]) + ITERATIONS,
                              "backward": ITERATIONS},
            },
            "runs": runs,
        })
    results["loadAvg"]["end"] = os.getloadavg()

    print()
    print("| model | fwd (ms) | fwd+bwd (ms) | random (ms) | within (ms) | between ×10 (ms) | whole procedure (s) "
          "| ÷ fwd+bwd | C spread: 1st round → after |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in results["models"]:
        p, ph = m["procedure"], m["procedure"]["phasesMs"]
        first = statistics.median(r["spreadFirst"] for r in m["runs"])
        after = statistics.median(r["spreadAfter"] for r in m["runs"])
        print(f"| {m['name']} | {m['passes']['forward']['medianMs']:.0f} | "
              f"{m['passes']['forwardBackward']['medianMs']:.0f} | {ph['random']:.0f} | {ph['within']:.0f} | "
              f"{ph['between']:.0f} | {p['totalMs'] / 1000:.2f} | {p['ratio']:.1f}× | {first:.1f}× → {after:.1f}× |")
    out = os.path.join(HERE, "..", os.environ.get("BENCH_PY_OUT", "bench/pytorch_results.json")) \
        if not os.path.isabs(os.environ.get("BENCH_PY_OUT", "")) else os.environ["BENCH_PY_OUT"]
    with open(out, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print(f"\nWrote {os.path.relpath(out)}")


if __name__ == "__main__":
    main()
