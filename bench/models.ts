import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { generateDataset } from '../src/core/data/generators.ts';
import type { DataObjective } from '../src/core/objectives/models/data-objective.ts';
import { createDenseKernels } from '../src/core/objectives/models/dense.ts';
import { createModelObjective } from '../src/core/objectives/models/index.ts';
import type { Activation } from '../src/core/objectives/models/spec.ts';
import { createAdam } from '../src/core/optimizers/adam.ts';
import type { Optimizer, PlainState } from '../src/core/types.ts';
import { type BenchRow, median } from './stats.ts';

/**
 * MLP training throughput, in training samples per second, against PyTorch on one CPU thread in
 * the same run (issue #12).
 *
 * The problem, the same on both sides: `blobs` with 50,000 rows, 20 features, 10 classes (noise
 * 5, seed 1), standardised, no validation split; an MLP 20 → 64 → 64 → 10 (relu, and tanh in a
 * second row) with softmax cross-entropy, l2 0; Adam (lr 1e-3, β 0.9/0.999, ε 1e-8), batch 64,
 * one epoch = 782 steps over a fresh shuffle. PyTorch gets our data and our Glorot start
 * (parameters_to_vector order = our layout), and the bench checks that both compute the same loss
 * at the start (the row's `startLossDifference`, ~1e-16: same net, same data, same layout).
 *
 * - Ours: one epoch of what the run loop does per iteration — nextBatch (copies the 64 rows),
 *   valueAndGradient (forward and backward, float64: the products, relu and tanh in WebAssembly
 *   SIMD, src/core/objectives/models/dense.ts), Adam's step. The row's `simd` detail is 1 when the
 *   kernels ran in WebAssembly, 0 when on their JavaScript twins (the same numbers, slower).
 * - PyTorch (`torch.set_num_threads(1)`): the usual loop, X[idx], zero_grad, cross_entropy,
 *   backward, Adam.step. float64 for the goal rows: ours is float64, so that is the same arithmetic
 *   at the same precision (results agree to rounding); float32, what PyTorch users run by default,
 *   in informational rows — it halves memory traffic and doubles SIMD width, a different
 *   computation.
 *
 * Rounds alternate ours and PyTorch's epochs (the machine's load hits both alike); each figure is
 * the median of ROUNDS. ratio = our samples/s ÷ PyTorch float64 samples/s, goal >= 1. Details add
 * our forward-only and backward-only rates (an epoch of `value` calls, and of `valueAndGradient`
 * minus that) and PyTorch's, to show which pass dominates.
 *
 * PyTorch comes from Debian's `python3-torch` (`apt-get install python3-torch`), found as the
 * first of $TORCH_PYTHON, python3, /usr/bin/python3 that imports torch and numpy; without one the
 * rows report our figures only.
 */

const ROWS = 50_000;
const FEATURES = 20;
const CLASSES = 10;
const HIDDEN = [64, 64];
const BATCH = 64;
const LR = 1e-3;
const ROUNDS = 5;
const ACTIVATIONS: Activation[] = ['relu', 'tanh'];

/** The PyTorch side: reads the data once, then answers one epoch per command line on stdin. */
const TORCH_SCRIPT = `
import json, sys, time
import numpy as np
import torch
import torch.nn.functional as F
torch.set_num_threads(1)
config = json.loads(sys.argv[1])
folder, rows, features, classes = config['folder'], config['rows'], config['features'], config['classes']
hidden, batch, lr = config['hidden'], config['batch'], config['lr']
X64 = torch.from_numpy(np.fromfile(folder + '/X.f64', dtype='<f8').reshape(rows, features))
y = torch.from_numpy(np.fromfile(folder + '/y.f64', dtype='<f8').astype(np.int64))
data = {torch.float64: X64, torch.float32: X64.float()}
nets = {}
for activation in ('relu', 'tanh'):
    start = torch.from_numpy(np.fromfile(folder + '/start-' + activation + '.f64', dtype='<f8'))
    sizes = [features, *hidden, classes]
    for dtype in (torch.float64, torch.float32):
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU() if activation == 'relu' else torch.nn.Tanh())
        net = torch.nn.Sequential(*layers).to(dtype)
        torch.nn.utils.vector_to_parameters(start.to(dtype), net.parameters())
        nets[(activation, dtype)] = (net, torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8))
with torch.no_grad():
    start_loss = {a: F.cross_entropy(nets[(a, torch.float64)][0](X64), y).item() for a in ('relu', 'tanh')}
print(json.dumps(start_loss), flush=True)
for line in sys.stdin:
    activation, precision, mode = line.split()
    dtype = torch.float64 if precision == 'float64' else torch.float32
    net, optimizer = nets[(activation, dtype)]
    X = data[dtype]
    order = torch.randperm(rows)
    began = time.perf_counter()
    for start in range(0, rows, batch):
        index = order[start:start + batch]
        xb, yb = X[index], y[index]
        if mode == 'forward':
            with torch.no_grad():
                F.cross_entropy(net(xb), yb)
            continue
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(xb), yb)
        loss.backward()
        if mode == 'train':
            optimizer.step()
    print(json.dumps({'seconds': time.perf_counter() - began}), flush=True)
`;

