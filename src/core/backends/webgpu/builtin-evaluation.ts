import { quadraticEigenvalues } from '../../objectives/builtins/quadratic.ts';
import type { DeviceObjectiveSpec } from '../compute-backend.ts';
import type { Kernel } from './gpu-context.ts';
import { workgroupsFor } from './gpu-context.ts';
import { objectiveKernel } from './objective-kernels.ts';
import { dispatchStep, type EvaluationPasses, type RunBuffers } from './run-evaluation.ts';
import { PARAMS } from './run-layout.ts';
import { objectiveShader, sumsFinalizeShader } from './run-shaders.ts';

/**
 * A builtin's evaluation (objective-kernels.ts): one grid-stride pass computing gᵢ and the
 * partials of f's terms, ‖g‖² and the non-finite count over the iterate; Ackley first sums its
 * two totals into the state (a sums pass and its one-workgroup finalize). λ of the quadratic is
 * a constant array uploaded once.
 */
export function builtinEvaluation(objective: DeviceObjectiveSpec, run: RunBuffers): EvaluationPasses {
  const { context, dim: n } = run;
  const kernel = objectiveKernel(objective);
  const partialWorkgroups = workgroupsFor(n, context.workgroupCaps.reduction);
  const partials = context.storage(partialWorkgroups * 16, 'partials');
  const lambda = kernel.lambda ? context.storage(n * 4, 'lambda') : null;
  if (lambda) {
    context.writeFloats(lambda, quadraticEigenvalues(n, objective.params.conditionNumber as number));
  }
  const common: ['dynamic-uniform', 'uniform', 'read'] = ['dynamic-uniform', 'uniform', 'read'];
  const shared = (k: Kernel) =>
    context.bindGroup(k, 0, [run.params, run.config, run.state], [PARAMS.byteLength]);
  const arrays: ('read' | 'storage')[] = ['read', 'storage', 'storage'];
  if (lambda) arrays.push('read');
  const gradientKernel = context.kernel('objective', objectiveShader(kernel, 'gradient'), [common, arrays]);
  const gradientBuffers = [run.iterates, run.gradient, partials];
  if (lambda) gradientBuffers.push(lambda);
  const gradientGroups = [shared(gradientKernel), context.bindGroup(gradientKernel, 1, gradientBuffers)];

  let encodeSums: ((pass: GPUComputePassEncoder, offset: number) => void) | null = null;
  if (kernel.sums) {
    const sumsKernel = context.kernel('objective sums', objectiveShader(kernel, 'sums'), [
      common,
      ['read', 'storage', 'storage'],
    ]);
    const sumsFinalizeKernel = context.kernel('sums finalize', sumsFinalizeShader(), [
      ['dynamic-uniform', 'uniform', 'storage'],
      ['read'],
    ]);
    const sumsGroups = [
      shared(sumsKernel),
      context.bindGroup(sumsKernel, 1, [run.iterates, run.gradient, partials]),
    ];
    const sumsFinalizeGroups = [
      context.bindGroup(sumsFinalizeKernel, 0, [run.params, run.config, run.state], [PARAMS.byteLength]),
      context.bindGroup(sumsFinalizeKernel, 1, [partials]),
    ];
    encodeSums = (pass, offset) => {
      dispatchStep(pass, sumsKernel, sumsGroups, offset, partialWorkgroups);
      dispatchStep(pass, sumsFinalizeKernel, sumsFinalizeGroups, offset, 1);
    };
  }
  return {
    partials,
    partialCount: partialWorkgroups,
    finalize: kernel,
    config: kernel.config,
    encode(pass, offset) {
      encodeSums?.(pass, offset);
      dispatchStep(pass, gradientKernel, gradientGroups, offset, partialWorkgroups);
    },
    destroy() {
      partials.destroy();
      lambda?.destroy();
    },
  };
}
