import { DEVICE_STOP } from '../compute-backend.ts';
import { WORKGROUP_SIZE } from './constants.ts';
import type { ObjectiveKernel } from './objective-kernels.ts';
import type { UpdateRule } from './optimizer-updates.ts';
import { CONFIG, MODE, PARAMS, STATE } from './run-layout.ts';

/**
 * The WGSL of one run iteration, composed from an {@link UpdateRule} and an {@link ObjectiveKernel}:
 *
 *   update    xᵢ ← rule(x₍ᵢ₋₁₎, clip(gᵢ₋₁)) into the free region        (elementwise)
 *   objective gᵢ = ∇f(xᵢ), workgroup partial sums of f's terms, gᵢ², non-finite entries
 *   finalize  one workgroup: the partials → f, ‖g‖; then the run's rules (below); one ring slot
 *   record    copies xᵢ out for the trajectory                            (when recorded)
 *
 * Group 0 of every kernel: the step's params (a dynamic offset per evaluation), the run's
 * config, and the state (read-only in the elementwise kernels, so branching on it is uniform).
 * Group 1: the kernel's arrays. Every kernel returns at once when the state holds a stop code,
 * so steps queued past a stop change nothing (the host reads the stop iteration back).
 *
 * The finalize pass applies API.md's rules in run.ts's order: non-finite f, ‖g‖, x or g, or
 * f > 1e12·max(1, |f₀|) → diverged; the plateau schedule observes f; best tracking; ‖g‖ <= gradTol;
 * f <= targetValue; |fᵢ − fᵢ₋₁| <= fTol·max(1, |fᵢ|) (i >= 1). maxIterations, the time budget and
 * cancellation are the host's (it never queues past maxIterations).
 */

const W = WORKGROUP_SIZE;

export function prelude(stateAccess: 'read' | 'read_write'): string {
  return `${CONFIG.wgsl()}
${STATE.wgsl()}
${PARAMS.wgsl()}
@group(0) @binding(0) var<uniform> params: StepParams;
@group(0) @binding(1) var<uniform> config: Config;
@group(0) @binding(2) var<storage, ${stateAccess}> state: RunState;

const TWO_PI: f32 = ${2 * Math.PI};
const MODE_STEP: u32 = ${MODE.step}u;

/** Whether v is finite, from its bits (WGSL implementations may assume no NaN or ∞ in arithmetic). */
fn isFiniteValue(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

fn nonFinite(v: f32) -> f32 {
  return select(1.0, 0.0, isFiniteValue(v));
}

/** The region a step writes: prev, unless it holds the best iterate, else the third one. */
fn freeRegion() -> u32 {
  if (state.prev != state.best) { return state.prev; }
  return 3u - state.cur - state.prev;
}

/** The region this evaluation reads: the step's new iterate, or the current one. */
fn evaluationRegion() -> u32 {
  if (params.mode == MODE_STEP) { return freeRegion(); }
  return state.cur;
}

/** lrᵢ: the host's, or base lr times the device's plateau scale. */
fn stepRate() -> f32 {
  if (params.usePlateau != 0u) { return config.baseLr * state.plateauScale; }
  return params.lr;
}`;
}

/** Sums \`sums\` over the workgroup into sums[0] (a fixed pairing, so sums are reproducible). */
export const TREE_REDUCE = `workgroupBarrier();
  for (var width = ${W / 2}u; width > 0u; width = width >> 1u) {
    if (lid < width) { sums[lid] = sums[lid] + sums[lid + width]; }
    workgroupBarrier();
  }`;

export const ELEMENTWISE_ENTRY = `@compute @workgroup_size(${W})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>)`;