/** A python with torch and numpy, or null. */
function findTorchPython(): string | null {
  const candidates = [process.env.TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (candidate): candidate is string => Boolean(candidate),
  );
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/** The PyTorch process, one line per request. */
class TorchWorker {
  private readonly lines: AsyncIterator<string>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(
    python: string,
    folder: string,
  ): Promise<{ worker: TorchWorker; startLoss: Record<string, number> }> {
    const config = {
      folder,
      rows: ROWS,
      features: FEATURES,
      classes: CLASSES,
      hidden: HIDDEN,
      batch: BATCH,
      lr: LR,
    };
    const child = spawn(python, ['-c', TORCH_SCRIPT, JSON.stringify(config)]);
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    const worker = new TorchWorker(child);
    return { worker, startLoss: JSON.parse(await worker.next()) };
  }

  /** Seconds for one epoch of `mode` ('train', 'backward' = forward and backward, 'forward'). */
  async epoch(activation: Activation, precision: 'float64' | 'float32', mode: string): Promise<number> {
    this.child.stdin.write(`${activation} ${precision} ${mode}\n`);
    return (JSON.parse(await this.next()) as { seconds: number }).seconds;
  }

  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }

  private async next(): Promise<string> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error('the PyTorch process ended early (see its stderr above)');
    return value;
  }
}

/** Our side of one activation: the objective, Adam, and the iterate, kept across rounds. */
class OursTrainer {
  private x: Float64Array;
  private next: Float64Array;
  private readonly g: Float64Array;
  private readonly adam: Optimizer;
  private readonly state: PlainState;
  private t = 0;

  constructor(readonly objective: DataObjective) {
    this.x = objective.defaultStart();
    this.next = new Float64Array(objective.dim);
    this.g = new Float64Array(objective.dim);
    this.adam = createAdam({ beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false });
    this.state = this.adam.init(objective.dim);
  }

  /** Seconds for one epoch: 'train' = nextBatch, valueAndGradient, Adam; 'backward' without Adam; 'forward' = value only. */
  epoch(mode: 'train' | 'backward' | 'forward'): number {
    const { objective, g } = this;
    const steps = Math.ceil(ROWS / BATCH);
    const began = performance.now();
    for (let s = 0; s < steps; s++) {
      objective.nextBatch();
      if (mode === 'forward') {
        objective.value(this.x);
        continue;
      }
      const f = objective.valueAndGradient(this.x, g);
      if (mode === 'train') {
        this.adam.step(this.x, this.next, g, LR, this.state, ++this.t, { objective, f });
        [this.x, this.next] = [this.next, this.x];
      }
    }
    return (performance.now() - began) / 1000;
  }
}

function rate(seconds: number[]): number {
  return ROWS / median(seconds);
}

