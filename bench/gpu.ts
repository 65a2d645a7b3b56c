import { deviceProblem } from '../src/core/backends/device-problem.ts';
import { GpuRun } from '../src/core/backends/gpu-run.ts';
import { BufferUsage } from '../src/core/backends/webgpu/constants.ts';
import { type EncodableOp, NnKernels } from '../src/core/backends/webgpu/nn-kernels.ts';
import { WebGpuBackend } from '../src/core/backends/webgpu/webgpu-backend.ts';
import { Network } from '../src/core/objectives/models/network.ts';
import { Run } from '../src/core/run.ts';
import type { ModelObjectiveSpec } from '../src/core/spec.ts';
import { modelDataFor } from '../src/data/resolve.ts';
import {
  type AcquiredDevice,
  acquireGpuDevice,
  describeVulkanSetup,
  NO_ADAPTER_HINT,
} from '../src/gpu/device.ts';
import { normalizeJobSpec } from '../src/schemas/job-spec.ts';
import { DEFAULT_LIMITS } from '../src/schemas/limits.ts';
import { type BenchRow, formatNumber, median } from './stats.ts';

/**
 * The WebGPU backend, on the adapter Dawn finds (printed first):
 *
 * - Adam-step bandwidth: the fused Adam update on 10,000,000 parameters reads x, g, m, v and
 *   writes x, m, v, 28 bytes a parameter; its bytes/s ÷ the adapter's own copyBufferToBuffer
 *   bytes/s (read + written) on 40 MB, measured in the same run. Goal on a GPU >= 0.7; on a
 *   software adapter (llvmpipe) the row informs only. A second row informs on a whole iteration
 *   (update, sphere value+gradient, reductions and stop rules: 36 bytes a parameter).
 * - The crossover: GpuRun iterations/s ÷ the CPU Run's, Adam on sphere and quadratic, by
 *   dimension, each measured over a second with the run warmed up; the last row names the
 *   smallest dimension where the device wins (0: none measured). It feeds the `auto` rule.
 * - MLP training samples/s on the device ÷ the CPU core (Network.meanLoss with the gradient),
 *   same net (16-64-64-4, tanh, softmax cross-entropy) and batch (4,096 rows): one gradient
 *   evaluation a step; the parameter update is one fused optimizer pass, measured above. Goal on
 *   a GPU >= 10; on a software adapter the row informs only.
 * - The model run itself: training samples/s of GpuRun ÷ the CPU Run on one model spec (an MLP
 *   16-64-64-4, tanh, Adam, batches of 1,024 of 20,000 blob rows, validation at each epoch):
 *   everything a step costs (the staged rows, the gather, forward, backward, update, stop rules,
 *   validations and read-backs). It feeds GPU_AUTO_MIN_MODEL_WORK (work per step: 1,024 × 5,636).
 */

const PARAMETERS = 10_000_000;
const ADAM_BYTES_PER_PARAMETER = 7 * 4;
const ITERATION_BYTES_PER_PARAMETER = 9 * 4;
const COPY_BYTES = 40_000_000;
const CROSSOVER_DIMS = [1_000, 10_000, 100_000, 1_000_000, 3_000_000];
const MEASURE_MS = 1000;

function jobSpec(name: string, dim: number) {
  const normalized = normalizeJobSpec(
    {
      objective: { type: 'builtin', name, dim },
      // Adam moves each coordinate about lr a step: from x = 1, lr 1e-7 stays far from the
      // minimum (and from an exact-zero gradient) for the whole measurement.
      optimizer: { name: 'adam', lr: 1e-7 },
      stop: { maxIterations: 10_000_000, gradTol: 0, fTol: null, maxSeconds: 3600 },
      record: { every: 10_000_000, params: false },
      seed: 1,
    },
    { limits: { ...DEFAULT_LIMITS, maxDim: PARAMETERS, maxSeconds: 3600 } },
  );
  if (!normalized.ok) throw new Error(JSON.stringify(normalized.errors));
  return normalized.spec;
}