/** update: group 1 = iterates (rw), gradient (read), then the rule's state arrays (rw). */
export function updateShader(rule: UpdateRule): string {
  const arrays = rule.stateArrays
    .map((name, k) => `@group(1) @binding(${k + 2}) var<storage, read_write> ${name}: array<f32>;`)
    .join('\n');
  return `${prelude('read')}
@group(1) @binding(0) var<storage, read_write> iterates: array<f32>;
@group(1) @binding(1) var<storage, read> gradient: array<f32>;
${arrays}

${ELEMENTWISE_ENTRY} {
  if (state.stopCode != 0u) { return; }
  let n = config.n;
  let lr = stepRate();
  let source = state.cur * n;
  let destination = freeRegion() * n;
  // clipNorm: g ← g · clipNorm/‖g‖ when ‖g‖ > clipNorm (‖g‖ of the last evaluation; a non-finite one never reaches here)
  var clip = 1.0;
  if (config.hasClip != 0u && state.gradNorm > config.clipNorm) { clip = config.clipNorm / state.gradNorm; }
  ${rule.prologue}
  for (var j = gid.x; j < n; j = j + groups.x * ${W}u) {
    let xi = iterates[source + j];
    let gi = gradient[j] * clip;
    ${rule.body}
    iterates[destination + j] = next;
  }
}`;
}

/**
 * objective: group 1 = iterates (read), gradient (rw), partials (rw), [lambda (read)].
 * Partial k = (Σ term, Σ gᵢ², non-finite xᵢ and gᵢ, 0) over workgroup k's elements.
 * `phase` 'sums' is Ackley's first pass: partials (Σ sumA, Σ sumB, non-finite xᵢ, 0), no gradient.
 */
export function objectiveShader(kernel: ObjectiveKernel, phase: 'gradient' | 'sums'): string {
  const sums = phase === 'sums';
  const element = sums ? kernel.sums!.element : kernel.element;
  const lambda = kernel.lambda ? '\n@group(1) @binding(3) var<storage, read> lambda: array<f32>;' : '';
  const accumulate = sums
    ? 'vec4<f32>(sumA, sumB, nonFinite(xi), 0.0)'
    : 'vec4<f32>(term, gi * gi, nonFinite(xi) + nonFinite(gi), 0.0)';
  return `${prelude('read')}
@group(1) @binding(0) var<storage, read> iterates: array<f32>;
@group(1) @binding(1) var<storage, read_write> gradient: array<f32>;
@group(1) @binding(2) var<storage, read_write> partials: array<vec4<f32>>;${lambda}
var<workgroup> sums: array<vec4<f32>, ${W}>;
var<private> base: u32;

fn x(k: u32) -> f32 { return iterates[base + k]; }

${ELEMENTWISE_ENTRY} {
  if (state.stopCode != 0u) { return; }
  let n = config.n;
  base = evaluationRegion() * n;
  ${sums ? '' : (kernel.sums?.gradientPrologue ?? '')}
  var acc = vec4<f32>(0.0);
  for (var j = gid.x; j < n; j = j + groups.x * ${W}u) {
    let xi = iterates[base + j];
    ${element}
    ${sums ? '' : 'gradient[j] = gi;'}
    acc = acc + ${accumulate};
  }
  sums[lid] = acc;
  ${TREE_REDUCE}
  if (lid == 0u) { partials[wid.x] = sums[0]; }
}`;
}

/** Reduces the partials over one workgroup into \`total\` (on invocation 0, which continues). */
function reducePartials(): string {
  return `var acc = vec4<f32>(0.0);
  for (var k = lid; k < config.partialCount; k = k + ${W}u) { acc = acc + partials[k]; }
  sums[lid] = acc;
  ${TREE_REDUCE}
  if (lid != 0u) { return; }
  if (state.stopCode != 0u) { return; }
  let total = sums[0];
  let n = config.n;`;
}

const FINALIZE_HEAD = `@group(1) @binding(0) var<storage, read> partials: array<vec4<f32>>;
var<workgroup> sums: array<vec4<f32>, ${W}>;

@compute @workgroup_size(${W})
fn main(@builtin(local_invocation_index) lid: u32)`;

