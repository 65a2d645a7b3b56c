import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinData, builtinDataShape, irisDataset } from '../../src/data/builtin-datasets.ts';
import { datasetFromCsv } from '../../src/data/csv-table.ts';
import { datasetFromJson } from '../../src/data/json-table.ts';
import { modelDataset, shapeOf } from '../../src/data/model-data.ts';
import { MAX_CLASSES, parseDecimal, type TableOutcome } from '../../src/data/tabular.ts';

function ok(outcome: TableOutcome) {
  if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
  return outcome.dataset;
}

function refusal(outcome: TableOutcome) {
  if (outcome.ok) throw new Error('accepted');
  return outcome.errors;
}

describe('numbers in text', () => {
  it('accepts plain decimals only', () => {
    for (const [text, value] of [
      ['1', 1],
      ['-1.5e3', -1500],
      ['.5', 0.5],
      ['7.', 7],
      [' 2 ', 2],
      ['+3E-2', 0.03],
    ] as const) {
      expect(parseDecimal(text), text).toBe(value);
    }
    for (const [text, reason] of [
      ['', 'empty'],
      ['  ', 'empty'],
      ['NaN', 'non-finite'],
      ['-inf', 'non-finite'],
      ['Infinity', 'non-finite'],
      ['1e999', 'non-finite'],
      ['0x1F', 'not-a-number'],
      ['1,5', 'not-a-number'],
      ['1e', 'not-a-number'],
      ['abc', 'not-a-number'],
    ] as const) {
      expect(parseDecimal(text), text).toBe(reason);
    }
  });
});

describe('CSV', () => {
  it('reads quoted fields (delimiters, quotes, line breaks inside), CRLF, a BOM, blank lines and a trailing newline', () => {
    const text =
      '\ufeff"width, cm",height,"kind"\r\n' +
      '1.5,2,"tall ""one"""\r\n' +
      '\r\n' +
      '3,4.25,"short\r\nand wide"\r\n' +
      '"5",6,"tall ""one"""\r\n';
    const dataset = ok(datasetFromCsv(text, { target: 'kind' }));
    expect(dataset.columns).toEqual(['width, cm', 'height']);
    expect(Array.from(dataset.X)).toEqual([1.5, 2, 3, 4.25, 5, 6]);
    expect(dataset.labels).toEqual(['short\r\nand wide', 'tall "one"']);
    expect(Array.from(dataset.y)).toEqual([1, 0, 1]);
    expect(dataset).toMatchObject({
      rows: 3,
      features: 2,
      task: 'classification',
      classes: 2,
      targets: 'labels',
    });
  });

  it('takes the target from any column, and names line and column in every refusal', () => {
    const dataset = ok(datasetFromCsv('y,a,b\n1.5,1,2\n2.5,3,4\n-1,5,6\n', { target: 'y' }));
    expect(Array.from(dataset.X)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(dataset.y)).toEqual([1.5, 2.5, -1]);
    expect(dataset.task).toBe('regression');
    const errors = refusal(datasetFromCsv('y,a,b\n1,x,2\n2,3\n3,4,inf\n,5,6\n', { target: 'y' }));
    expect(errors).toEqual([
      { path: 'rows[0][1]', message: "line 2, column 2 ('a'): 'x' is not a number" },
      { path: 'rows[1]', message: 'line 3 has 2 fields; the header has 3' },
      {
        path: 'rows[2][2]',
        message: "line 4, column 3 ('b'): 'inf' is not a finite number (NaN and Infinity are not allowed)",
      },
      { path: 'rows[3][0]', message: "line 5, column 1 ('y'): the target is empty" },
    ]);
    expect(refusal(datasetFromCsv('a,b\n1,"2\n', { target: 'b' }))[0].message).toMatch(
      /^not valid CSV: Quote Not Closed/,
    );
    expect(refusal(datasetFromCsv('a,a,b\n1,2,3\n', { target: 'a' }))[0]).toEqual({
      path: 'target',
      message: "column 'a' appears 2 times in the header",
    });
    expect(refusal(datasetFromCsv('y\n1\n2\n', { target: 'y' }))[0].path).toBe('body');
  });

  it('a regression target with a text label is refused at its row', () => {
    expect(refusal(datasetFromCsv('a,y\n1,2\n2,x\n', { target: 'y', task: 'regression' }))).toEqual([
      {
        path: 'rows[1][1]',
        message: "line 3, column 2 ('y'): 'x' is not a number (task regression needs numeric targets)",
      },
    ]);
  });

  it('reads any numeric table as JSON rows read it (property: CSV of the rows ≡ the rows)', () => {
    // −0 prints as "0": the one value text does not carry
    const cell = fc
      .double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 })
      .map((v) => (v === 0 ? 0 : v));
    const table = fc.integer({ min: 1, max: 5 }).chain((features) =>
      fc.record({
        X: fc.array(fc.array(cell, { minLength: features, maxLength: features }), {
          minLength: 1,
          maxLength: 30,
        }),
        labels: fc.array(fc.constantFrom('cat', 'dog', 'owl', 'a b'), { minLength: 30, maxLength: 30 }),
        numeric: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(table, ({ X, labels, numeric }) => {
        const y = X.map((_, r) => (numeric ? (X[r][0] ?? 0) : labels[r]));
        const header = [...X[0].map((_, j) => `f${j}`), 'target'].join(',');
        const lines = X.map((row, r) => [...row.map(String), String(y[r])].join(','));
        const csv = datasetFromCsv(`${header}\n${lines.join('\n')}\n`, { target: 'target' });
        const json = datasetFromJson(X, y, { columns: X[0].map((_, j) => `f${j}`) });
        expect(csv.ok).toBe(json.ok);
        if (csv.ok && json.ok) expect({ ...csv.dataset, target: 'y' }).toEqual(json.dataset);
      }),
      { numRuns: 200 },
    );
  });
});