/** Wall ms of `work` (which submits and waits for its device work), median of `repeats` after one warm-up round. */
async function timeWork(repeats: number, work: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    const start = performance.now();
    await work();
    if (r > 0) times.push(performance.now() - start); // the first round warms up (pipelines, pages)
  }
  return median(times);
}

async function adamBandwidth(acquired: AcquiredDevice, backend: WebGpuBackend): Promise<BenchRow[]> {
  const device = acquired.device;
  // Both sides count bytes read plus bytes written.
  const copies = 4;
  const source = device.createBuffer({
    size: COPY_BYTES,
    usage: BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
  });
  const target = device.createBuffer({
    size: COPY_BYTES,
    usage: BufferUsage.COPY_SRC | BufferUsage.COPY_DST,
  });
  const copyMs = await timeWork(5, async () => {
    const encoder = device.createCommandEncoder();
    for (let k = 0; k < copies; k++) encoder.copyBufferToBuffer(source, 0, target, 0, COPY_BYTES);
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
  });
  source.destroy();
  target.destroy();
  const copyBytesPerSecond = (2 * COPY_BYTES * copies) / (copyMs / 1000);

  const spec = jobSpec('sphere', PARAMETERS);
  const program = backend.createRunProgram(deviceProblem(spec));
  const steps = 4;
  const step = (iteration: number) => ({
    iteration,
    lr: 1e-3,
    usePlateau: false,
    biasCorrection1: 1 / (1 - 0.9 ** iteration),
    biasCorrection2: 1 / (1 - 0.999 ** iteration),
  });
  try {
    program.load({
      x: new Float32Array(PARAMETERS).fill(1),
      optimizerState: null,
      bestX: null,
      scalars: null,
    });
    program.queueStart(step(0));
    await program.runBatch();
    // Each round is one submission of `steps` passes and one read-back of a few bytes.
    const updateMs = await timeWork(5, async () => {
      for (let k = 1; k <= steps; k++) program.queueUpdateOnly(step(k));
      await program.runBatch();
    });
    let iteration = 0;
    const iterationMs = await timeWork(5, async () => {
      for (let k = 1; k <= steps; k++) program.queueStep(step(++iteration), false);
      await program.runBatch();
    });
    const adamBytesPerSecond = (ADAM_BYTES_PER_PARAMETER * PARAMETERS * steps) / (updateMs / 1000);
    const iterationBytesPerSecond =
      (ITERATION_BYTES_PER_PARAMETER * PARAMETERS * steps) / (iterationMs / 1000);
    const goal = acquired.software ? 'none' : '>= 0.7';
    const ratio = adamBytesPerSecond / copyBytesPerSecond;
    return [
      {
        name: 'gpu: Adam step bytes/s on 10,000,000 parameters ÷ copyBufferToBuffer bytes/s',
        ratio,
        goal,
        pass: acquired.software ? null : ratio >= 0.7,
        details: {
          adamGBPerSecond: adamBytesPerSecond / 1e9,
          copyGBPerSecond: copyBytesPerSecond / 1e9,
          msPerAdamStep: updateMs / steps,
        },
      },
      {
        name: 'gpu: whole iteration (Adam + sphere value, gradient, reductions) bytes/s ÷ copy bytes/s',
        ratio: iterationBytesPerSecond / copyBytesPerSecond,
        goal: 'none',
        pass: null,
        details: { iterationGBPerSecond: iterationBytesPerSecond / 1e9, msPerIteration: iterationMs / steps },
      },
    ];
  } finally {
    program.destroy();
  }
}

/** Iterations per second over MEASURE_MS, after a warm-up slice (compilation, batch sizing, JIT). */
async function iterationsPerSecond(run: {
  advance(ms: number): Promise<boolean> | boolean;
  readonly iteration: number;
}): Promise<number> {
  await run.advance(MEASURE_MS / 3);
  const start = performance.now();
  const before = run.iteration;
  if (await run.advance(MEASURE_MS))
    throw new Error('the run stopped during the measurement: not comparable');
  return (run.iteration - before) / ((performance.now() - start) / 1000);
}