export async function benchModels(): Promise<BenchRow[]> {
  const data = generateDataset('blobs', { samples: ROWS, features: FEATURES, classes: CLASSES, noise: 5 }, 1);
  const ours = Object.fromEntries(
    ACTIVATIONS.map((activation) => {
      const spec = {
        model: 'mlp',
        hidden: HIDDEN,
        activation,
        task: 'classification',
        l2: 0,
        batchSize: BATCH,
        validationFraction: 0,
        standardize: true,
      } as const;
      return [activation, new OursTrainer(createModelObjective({ ...spec, hidden: [...HIDDEN] }, data, 1))];
    }),
  ) as Record<Activation, OursTrainer>;

  const python = findTorchPython();
  const folder = mkdtempSync(path.join(tmpdir(), 'descent-bench-models-'));
  let torch: TorchWorker | null = null;
  let startLoss: Record<string, number> = {};
  try {
    if (python !== null) {
      const training = ours.relu.objective.data.training;
      writeFileSync(path.join(folder, 'X.f64'), new Uint8Array(training.X.buffer));
      writeFileSync(path.join(folder, 'y.f64'), new Uint8Array(training.y.buffer));
      for (const activation of ACTIVATIONS) {
        const start = ours[activation].objective.defaultStart();
        writeFileSync(path.join(folder, `start-${activation}.f64`), new Uint8Array(start.buffer));
      }
      ({ worker: torch, startLoss } = await TorchWorker.start(python, folder));
    } else {
      process.stdout.write('   PyTorch not found (python3 with torch and numpy): our figures only\n');
    }

    const rows: BenchRow[] = [];
    for (const activation of ACTIVATIONS) {
      const trainer = ours[activation];
      const times: Record<string, number[]> = {};
      const add = (key: string, seconds: number) => {
        times[key] ??= [];
        times[key].push(seconds);
      };
      // one discarded round: both sides measured warm
      trainer.epoch('train');
      if (torch) await torch.epoch(activation, 'float64', 'train');
      for (let round = 0; round < ROUNDS; round++) {
        add('ours', trainer.epoch('train'));
        add('oursForward', trainer.epoch('forward'));
        add('oursBackward', trainer.epoch('backward'));
        if (torch) {
          add('torch64', await torch.epoch(activation, 'float64', 'train'));
          add('torch32', await torch.epoch(activation, 'float32', 'train'));
          add('torchForward', await torch.epoch(activation, 'float64', 'forward'));
          add('torchBackward', await torch.epoch(activation, 'float64', 'backward'));
        }
      }
      const oursRate = rate(times.ours);
      const oursForward = rate(times.oursForward);
      // backward alone: an epoch of forward+backward minus an epoch of forward
      const oursBackward = ROWS / (median(times.oursBackward) - median(times.oursForward));
      const x0 = trainer.objective.defaultStart();
      const ourStartLoss = trainer.objective.training(x0).loss;
      const name = `models: MLP 20-64-64-10 ${activation}, batch 64, Adam, 50,000 rows`;
      if (!torch) {
        rows.push({
          name: `${name} (no PyTorch)`,
          ratio: Number.NaN,
          goal: 'none',
          pass: null,
          details: {
            samplesPerSecond: oursRate,
            forwardSamplesPerSecond: oursForward,
            backwardSamplesPerSecond: oursBackward,
          },
        });
        continue;
      }
      const torch64 = rate(times.torch64);
      const torchForward = rate(times.torchForward);
      const torchBackward = ROWS / (median(times.torchBackward) - median(times.torchForward));
      const startLossDifference = Math.abs(ourStartLoss - startLoss[activation]);
      rows.push({
        name: `${name} (vs PyTorch float64, 1 thread)`,
        ratio: oursRate / torch64,
        goal: '>= 1',
        pass: oursRate / torch64 >= 1,
        details: {
          samplesPerSecond: oursRate,
          torchSamplesPerSecond: torch64,
          forwardSamplesPerSecond: oursForward,
          backwardSamplesPerSecond: oursBackward,
          torchForwardSamplesPerSecond: torchForward,
          torchBackwardSamplesPerSecond: torchBackward,
          startLossDifference,
          simd: createDenseKernels(1).simd ? 1 : 0,
        },
      });
      rows.push({
        name: `${name} (vs PyTorch float32, 1 thread)`,
        ratio: oursRate / rate(times.torch32),
        goal: 'none',
        pass: null,
        details: { samplesPerSecond: oursRate, torchSamplesPerSecond: rate(times.torch32) },
      });
      if (!(startLossDifference < 1e-9)) {
        throw new Error(`PyTorch's start loss differs from ours by ${startLossDifference}: not the same net`);
      }
    }
    return rows;
  } finally {
    torch?.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}
