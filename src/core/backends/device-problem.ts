import { builtins } from '../objectives/builtins/index.ts';
import type { JobSpec, OptimizerName } from '../spec.ts';
import type {
  ComputeBackend,
  DeviceObjectiveName,
  DeviceOptimizerSpec,
  DeviceProblem,
  DeviceRunRules,
} from './compute-backend.ts';

/**
 * Which specs run on a device, and the {@link DeviceProblem} of one that does.
 *
 * On a device: the builtins that scale (sphere, quadratic unrotated, rosenbrock, rastrigin,
 * ackley, styblinski_tang) and the models (linear, logistic and softmax regression, the MLP:
 * their {@link DeviceModelProblem} is built by backends/device-model-host.ts from the data set),
 * with the first-order optimizers, any schedule, any stop rule.
 * On the CPU only:
 * - expressions, the 2-D builtins and the rotated quadratic (their cost is not in the dimension);
 * - Newton and L-BFGS (dense Hessians, line searches: sequential host logic);
 * - gradientNoise: the CPU draws it from one seeded xoroshiro128+ stream in index order, which a
 *   device cannot reproduce, and a different stream would make the same seed give different runs
 *   on different workers (and a GPU checkpoint resume differently on the CPU).
 */
export function deviceUnsupportedReason(spec: JobSpec, backend?: ComputeBackend): string | null {
  const objective = spec.objective;
  if (objective.type === 'expression') return 'expression objectives run on the CPU';
  if (objective.type === 'builtin') {
    if (!builtins[objective.name].anyDim) {
      return `${objective.name} runs on the CPU (only the builtins of any dimension have device kernels)`;
    }
    if (objective.name === 'quadratic' && objective.params.rotate === true) {
      return 'the rotated quadratic runs on the CPU';
    }
  }
  const optimizer = spec.optimizer.name;
  if (!optimizerRunsOnDevice(optimizer)) return `${optimizer} runs on the CPU`;
  if (spec.gradientNoise !== null && spec.gradientNoise.std > 0) return 'gradientNoise runs on the CPU';
  if (backend) {
    const limit = backend.maxRunDim(optimizer);
    if (objective.dim > limit) return `dimension ${objective.dim} exceeds the device's limit (${limit})`;
  }
  return null;
}

/**
 * Whether an optimizer has a device implementation: the first-order ones. Newton (dense Hessian
 * solves) and L-BFGS (two-loop recursion, line searches: sequential host logic) stay on the CPU.
 */
export function optimizerRunsOnDevice(name: OptimizerName): name is DeviceOptimizerSpec['name'] {
  return name !== 'newton' && name !== 'lbfgs';
}

/** The device problem of a builtin spec that {@link deviceUnsupportedReason} accepts. */
export function deviceProblem(spec: JobSpec): DeviceProblem {
  const reason = deviceUnsupportedReason(spec);
  if (reason !== null || spec.objective.type !== 'builtin') throw new Error(`not a device run: ${reason}`);
  return {
    objective: {
      name: spec.objective.name as DeviceObjectiveName,
      dim: spec.objective.dim,
      params: spec.objective.params,
    },
    ...deviceRunRules(spec, true),
  };
}

/**
 * The optimizer, plateau hook and stop rules of a device run. `observesF`: whether the device's
 * plateau observes f (false for a model run with validation rows, whose plateau observes the
 * validation loss on the host, run.ts).
 */
export function deviceRunRules(spec: JobSpec, observesF: boolean): DeviceRunRules {
  const schedule = spec.schedule;
  return {
    optimizer: spec.optimizer as DeviceOptimizerSpec,
    plateau:
      schedule.type === 'plateau' && observesF
        ? {
            factor: schedule.factor,
            patience: schedule.patience,
            threshold: schedule.threshold,
            fromStep: schedule.warmup?.steps ?? 0,
          }
        : null,
    stop: { gradTol: spec.stop.gradTol, targetValue: spec.stop.targetValue, fTol: spec.stop.fTol },
  };
}