describe('targets: task, classes and labels', () => {
  const X = [[0], [1], [2], [3], [4], [5]];

  it('infers classes from text labels and from few integers; regression from other numbers', () => {
    expect(ok(datasetFromJson(X, ['b', 'a', 'b', 'a', 'c', 'c']))).toMatchObject({
      task: 'classification',
      classes: 3,
      labels: ['a', 'b', 'c'],
      targets: 'labels',
    });
    const indices = ok(datasetFromJson(X, [0, 1, 0, 1, 2, 2]));
    expect(indices).toMatchObject({ task: 'classification', classes: 3, labels: null, targets: 'numbers' });
    expect(ok(datasetFromJson(X, [-1, 1, -1, 1, -1, 1]))).toMatchObject({ classes: 2, labels: ['-1', '1'] });
    // six distinct integers on six rows: a regression (fewer than two rows per value)
    expect(ok(datasetFromJson(X, [1, 3, 5, 7, 9, 11])).task).toBe('regression');
    expect(ok(datasetFromJson(X, [0.5, 1, 0.5, 1, 0.5, 1])).task).toBe('regression');
    expect(ok(datasetFromJson(X, [1, 3, 5, 7, 9, 11], { task: 'classification' })).classes).toBe(6);
  });

  it('one class, or more than the cap, is refused for classification', () => {
    expect(refusal(datasetFromJson(X, ['a', 'a', 'a', 'a', 'a', 'a']))[0]).toEqual({
      path: 'y',
      message: "y holds one class only ('a'); classification needs at least 2",
    });
    const many = Array.from({ length: MAX_CLASSES + 1 }, (_, r) => [r]);
    const labels = many.map((_, r) => `c${r}`);
    expect(refusal(datasetFromJson(many, labels))[0].message).toMatch(/more than 1000 distinct values/);
    // a constant numeric target is a (dull) regression, not a refusal
    expect(ok(datasetFromJson(X, [2, 2, 2, 2, 2, 2])).task).toBe('regression');
  });

  it("a model's view: class indices for classification (numbers mapped in sorted order), the values for regression", () => {
    const signs = ok(datasetFromJson(X, [1, -1, 1, -1, 1, -1]));
    expect(Array.from(modelDataset(signs, 'classification').y)).toEqual([1, 0, 1, 0, 1, 0]);
    expect(Array.from(modelDataset(signs, 'regression').y)).toEqual([1, -1, 1, -1, 1, -1]);
    expect(modelDataset(signs, 'classification')).toBe(modelDataset(signs, 'classification'));
    const text = ok(datasetFromJson(X, ['no', 'yes', 'no', 'yes', 'no', 'yes']));
    expect(modelDataset(text, 'classification').classNames).toEqual(['no', 'yes']);
  });
});

describe('built-in data', () => {
  it('iris: 150 rows, 4 features, species in sorted order, 50 each', () => {
    const iris = irisDataset();
    expect(shapeOf(iris)).toEqual(builtinDataShape({ builtin: 'iris' }));
    expect(iris.labels).toEqual(['setosa', 'versicolor', 'virginica']);
    const counts = [0, 0, 0];
    for (const label of iris.y) counts[label]++;
    expect(counts).toEqual([50, 50, 50]);
    expect(Array.from(iris.X.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2]);
  });

  it('generators: the shape normalisation assumes, and the same rows for the same seed', () => {
    const spec = { builtin: 'blobs', samples: 90, noise: 0.5, classes: 4, features: 3 } as const;
    const first = builtinData(spec, 11);
    expect(shapeOf(first)).toEqual(builtinDataShape(spec));
    expect(builtinData(spec, 11)).toEqual(first);
    expect(Array.from(builtinData(spec, 12).X)).not.toEqual(Array.from(first.X));
  });
});
