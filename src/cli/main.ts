import { parseArgs } from 'node:util';
import { modelDataFor } from '../data/resolve.ts';
import { normalizeJobSpec } from '../schemas/job-spec.ts';
import { validationProblem } from '../schemas/problem.ts';
import { runWhereAsked } from './device.ts';
import { ExitError, problemText, readSpecJson, specArgument, UsageError } from './spec.ts';

/**
 * `descent run <spec.json | ->`: runs one job spec in-process with the workers' core and prints
 * `{spec, result, trajectory}` on stdout. Exit 0 when the run finished (whatever its stopReason),
 * 2 with problem+json on stderr when the spec is invalid, or asks for `device: "gpu"` on a machine
 * without a GPU adapter (src/cli/device.ts says where each spec runs).
 *
 * A model objective trains on built-in data (made from the seed, as the workers make it) or on
 * inline rows; a datasetId names data stored on a server, which `run` does not have: it is refused
 * (exit 2) with a message that says so and points to `descent submit`.
 */

const USAGE = `usage:
  descent run <spec.json | ->                    run a job spec in-process, print {spec, result, trajectory}
  descent submit <spec.json | -> [--url U] [--watch]   send it to a descent server`;

async function commandRun(positionals: string[]): Promise<void> {
  const input = await readSpecJson(specArgument('run', positionals));
  const normalized = normalizeJobSpec(input);
  if (!normalized.ok)
    throw new ExitError(problemText(validationProblem(normalized.errors, 'Invalid job spec')), 2);
  const { spec, inlineData } = normalized;
  // A model trains on its built-in or inline data, on the CPU or the device (device.ts).
  const dataset =
    spec.objective.type === 'model' ? modelDataFor(spec.objective, spec.seed, inlineData) : undefined;
  const { result, trajectory } = await runWhereAsked(spec, process.env, dataset);
  process.stdout.write(`${JSON.stringify({ spec: normalized.spec, result, trajectory })}\n`);
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      watch: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  switch (command) {
    case 'run':
      return commandRun(rest);
    case 'submit': {
      const { commandSubmit } = await import('./submit.ts');
      return commandSubmit(specArgument('submit', rest), { url: values.url, watch: values.watch });
    }
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ExitError) {
    if (error.message !== '') process.stderr.write(`${error.message}\n`);
    process.exit(error.exitCode);
  }
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`descent: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`descent: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