/** Ackley's: the first pass's totals into the state, for the gradient pass. */
export function sumsFinalizeShader(): string {
  return `${prelude('read_write')}
${FINALIZE_HEAD} {
  ${reducePartials()}
  state.sumA = total.x;
  state.sumB = total.y;
  state.sumBad = total.z;
}`;
}

/** finalize: group 1 = partials (read), ring (rw): f, ‖g‖, then the run's rules (see the file comment). */
export function finalizeShader(kernel: Pick<ObjectiveKernel, 'value' | 'sums'>): string {
  const bad = kernel.sums ? 'total.z + state.sumBad' : 'total.z';
  return `${prelude('read_write')}
${FINALIZE_HEAD.replace('var<workgroup>', '@group(1) @binding(1) var<storage, read_write> ring: array<vec4<f32>>;\nvar<workgroup>')} {
  ${reducePartials()}
  let f = ${kernel.value};
  let gradNorm = sqrt(total.y);
  let i = params.iteration;
  if (params.mode == MODE_STEP) {
    let destination = freeRegion();
    state.prevF = state.f;
    state.prevGradNorm = state.gradNorm;
    state.prevLr = state.lr;
    state.prev = state.cur;
    state.cur = destination;
    state.lr = stepRate();
  }
  state.f = f;
  state.gradNorm = gradNorm;
  if (params.mode == ${MODE.measure}u) {
    state.divergenceLimit = 1e12 * max(1.0, abs(state.f0));
    return;
  }
  if (params.mode == ${MODE.start}u) {
    state.lr = stepRate();
    state.f0 = f;
    state.divergenceLimit = 1e12 * max(1.0, abs(f));
  }
  var code = ${DEVICE_STOP.none}u;
  if (${bad} > 0.0 || !isFiniteValue(f) || !isFiniteValue(gradNorm) || f > state.divergenceLimit) {
    code = ${DEVICE_STOP.diverged}u;
  } else {
    if (config.observePlateau != 0u) { observePlateau(f); }
    if (f < state.bestF) {
      state.bestF = f;
      state.bestIteration = i;
      state.best = state.cur;
    }
    if (gradNorm <= config.gradTol) {
      code = ${DEVICE_STOP.gradTol}u;
    } else if (config.hasTarget != 0u && f <= config.targetValue) {
      code = ${DEVICE_STOP.targetValue}u;
    } else if (config.hasFTol != 0u && i >= 1u && abs(f - state.prevF) <= config.fTol * max(1.0, abs(f))) {
      code = ${DEVICE_STOP.fTol}u;
    }
  }
  if (code != 0u) {
    state.stopCode = code;
    state.stopIteration = i;
  }
  ring[params.slot] = vec4<f32>(f, gradNorm, state.lr, f32(code));
}

/** torch ReduceLROnPlateau (mode min, relative threshold), as schedules.ts observePlateau. */
fn observePlateau(value: f32) {
  if (state.plateauHasBest == 0u || value < state.plateauBest - config.plateauThreshold * abs(state.plateauBest)) {
    state.plateauBest = value;
    state.plateauHasBest = 1u;
    state.plateauBadCount = 0u;
    return;
  }
  state.plateauBadCount = state.plateauBadCount + 1u;
  if (state.plateauBadCount > config.plateauPatience) {
    state.plateauScale = state.plateauScale * config.plateauFactor;
    state.plateauBadCount = 0u;
  }
}`;
}

/** record: group 1 = iterates (read), recorded (rw): xᵢ into slot params.recordSlot, unless the run stopped before i. */
export function recordShader(): string {
  return `${prelude('read')}
@group(1) @binding(0) var<storage, read> iterates: array<f32>;
@group(1) @binding(1) var<storage, read_write> recorded: array<f32>;

${ELEMENTWISE_ENTRY} {
  if (state.stopCode != 0u && state.stopIteration < params.iteration) { return; }
  let n = config.n;
  let source = state.cur * n;
  let destination = params.recordSlot * n;
  for (var j = gid.x; j < n; j = j + groups.x * ${W}u) {
    recorded[destination + j] = iterates[source + j];
  }
}`;
}
