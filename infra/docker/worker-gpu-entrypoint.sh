#!/bin/sh
# Entry point of the worker-gpu image: refuse to start unless TensorFlow computes on a GPU, then become
# the worker. A GPU worker that silently fell back to the CPU would take jobs and run them ~50x slower,
# so a missing device, driver or CUDA library stops the container here with one clear message.
#
# DDINIT_GPU_PREFLIGHT=0 skips the check (debugging only). Arguments are passed to the worker.
set -eu

if [ "${DDINIT_GPU_PREFLIGHT:-1}" != "0" ]; then
  # shellcheck disable=SC2016 # the single-quoted text is JavaScript, not shell
  node --input-type=module -e '
const started = Date.now();
const log = (level, message, fields = {}) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
try {
  const { selectBackend } = await import("@ddinit/tf");
  // Fails with backend_unavailable when tfjs-node-gpu does not load or isUsingGpuDevice is false.
  const backend = await selectBackend("tensorflow-gpu");
  // One small convolution loads cuBLAS and cuDNN now, not in the first job, and on GPUs newer than
  // libtensorflow 2.9 (Hopper) starts the PTX JIT whose output CUDA_CACHE_PATH keeps.
  const tf = await import("@tensorflow/tfjs-core");
  // All-ones 8x8x3 input, 3x3x3x4 filters, valid padding: 6*6*4 outputs of 27 each.
  const y = tf.conv2d(tf.ones([1, 8, 8, 3]), tf.ones([3, 3, 3, 4]), 1, "valid");
  const sum = (await tf.sum(y).data())[0];
  if (sum !== 3888) throw new Error(`a test convolution on the GPU gave ${sum}, expected 3888`);
  log("info", "GPU preflight passed", { backend, ms: Date.now() - started });
  process.exit(0);
} catch (error) {
  log("error", "GPU preflight failed: TensorFlow cannot compute on a GPU in this container", {
    error: error instanceof Error ? error.message : String(error),
    hint:
      "give the container a GPU (docker: --gpus all or deploy.resources.reservations.devices; " +
      "Kubernetes: resources.limits nvidia.com/gpu with the NVIDIA device plugin), with an NVIDIA driver " +
      ">= 450.80 on the host; tfjs-node-gpu 4.22 needs the CUDA 11 and cuDNN 8 libraries of this image",
  });
  process.exit(1);
}
'
fi

exec node services/worker/dist/run.js "$@"
