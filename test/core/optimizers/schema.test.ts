import { describe, expect, it } from 'vitest';
import { OPTIMIZER_NAMES, optimizerSchema } from '../../../src/schemas/optimizer.ts';
import { optimizerCatalog } from '../../../src/schemas/optimizer-catalog.ts';

describe('optimizerSchema', () => {
  it('fills every default', () => {
    expect(OPTIMIZER_NAMES.map((name) => optimizerSchema.parse({ name }))).toEqual([
      { name: 'sgd', lr: 0.01 },
      { name: 'momentum', lr: 0.01, rho: 0.9, nesterov: false },
      { name: 'adagrad', lr: 0.01, eps: 1e-8 },
      { name: 'rmsprop', lr: 0.001, beta: 0.9, eps: 1e-8 },
      { name: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false },
      { name: 'adamw', lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false, weightDecay: 0.01 },
      { name: 'newton', lr: 1, hessian: 'exact', damping: 1e-4, lineSearch: 'backtracking' },
      { name: 'lbfgs', lr: 1, history: 10, lineSearch: 'strong_wolfe' },
    ]);
  });

  it('keeps given values and clipNorm', () => {
    expect(optimizerSchema.parse({ name: 'adam', lr: 0.1, beta2: 0.99, clipNorm: 5 })).toEqual({
      name: 'adam',
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.99,
      eps: 1e-8,
      amsgrad: false,
      clipNorm: 5,
    });
    expect(optimizerSchema.parse({ name: 'rmsprop', beta: 0, eps: 0 })).toMatchObject({ beta: 0, eps: 0 });
  });

  it.each([
    [{ name: 'sgd', lr: 0 }, ['lr'], /lr must be greater than 0/],
    [{ name: 'sgd', lr: -1 }, ['lr'], /lr must be greater than 0/],
    [{ name: 'adam', beta1: 1 }, ['beta1'], /beta1 must be in \[0, 1\)/],
    [{ name: 'adam', beta2: -0.1 }, ['beta2'], /beta2 must be in \[0, 1\)/],
    [{ name: 'momentum', rho: 1 }, ['rho'], /rho must be in \[0, 1\)/],
    [{ name: 'rmsprop', beta: 1.5 }, ['beta'], /beta must be in \[0, 1\)/],
    [{ name: 'adagrad', eps: -1 }, ['eps'], /eps must be at least 0/],
    [{ name: 'adamw', weightDecay: -0.01 }, ['weightDecay'], /weightDecay must be at least 0/],
    [{ name: 'newton', damping: -1 }, ['damping'], /damping must be at least 0/],
    [
      { name: 'newton', hessian: 'bfgs' },
      ['hessian'],
      /must be one of 'exact', 'damped', 'saddle_free'; got 'bfgs'/,
    ],
    [{ name: 'lbfgs', history: 0 }, ['history'], /history must be between 1 and 100/],
    [{ name: 'lbfgs', history: 101 }, ['history'], /history must be between 1 and 100/],
    [{ name: 'lbfgs', history: 2.5 }, ['history'], /history must be an integer/],
    [
      { name: 'lbfgs', lineSearch: 'backtracking' },
      ['lineSearch'],
      /must be one of 'strong_wolfe', 'none'; got 'backtracking'/,
    ],
    [{ name: 'adam', lr: Number.NaN }, ['lr'], /lr must be a finite number/],
    [{ name: 'adam', lr: Number.POSITIVE_INFINITY }, ['lr'], /lr must be a finite number/],
    [{ name: 'adam', lr: '0.1' }, ['lr'], /lr must be a finite number/],
    [{ name: 'sgd', clipNorm: 0 }, ['clipNorm'], /clipNorm must be greater than 0/],
    [{ name: 'momentum', nesterov: 'yes' }, ['nesterov'], /expected boolean, got string/],
    [{ name: 'sgd', momentum: 0.9 }, [], /unknown field 'momentum'; allowed: 'name', 'lr', 'clipNorm'/],
    [{ name: 'adamw', weight_decay: 0.1 }, [], /weight_decay/],
    [{ name: 'adadelta' }, ['name'], /must be one of 'sgd', 'momentum', .*'lbfgs'; got 'adadelta'/],
    [{}, ['name'], /^required: one of 'sgd', /],
  ])('rejects %j at path %j', (input, path, message) => {
    const result = optimizerSchema.safeParse(input);
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(path);
    expect(issue?.message).toMatch(message);
  });
});

describe('optimizerCatalog', () => {
  const catalog = optimizerCatalog();

  it('lists every optimizer once, in order, with a title and a rule in text and LaTeX', () => {
    expect(catalog.map((entry) => entry.name)).toEqual([...OPTIMIZER_NAMES]);
    for (const entry of catalog) {
      expect(entry.title.length).toBeGreaterThan(0);
      expect(entry.rule.text.length).toBeGreaterThan(0);
      expect(entry.rule.latex).toContain('\\theta');
    }
  });

  it('takes defaults from the schema: parsing {name} gives exactly the catalog defaults', () => {
    for (const entry of catalog) {
      const defaults = Object.fromEntries(
        entry.parameters.filter((parameter) => parameter.default !== null).map((p) => [p.name, p.default]),
      );
      expect({ name: entry.name, ...defaults }).toEqual(optimizerSchema.parse({ name: entry.name }));
    }
  });

  it('states ranges and descriptions', () => {
    const parameter = (name: string, parameterName: string) =>
      catalog.find((entry) => entry.name === name)?.parameters.find((p) => p.name === parameterName);
    expect(parameter('adam', 'lr')).toMatchObject({ type: 'number', default: 0.001, range: '(0, ∞)' });
    expect(parameter('adam', 'beta1')).toMatchObject({ range: '[0, 1)' });
    expect(parameter('adam', 'eps')).toMatchObject({ range: '[0, ∞)' });
    expect(parameter('adam', 'amsgrad')).toMatchObject({
      type: 'boolean',
      default: false,
      range: 'true | false',
    });
    expect(parameter('lbfgs', 'history')).toMatchObject({ type: 'integer', default: 10, range: '[1, 100]' });
    expect(parameter('newton', 'hessian')).toMatchObject({
      default: 'exact',
      range: '"exact" | "damped" | "saddle_free"',
    });
    expect(parameter('sgd', 'clipNorm')).toMatchObject({ default: null, range: '(0, ∞)' });
    for (const entry of catalog) {
      for (const p of entry.parameters)
        expect(p.description.length, `${entry.name}.${p.name}`).toBeGreaterThan(0);
      expect(entry.parameters.map((p) => p.name)).toContain('clipNorm');
    }
  });

  it('returns a copy callers may modify', () => {
    optimizerCatalog()[0].parameters.length = 0;
    expect(optimizerCatalog()[0].parameters.length).toBeGreaterThan(0);
  });
});