async function crossover(backend: WebGpuBackend): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const name of ['sphere', 'quadratic']) {
    let crossoverDim = 0;
    for (const dim of CROSSOVER_DIMS) {
      const spec = jobSpec(name, dim);
      const cpuRate = await iterationsPerSecond(new Run(spec));
      const gpu = await GpuRun.create(backend, spec);
      let gpuRate: number;
      try {
        gpuRate = await iterationsPerSecond(gpu);
      } finally {
        gpu.destroy();
      }
      const ratio = gpuRate / cpuRate;
      if (ratio >= 1 && crossoverDim === 0) crossoverDim = dim;
      rows.push({
        name: `gpu: Adam on ${name}, dim ${formatNumber(dim)}: GpuRun iterations/s ÷ CPU Run`,
        ratio,
        goal: 'none',
        pass: null,
        details: { gpuIterationsPerSecond: gpuRate, cpuIterationsPerSecond: cpuRate },
      });
    }
    rows.push({
      name: `gpu: crossover dimension, Adam on ${name} (smallest measured dim where the device is faster; 0: none)`,
      ratio: crossoverDim,
      goal: 'none',
      pass: null,
      details: { largestMeasuredDim: CROSSOVER_DIMS.at(-1) ?? 0 },
    });
  }
  return rows;
}

/**
 * MLP training samples/s on the device: forward and backward of a tanh MLP (inputs → hidden →
 * … → classes) with softmax cross-entropy on one batch, the mean loss and every gradient, the
 * ops of one step encoded into one submission.
 */
async function gpuMlpSamplesPerSecond(
  nn: NnKernels,
  device: GPUDevice,
  layers: number[],
  batch: number,
): Promise<number> {
  const classes = layers.at(-1) ?? 2;
  const x = nn.array(
    batch * layers[0],
    Float32Array.from({ length: batch * layers[0] }, (_, j) => Math.sin(j)),
  );
  const labels = nn.array(
    batch,
    Float32Array.from({ length: batch }, (_, r) => r % classes),
  );
  const ops: EncodableOp[] = [];
  const activations = [x];
  const preActivations = [];
  const weights = [];
  for (let l = 1; l < layers.length; l++) {
    const [fanIn, fanOut] = [layers[l - 1], layers[l]];
    const w = nn.array(
      fanOut * fanIn,
      Float32Array.from({ length: fanOut * fanIn }, (_, j) => Math.cos(j) / fanIn),
    );
    const b = nn.array(fanOut);
    const z = nn.array(batch * fanOut);
    ops.push(
      nn.matmul({ a: activations[l - 1], b: w, c: z, m: batch, n: fanOut, k: fanIn, transposeB: true }),
    );
    ops.push(nn.addBias(z, b));
    const last = l === layers.length - 1;
    const a = last ? z : nn.array(batch * fanOut);
    if (!last) ops.push(nn.activation('tanh', z, a));
    weights.push(w);
    preActivations.push(z);
    activations.push(a);
  }
  const loss = nn.array(batch);
  let gradient = nn.array(batch * classes);
  ops.push(
    nn.softmaxCrossEntropy({ logits: activations.at(-1)!, labels, rows: batch, classes, loss, gradient }),
  );
  ops.push(nn.sum(loss, nn.array(1)));
  for (let l = layers.length - 1; l >= 1; l--) {
    const [fanIn, fanOut] = [layers[l - 1], layers[l]];
    ops.push(
      nn.matmul({
        a: gradient,
        b: activations[l - 1],
        c: nn.array(fanOut * fanIn),
        m: fanOut,
        n: fanIn,
        k: batch,
        transposeA: true,
      }),
    );
    ops.push(nn.columnSums(gradient, fanOut, nn.array(fanOut)));
    if (l > 1) {
      const upstream = nn.array(batch * fanIn);
      ops.push(nn.matmul({ a: gradient, b: weights[l - 1], c: upstream, m: batch, n: fanIn, k: fanOut }));
      ops.push(nn.activationBackward('tanh', activations[l - 1], upstream));
      gradient = upstream;
    }
  }
  const steps = 10;
  const ms = await timeWork(3, async () => {
    for (let s = 0; s < steps; s++) nn.run(ops);
    await device.queue.onSubmittedWorkDone();
  });
  return (batch * steps) / (ms / 1000);
}

