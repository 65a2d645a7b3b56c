import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The store's Lua scripts (src/store/scripts/*.lua), registered on a connection with ioredis
 * `defineCommand`. ioredis sends a script as EVAL the first time it goes out on a socket and as
 * EVALSHA afterwards, so a script is never unknown on a fresh connection (a new process after a
 * deploy, a reconnect after a Redis restart); only a SCRIPT FLUSH on a live connection makes it
 * answer NOSCRIPT, and ioredis then resends it as EVAL. Callers that need their script to run
 * before a later command of theirs await its reply first (see JobSubmissions.create), or send it
 * with `runScriptInOrder`.
 *
 * A line `--#include name.lua` is replaced by that file (fragments start with `_`): the
 * finishing scripts share their final writes and the point append with the others.
 */

const SCRIPT_FILES = {
  descentAppendPoints: 'append-points.lua',
  descentBeginJob: 'begin-job.lua',
  descentCancelJob: 'cancel-job.lua',
  descentCancelComparison: 'cancel-comparison.lua',
  descentClaimWebhooks: 'claim-webhooks.lua',
  descentCreateJobs: 'create-jobs.lua',
  descentFailJob: 'fail-job.lua',
  descentFinishJob: 'finish-job.lua',
  descentFinishUnstartedJob: 'finish-unstarted-job.lua',
  descentListJobs: 'list-jobs.lua',
  descentRemoveDataset: 'remove-dataset.lua',
  descentRemoveComparison: 'remove-comparison.lua',
  descentRemoveJob: 'remove-job.lua',
  descentSaveCheckpoint: 'save-checkpoint.lua',
  descentSetProgress: 'set-progress.lua',
  descentSetWebhookLog: 'set-webhook-log.lua',
} as const;

export type ScriptName = keyof typeof SCRIPT_FILES;
export type ScriptArg = string | number | Buffer;

const SCRIPTS_DIR = new URL('./scripts/', import.meta.url);
const INCLUDE = /^--#include (\S+\.lua)\s*$/gm;

/** A script's source with its includes expanded. */
export function scriptSource(file: string, seen: readonly string[] = []): string {
  if (seen.includes(file)) throw new Error(`Lua include cycle: ${[...seen, file].join(' → ')}`);
  const text = readFileSync(new URL(file, SCRIPTS_DIR), 'utf8');
  return text.replace(INCLUDE, (_line, included: string) => scriptSource(included, [...seen, file]));
}

const sources = new Map<ScriptName, string>();

/**
 * Whole-line comments and indentation: dropped from what is sent, since runScriptInOrder sends
 * the source on every call (a tiny job's finishUnstarted: 4.6 KB as written, 2.9 KB sent).
 */
const COMMENT_LINE = /^[ \t]*--.*\n/gm;
const INDENTATION = /^[ \t]+/gm;

function sourceOf(name: ScriptName): string {
  let source = sources.get(name);
  if (source === undefined) {
    source = scriptSource(SCRIPT_FILES[name]).replace(COMMENT_LINE, '').replace(INDENTATION, '');
    sources.set(name, source);
  }
  return source;
}

type ScriptCommand = (...args: ScriptArg[]) => Promise<unknown>;

const defined = new WeakSet<Redis>();

/** Registers every store script on `redis` (once per connection object). */
export function defineStoreScripts(redis: Redis): void {
  if (defined.has(redis)) return;
  for (const name of Object.keys(SCRIPT_FILES) as ScriptName[])
    redis.defineCommand(name, { lua: sourceOf(name) });
  defined.add(redis);
}

/**
 * Runs a store script. The command goes out synchronously, in its place among the connection's
 * commands. The number of keys is passed per call (the job scripts take an optional key).
 */
export function runScript(
  redis: Redis,
  name: ScriptName,
  keys: string[],
  args: ScriptArg[],
): Promise<unknown> {
  defineStoreScripts(redis);
  const command = (redis as unknown as Record<ScriptName, ScriptCommand>)[name];
  return command.call(redis, keys.length, ...keys, ...args);
}

/**
 * Runs a store script as a plain EVAL, its source in the command: Redis can never answer
 * NOSCRIPT, so the script runs in its place among the connection's commands, also right after a
 * SCRIPT FLUSH (where `runScript`'s EVALSHA would be resent behind the commands sent meanwhile).
 * For a caller that sends a later command without waiting for this reply (JobRuns.finishUnstarted).
 * Costs the script's bytes on the wire (~2 KB) and a SHA1 of them in Redis on each call.
 */
export function runScriptInOrder(
  redis: Redis,
  name: ScriptName,
  keys: string[],
  args: ScriptArg[],
): Promise<unknown> {
  return redis.eval(sourceOf(name), keys.length, ...keys, ...args);
}
