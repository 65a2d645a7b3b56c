import { describe, expect, it } from 'vitest';
import { groupOptions, threadExecArgv } from '../../workers/thread-exec-argv.ts';

describe('groupOptions', () => {
  it('keeps an option with its space-separated values and `=` values in one token', () => {
    expect(
      groupOptions(['--import', 'tsx', '--max-old-space-size=64', '-C', 'dev', '--enable-source-maps']),
    ).toEqual([['--import', 'tsx'], ['--max-old-space-size=64'], ['-C', 'dev'], ['--enable-source-maps']]);
    expect(groupOptions([])).toEqual([]);
  });
});

// Real worker threads: each refused or unknown option is probed with a throwaway thread.
describe('threadExecArgv', () => {
  it("leaves BullMQ's default when a thread takes every option (no probe for known ones)", async () => {
    expect(await threadExecArgv([])).toEqual({ execArgv: null, dropped: [] });
    expect(await threadExecArgv(['--import', 'tsx', '--enable-source-maps'])).toEqual({
      execArgv: null,
      dropped: [],
    });
    // Not in the known list, but a thread takes it: found by the probe.
    expect(await threadExecArgv(['--pending-deprecation'])).toEqual({
      execArgv: null,
      dropped: [],
    });
  });

  it('leaves out V8 and per-process options, keeping the rest in order', async () => {
    expect(
      await threadExecArgv([
        '--max-old-space-size=256',
        '--import',
        'tsx',
        '--title=w',
        '--enable-source-maps',
      ]),
    ).toEqual({
      execArgv: ['--import', 'tsx', '--enable-source-maps'],
      dropped: ['--max-old-space-size=256', '--title=w'],
    });
  });

  it('then also leaves out --inspect (BullMQ gives each thread its own port only with its default)', async () => {
    expect(await threadExecArgv(['--inspect=0', '--stack-size=2000'])).toEqual({
      execArgv: [],
      dropped: ['--inspect=0', '--stack-size=2000'],
    });
    expect(await threadExecArgv(['--inspect=0', '--import', 'tsx'])).toEqual({ execArgv: null, dropped: [] });
  });
});
