import type { LayerLayout } from '../../objectives/models/network.ts';
import { WORKGROUP_SIZE } from './constants.ts';
import { MODE } from './run-layout.ts';
import { ELEMENTWISE_ENTRY, prelude, TREE_REDUCE } from './run-shaders.ts';

/**
 * The run kernels of a model evaluation (model-evaluation.ts) that read the step's params and the
 * run state; the network's own products, activations and loss heads are nn-kernels.ts ops.
 *
 *   parameters  θ ← the iterate region this evaluation reads (a step's new iterate, the current
 *               one, or x₍ᵢ₋₁₎ for a validation after a divergence), contiguous for the products
 *   gather      batch row k ← training row indices[slot · stride + k], with its label: the rows
 *               the host's batch sampler chose for this evaluation (slot = its ring slot)
 *   model sums  g ← g + λ·W on the weight entries (the l2 penalty's gradient) and the partials of
 *               f = (1/rows) Σ lossᵣ + (λ/2) Σ W², of ‖g‖² and of the non-finite θⱼ and gⱼ,
 *               which the run's finalize pass reduces (λ is config.p0)
 *   validation  one workgroup: (Σ lossᵣ / rows, Σ correctᵣ) into the evaluation's ring slot
 */

const W = WORKGROUP_SIZE;

/** parameters: group 1 = iterates (read), theta (rw). */
export function parametersShader(): string {
  return `${prelude('read')}
@group(1) @binding(0) var<storage, read> iterates: array<f32>;
@group(1) @binding(1) var<storage, read_write> theta: array<f32>;

fn sourceRegion() -> u32 {
  if (params.mode == ${MODE.validateCurrent}u) { return state.cur; }
  if (params.mode == ${MODE.validatePrevious}u) { return state.prev; }
  return evaluationRegion();
}

${ELEMENTWISE_ENTRY} {
  let n = config.n;
  let base = sourceRegion() * n;
  for (var j = gid.x; j < n; j = j + groups.x * ${W}u) { theta[j] = iterates[base + j]; }
}`;
}

/** gather: group 1 = dims (rows, features, stride), indices (read), X, y (read), batchX, batchY (rw). */
export function gatherShader(): string {
  return `${prelude('read')}
struct GatherDims { rows: u32, features: u32, stride: u32, unused: u32 }
@group(1) @binding(0) var<uniform> dims: GatherDims;
@group(1) @binding(1) var<storage, read> indices: array<u32>;
@group(1) @binding(2) var<storage, read> X: array<f32>;
@group(1) @binding(3) var<storage, read> y: array<f32>;
@group(1) @binding(4) var<storage, read_write> batchX: array<f32>;
@group(1) @binding(5) var<storage, read_write> batchY: array<f32>;

${ELEMENTWISE_ENTRY} {
  if (state.stopCode != 0u) { return; }
  let features = dims.features;
  let first = params.slot * dims.stride;
  for (var e = gid.x; e < dims.rows * features; e = e + groups.x * ${W}u) {
    let r = e / features;
    let c = e - r * features;
    let row = indices[first + r];
    batchX[e] = X[row * features + c];
    if (c == 0u) { batchY[r] = y[row]; }
  }
}`;
}

/** WGSL `isWeight(j)`: whether parameter j is a weight (not a bias), from the layer layout. */
function weightTest(layers: readonly LayerLayout[]): string {
  const ranges = layers.map(
    ({ weightOffset, biasOffset }) => `(j >= ${weightOffset}u && j < ${biasOffset}u)`,
  );
  return `fn isWeight(j: u32) -> bool { return ${ranges.join(' || ')}; }`;
}

/** model sums: group 1 = dims (rows), theta (read), gradient (rw), loss (read), partials (rw). */
export function modelSumsShader(layers: readonly LayerLayout[]): string {
  return `${prelude('read')}
struct SumDims { rows: u32, unused0: u32, unused1: u32, unused2: u32 }
@group(1) @binding(0) var<uniform> dims: SumDims;
@group(1) @binding(1) var<storage, read> theta: array<f32>;
@group(1) @binding(2) var<storage, read_write> gradient: array<f32>;
@group(1) @binding(3) var<storage, read> loss: array<f32>;
@group(1) @binding(4) var<storage, read_write> partials: array<vec4<f32>>;
var<workgroup> sums: array<vec4<f32>, ${W}>;

${weightTest(layers)}

${ELEMENTWISE_ENTRY} {
  if (state.stopCode != 0u) { return; }
  let n = config.n;
  let l2 = config.p0;
  let scale = 1.0 / f32(dims.rows);
  var acc = vec4<f32>(0.0);
  for (var j = gid.x; j < n; j = j + groups.x * ${W}u) {
    let w = theta[j];
    var gi = gradient[j];
    if (isWeight(j)) {
      gi = gi + l2 * w;
      gradient[j] = gi;
      acc.x = acc.x + 0.5 * l2 * w * w;
    }
    acc = acc + vec4<f32>(0.0, gi * gi, nonFinite(w) + nonFinite(gi), 0.0);
  }
  for (var r = gid.x; r < dims.rows; r = r + groups.x * ${W}u) { acc.x = acc.x + loss[r] * scale; }
  sums[lid] = acc;
  ${TREE_REDUCE}
  if (lid == 0u) { partials[wid.x] = sums[0]; }
}`;
}

/** validation: group 1 = dims (rows), loss (read), correct (read), ring (rw); one workgroup. */
export function validationShader(): string {
  return `${prelude('read')}
struct SumDims { rows: u32, unused0: u32, unused1: u32, unused2: u32 }
@group(1) @binding(0) var<uniform> dims: SumDims;
@group(1) @binding(1) var<storage, read> loss: array<f32>;
@group(1) @binding(2) var<storage, read> correct: array<f32>;
@group(1) @binding(3) var<storage, read_write> ring: array<vec4<f32>>;
var<workgroup> sums: array<vec4<f32>, ${W}>;

@compute @workgroup_size(${W})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = vec4<f32>(0.0);
  for (var r = lid; r < dims.rows; r = r + ${W}u) { acc = acc + vec4<f32>(loss[r], correct[r], 0.0, 0.0); }
  sums[lid] = acc;
  ${TREE_REDUCE}
  if (lid == 0u) { ring[params.slot] = vec4<f32>(sums[0].x / f32(dims.rows), sums[0].y, 0.0, 0.0); }
}`;
}