/** The CPU core's samples/s on the same net and batch: Network.meanLoss with the gradient. */
function cpuMlpSamplesPerSecond(layers: number[], batch: number): number {
  const network = new Network(layers, 'tanh', 'softmax_cross_entropy');
  const classes = layers.at(-1) ?? 2;
  const x = Float64Array.from({ length: batch * layers[0] }, (_, j) => Math.sin(j));
  const y = Float64Array.from({ length: batch }, (_, r) => r % classes);
  const parameters = Float64Array.from({ length: network.dim }, (_, j) => Math.cos(j) / 16);
  const gradient = new Float64Array(network.dim);
  const steps = 10;
  const times: number[] = [];
  for (let r = 0; r <= 3; r++) {
    const start = performance.now();
    for (let s = 0; s < steps; s++) network.meanLoss(x, y, batch, parameters, gradient, false);
    if (r > 0) times.push(performance.now() - start);
  }
  return (batch * steps) / (median(times) / 1000);
}

async function mlpRow(acquired: AcquiredDevice, backend: WebGpuBackend): Promise<BenchRow> {
  const layers = [16, 64, 64, 4];
  const batch = 4096;
  const gpu = await gpuMlpSamplesPerSecond(new NnKernels(backend.context), acquired.device, layers, batch);
  const cpu = cpuMlpSamplesPerSecond(layers, batch);
  const ratio = gpu / cpu;
  return {
    name: `gpu: MLP ${layers.join('-')} (tanh) training samples/s, batch ${batch}, ÷ CPU core`,
    ratio,
    goal: acquired.software ? 'none' : '>= 10',
    pass: acquired.software ? null : ratio >= 10,
    details: { gpuSamplesPerSecond: gpu, cpuSamplesPerSecond: cpu },
  };
}

/** GpuRun ÷ Run training samples/s on one model spec (see the file comment). */
async function modelRunRow(backend: WebGpuBackend): Promise<BenchRow> {
  const batch = 1024;
  const normalized = normalizeJobSpec({
    objective: {
      type: 'model',
      model: 'mlp',
      data: { builtin: 'blobs', samples: 25_000, classes: 4, features: 16 },
      hidden: [64, 64],
      batchSize: batch,
    },
    optimizer: { name: 'adam', lr: 1e-3 },
    stop: { maxIterations: 10_000_000, gradTol: 0, fTol: null, maxSeconds: 3600 },
    seed: 1,
  });
  if (!normalized.ok) throw new Error(JSON.stringify(normalized.errors));
  const spec = normalized.spec;
  const dataset = modelDataFor(spec.objective as ModelObjectiveSpec, spec.seed);
  const cpuRate = await iterationsPerSecond(new Run(spec, { dataset }));
  const gpu = await GpuRun.create(backend, spec, { dataset });
  let gpuRate: number;
  try {
    gpuRate = await iterationsPerSecond(gpu);
  } finally {
    gpu.destroy();
  }
  return {
    name: `gpu: model run, MLP 16-64-64-4 (tanh, Adam) on 20,000 rows, batch ${batch}: GpuRun training samples/s ÷ CPU Run`,
    ratio: gpuRate / cpuRate,
    goal: 'none',
    pass: null,
    details: { gpuSamplesPerSecond: gpuRate * batch, cpuSamplesPerSecond: cpuRate * batch },
  };
}

export async function benchGpu(): Promise<BenchRow[]> {
  const acquired = await acquireGpuDevice();
  if (acquired === null) throw new Error(`${NO_ADAPTER_HINT} Found: ${describeVulkanSetup()}.`);
  process.stdout.write(
    `   adapter: ${acquired.adapter}${acquired.software ? ' (software rasterizer)' : ''}\n`,
  );
  const backend = new WebGpuBackend(acquired.device, acquired.adapter, { software: acquired.software });
  try {
    const rows = await adamBandwidth(acquired, backend);
    rows.push(await mlpRow(acquired, backend));
    rows.push(await modelRunRow(backend));
    rows.push(...(await crossover(backend)));
    return rows;
  } finally {
    acquired.device.destroy();
  }
}
