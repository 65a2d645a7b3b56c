import { parseExpression } from '../../../src/core/objectives/expression/parser.ts';
import { ApiError, api } from '../api-client.ts';
import type {
  ComparisonInput,
  Dataset,
  Evaluation,
  Job,
  ObjectiveInput,
  OptimizerInput,
  RunSpecInput,
} from '../api-types.ts';
import { type Catalogs, loadModelCatalog, objectiveEntry, optimizerEntry } from '../catalog.ts';
import type { Box } from '../contour.ts';
import { ContourView } from '../contour-view.ts';
import { debounce, h, notice, replaceChildren } from '../dom.ts';
import { collect, type FieldInput, logspace, numberInput, parameterInput } from '../form-fields.ts';
import { formatNumber } from '../format.ts';
import type { ModelCatalog } from '../model-catalog.ts';
import { runColor } from '../palette.ts';
import { navigate, routeUrl } from '../url-state.ts';

/**
 * The start form: an objective (a builtin with its parameters, a typed expression checked as
 * you type, or a model on a built-in or uploaded dataset), one or more optimizers with their
 * catalog parameters, a schedule, stop rules, a start point (typed, or clicked on the contour),
 * and what to start: one job, a comparison of the optimizers, or an lr sweep of the first one.
 * On a server without /v1/comparisons (404), a comparison or a sweep is sent as separate jobs
 * with one seed and opened with `/?jobs=`.
 */

const SCHEDULES: Record<string, [string, string][]> = {
  constant: [],
  step: [
    ['stepSize', '100'],
    ['gamma', '0.1'],
  ],
  exponential: [['gamma', '0.99']],
  cosine: [
    ['period', 'maxIterations'],
    ['minFactor', '0'],
  ],
  inverse_sqrt: [],
  one_cycle: [
    ['peakFactor', '10'],
    ['pctStart', '0.3'],
    ['period', 'maxIterations'],
  ],
  plateau: [
    ['factor', '0.1'],
    ['patience', '10'],
    ['threshold', '1e-4'],
  ],
};

const STOP_FIELDS: [string, string, string][] = [
  ['maxIterations', '1000', 'Iterations at most.'],
  ['gradTol', '1e-8', 'Stop when ‖g‖ <= gradTol.'],
  ['fTol', '0', 'Stop when |fₖ − fₖ₋₁| <= fTol·max(1, |fₖ|).'],
  ['targetValue', 'none', 'Stop when f <= targetValue.'],
  ['maxSeconds', '60', 'Wall-clock budget in seconds.'],
];

/** Options of a model objective when the catalog lists none (API.md). */
const MODEL_OPTIONS: [string, string, string][] = [
  ['l2', '0', 'L2 penalty (l2/2)·‖W‖² on weights.'],
  ['batchSize', 'full batch', 'Rows per mini-batch step.'],
  ['validationFraction', '0.2', 'Rows held out for validation.'],
];

type Mode = 'single' | 'compare' | 'sweep';

interface OptimizerCard {
  element: HTMLElement;
  name(): string;
  spec(): OptimizerInput;
}

function section(title: string, ...children: (Node | string)[]): HTMLElement {
  return h('fieldset', { class: 'form-section' }, h('legend', {}, title), ...children);
}

function errorList(error: unknown): HTMLElement {
  if (error instanceof ApiError && error.problem?.errors?.length) {
    return h(
      'div',
      { class: 'notice notice-error', role: 'alert' },
      h('p', {}, error.problem.title),
      h(
        'ul',
        {},
        ...error.problem.errors.map((item) =>
          h(
            'li',
            {},
            h('code', {}, item.path || '(body)'),
            `: ${item.message}`,
            item.source !== undefined
              ? h('pre', { class: 'caret' }, `${item.source}\n${item.marker ?? ''}`)
              : '',
          ),
        ),
      ),
    );
  }
  return notice('error', (error as Error).message);
}

export function createStartView(catalogs: Catalogs): { element: HTMLElement; destroy(): void } {
  const twoDBuiltins = catalogs.objectives;
  let contour: ContourView | null = null;

  // --- objective
  const kindSelect = h(
    'select',
    { id: 'objective-kind', name: 'objective' },
    h(
      'optgroup',
      { label: 'Builtin' },
      ...twoDBuiltins.map((entry) => h('option', { value: `builtin:${entry.name}` }, entry.title)),
    ),
    h('option', { value: 'expression' }, 'Expression…'),
    h('option', { value: 'model' }, 'Model on data…'),
  );
  kindSelect.value = 'builtin:rosenbrock';
  const objectiveDetails = h('div', { class: 'objective-details' });
  const formula = h('p', { class: 'formula muted' });

  let builtinFields: Record<string, FieldInput> = {};
  let dimField: FieldInput | null = null;

  const expressionInput = h('input', {
    type: 'text',
    id: 'expression',
    name: 'expression',
    value: '(1 - x)^2 + 100*(y - x^2)^2',
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-describedby': 'expression-status',
  });
  const expressionStatus = h('div', {
    id: 'expression-status',
    class: 'expression-status',
    'aria-live': 'polite',
  });

  // model
  /** undefined until a model objective is first chosen; null: the server has none. */
  let modelCatalog: ModelCatalog | null | undefined;
  const modelSelect = h('select', { id: 'model', name: 'model' });
  const datasetSelect = h('select', { id: 'dataset', name: 'dataset' });
  function fillModelSelects(catalog: ModelCatalog): void {
    replaceChildren(
      modelSelect,
      ...catalog.models.map((model) => h('option', { value: model.name }, model.title)),
    );
    replaceChildren(
      datasetSelect,
      ...catalog.datasets.map((dataset) =>
        h(
          'option',
          { value: dataset.name },
          dataset.shape ? `${dataset.name} (${dataset.shape})` : dataset.name,
        ),
      ),
      h('option', { value: 'upload' }, 'Upload a CSV…'),
    );
  }
  const csvInput = h('input', { type: 'file', accept: '.csv,text/csv', id: 'csv-file', name: 'csv' });
  const targetInput = h('input', {
    type: 'text',
    id: 'csv-target',
    name: 'target',
    placeholder: 'target column',
    autocomplete: 'off',
  });
  const uploadRow = h('div', { class: 'row upload', hidden: true }, csvInput, targetInput);
  const hiddenInput = h('input', { type: 'text', id: 'hidden', name: 'hidden', placeholder: '16, 16' });
  const activationSelect = h(
    'select',
    { id: 'activation', name: 'activation' },
    h('option', { value: 'tanh' }, 'tanh'),
    h('option', { value: 'relu' }, 'relu'),
  );
  const mlpRow = h(
    'div',
    { class: 'row' },
    h('label', { class: 'field' }, h('span', {}, 'hidden'), hiddenInput),
    h('label', { class: 'field' }, h('span', {}, 'activation'), activationSelect),
  );
  let modelFields: Record<string, FieldInput> = {};
  let uploadedDataset: { file: File; target: string; id: string } | null = null;

  // --- start point
  const startInputs = h('div', { class: 'start-inputs row' });
  let startFields: HTMLInputElement[] = [];
  const startHint = h('p', { class: 'muted small' });
  const boxInputs = [0, 1, 2, 3].map((k) =>
    h('input', {
      type: 'text',
      inputmode: 'decimal',
      'aria-label': ['x from', 'x to', 'y from', 'y to'][k],
      class: 'box-input',
    }),
  );
  const boxRow = h(
    'div',
    { class: 'row box-row' },
    h('span', { class: 'muted small' }, 'plot box'),
    ...boxInputs,
  );

  // --- optimizers
  const cards: OptimizerCard[] = [];
  const cardList = h('div', { class: 'optimizer-cards' });
  const addButton = h('button', { type: 'button', class: 'secondary small' }, '+ Add optimizer');

  // --- schedule
  const scheduleSelect = h(
    'select',
    { id: 'schedule', name: 'schedule' },
    ...Object.keys(SCHEDULES).map((type) => h('option', { value: type }, type.replace('_', ' '))),
  );
  const scheduleDetails = h('div', { class: 'row wrap' });
  let scheduleFields: Record<string, FieldInput> = {};
  const warmupField = numberInput('warmup', 'none', 'Linear warmup steps (startFactor 0.1).', 'warmup-steps');

  // --- stop, record
  const stopFields = Object.fromEntries(
    STOP_FIELDS.map(([name, placeholder, hint]) => [
      name,
      numberInput(name, placeholder, hint, `stop-${name}`),
    ]),
  );
  const patienceField = numberInput(
    'patience',
    'none',
    'Early stop after N evaluations without validation improvement.',
    'stop-patience',
  );
  const recordFields = {
    every: numberInput('every', '1', 'Record every N iterations.', 'record-every'),
    maxPoints: numberInput(
      'maxPoints',
      '10000',
      'At most this many points (thinned evenly).',
      'record-maxPoints',
    ),
  };
  const seedField = numberInput('seed', 'random', 'Seed (shared by every run of a comparison).', 'seed');
  const labelInput = h('input', {
    type: 'text',
    id: 'label',
    name: 'label',
    placeholder: 'optional',
    maxlength: 200,
  });

  // --- mode
  const modeInputs = (['single', 'compare', 'sweep'] as Mode[]).map((mode) =>
    h('input', { type: 'radio', name: 'mode', value: mode, checked: mode === 'compare', id: `mode-${mode}` }),
  );
  const sweepFields = {
    from: numberInput('lr from', '1e-4', 'Smallest lr.', 'sweep-from'),
    to: numberInput('lr to', '1', 'Largest lr.', 'sweep-to'),
    count: numberInput('runs', '9', 'Number of lr values (log-spaced).', 'sweep-count'),
  };
  const sweepRow = h(
    'div',
    { class: 'row wrap sweep-fields', hidden: true },
    sweepFields.from.element,
    sweepFields.to.element,
    sweepFields.count.element,
  );
  const submitButton = h('button', { type: 'submit', class: 'primary large' }, 'Start');
  const message = h('div', { class: 'form-message', 'aria-live': 'polite' });

  const mode = (): Mode => (modeInputs.find((input) => input.checked)?.value as Mode) ?? 'single';

  const preview = h('div', { class: 'preview-slot' });
  const ruleText = h('div', { class: 'rules muted small' });

  // --- objective state
  function kind(): 'builtin' | 'expression' | 'model' {
    const value = kindSelect.value;
    return value === 'expression' ? 'expression' : value === 'model' ? 'model' : 'builtin';
  }

  function builtinName(): string {
    return kindSelect.value.slice('builtin:'.length);
  }

  function dim(): number {
    if (kind() === 'builtin') {
      const entry = objectiveEntry(catalogs, builtinName());
      const given = dimField?.value();
      return typeof given === 'number' ? given : (entry?.defaultDim ?? 2);
    }
    if (kind() === 'expression') {
      const parsed = parseExpression(expressionInput.value);
      return parsed.ok ? parsed.variables.length : 0;
    }
    return 0;
  }

  function objectiveSpec(): ObjectiveInput {
    if (kind() === 'expression') return { type: 'expression', expression: expressionInput.value };
    if (kind() === 'model') {
      const options = collect(modelFields);
      const model: Record<string, unknown> = {
        type: 'model',
        model: modelSelect.value,
        data: { builtin: datasetSelect.value },
        ...options,
      };
      if (modelSelect.value === 'mlp') {
        const hidden = hiddenInput.value
          .split(/[\s,]+/)
          .filter((part) => part !== '')
          .map(Number);
        if (hidden.length > 0) model.hidden = hidden;
        model.activation = activationSelect.value;
      }
      return model as unknown as ObjectiveInput;
    }
    const params = collect(builtinFields);
    const objective: Record<string, unknown> = { type: 'builtin', name: builtinName() };
    const given = dimField?.value();
    if (given !== undefined) objective.dim = given;
    if (Object.keys(params).length > 0) objective.params = params;
    return objective as ObjectiveInput;
  }

  function catalogBox(): Box | null {
    if (kind() === 'builtin') {
      const entry = objectiveEntry(catalogs, builtinName());
      return entry ? { x: [...entry.box.x], y: [...entry.box.y] } : null;
    }
    return kind() === 'expression' ? { x: [-2, 2], y: [-2, 2] } : null;
  }

  function box(): Box | null {
    const values = boxInputs.map((input) => Number(input.value));
    if (values.every(Number.isFinite) && values[0] < values[1] && values[2] < values[3]) {
      return { x: [values[0], values[1]], y: [values[2], values[3]] };
    }
    return catalogBox();
  }

  function renderStart(): void {
    const n = dim();
    const entry = kind() === 'builtin' ? objectiveEntry(catalogs, builtinName()) : undefined;
    const defaults = entry && n === entry.defaultDim ? entry.defaultStart : new Array<number>(n).fill(0);
    if (n >= 1 && n <= 10) {
      startFields = defaults.map((value, k) =>
        h('input', {
          type: 'text',
          inputmode: 'decimal',
          placeholder: String(value),
          'aria-label': `start x${k}`,
          id: `start-${k}`,
          class: 'start-input',
        }),
      );
      replaceChildren(startInputs, ...startFields);
      startHint.textContent =
        n === 2 ? 'Empty: the standard start. Click the contour to set it.' : 'Empty: the standard start.';
    } else {
      startFields = [];
      replaceChildren(startInputs);
      startHint.textContent =
        kind() === 'model'
          ? 'Models start from seeded initial weights.'
          : 'The standard start point of the objective.';
    }
  }

  function startPoint(): number[] | null {
    if (startFields.length === 0 || startFields.every((input) => input.value.trim() === '')) return null;
    return startFields.map((input) => Number(input.value.trim() === '' ? input.placeholder : input.value));
  }

  function showPreview(): void {
    const n = dim();
    const currentBox = box();
    if (n !== 2 || currentBox === null) {
      contour?.destroy();
      contour = null;
      replaceChildren(
        preview,
        notice(
          'empty',
          kind() === 'model'
            ? 'A model has no contour. Its train and validation loss are charted when it runs.'
            : n === 0
              ? 'Type a valid expression to see its contours.'
              : `No contour for a ${n}-D objective: the charts show the run.`,
        ),
      );
      boxRow.hidden = true;
      return;
    }
    boxRow.hidden = false;
    boxInputs.forEach((input, k) => {
      input.placeholder = String([currentBox.x[0], currentBox.x[1], currentBox.y[0], currentBox.y[1]][k]);
    });
    if (contour === null) {
      contour = new ContourView({
        onPick: (point) => {
          startFields.forEach((input, k) => {
            input.value = String(point[k]);
          });
          contour?.setStart(point);
        },
      });
      replaceChildren(preview, contour.element);
    }
    const entry = kind() === 'builtin' ? objectiveEntry(catalogs, builtinName()) : undefined;
    const point = startPoint();
    contour.setStart(
      point ? [point[0], point[1]] : entry ? [entry.defaultStart[0], entry.defaultStart[1]] : [0, 0],
    );
    const params = kind() === 'builtin' ? collect(builtinFields) : {};
    void contour.setObjective(
      objectiveSpec(),
      currentBox,
      Object.keys(params).length === 0 ? (entry?.minimizers ?? null) : null,
    );
  }

  const checkExpression = debounce(async () => {
    const text = expressionInput.value;
    const parsed = parseExpression(text);
    const n = parsed.ok ? Math.max(1, parsed.variables.length) : 1;
    try {
      const evaluation = await api<Evaluation>('/v1/evaluate', {
        method: 'POST',
        body: {
          objective: { type: 'expression', expression: text },
          x: new Array(n).fill(0),
          hessian: false,
        },
      });
      if (text !== expressionInput.value) return;
      expressionInput.removeAttribute('aria-invalid');
      replaceChildren(
        expressionStatus,
        h('span', { class: 'ok' }, `✓ ${parsed.ok ? `variables ${parsed.variables.join(', ')}` : 'valid'}`),
        h('span', { class: 'muted' }, ` · f(0) = ${formatNumber(evaluation.f)}`),
      );
    } catch (error) {
      if (text !== expressionInput.value) return;
      const item =
        error instanceof ApiError
          ? error.problem?.errors?.find((candidate) => candidate.path.startsWith('objective'))
          : undefined;
      expressionInput.setAttribute('aria-invalid', 'true');
      replaceChildren(
        expressionStatus,
        item
          ? h(
              'div',
              { class: 'expression-error', role: 'alert' },
              h('span', {}, item.message),
              item.source !== undefined
                ? h('pre', { class: 'caret' }, `${item.source}\n${item.marker ?? ''}`)
                : '',
            )
          : h('span', { class: 'error' }, (error as Error).message),
      );
    }
    renderStart();
    showPreview();
  }, 250);

  function renderObjective(): void {
    builtinFields = {};
    dimField = null;
    modelFields = {};
    boxInputs.forEach((input) => {
      input.value = '';
    });
    if (kind() === 'builtin') {
      const entry = objectiveEntry(catalogs, builtinName());
      formula.textContent = entry ? entry.latex.replace(/\\,|\\left|\\right/g, '').replace(/\\/g, '') : '';
      const fields: HTMLElement[] = [];
      if (entry?.anyDim) {
        dimField = numberInput(
          'dim',
          String(entry.defaultDim),
          `Dimension (at least ${entry.minDim}); the contour needs 2.`,
          'objective-dim',
        );
        fields.push(dimField.element);
        dimField.element.querySelector('input')?.addEventListener('change', () => {
          renderStart();
          showPreview();
        });
      }
      for (const [name, param] of Object.entries(entry?.params ?? {})) {
        const field =
          typeof param.default === 'boolean'
            ? parameterInput(
                { name, type: 'boolean', default: param.default, range: '', description: param.description },
                'objective',
              )
            : numberInput(name, String(param.default), param.description, `objective-${name}`);
        builtinFields[name] = field;
        field.element.querySelector('input')?.addEventListener('change', showPreview);
        fields.push(field.element);
      }
      replaceChildren(objectiveDetails, formula, h('div', { class: 'row wrap' }, ...fields));
    } else if (kind() === 'expression') {
      replaceChildren(
        objectiveDetails,
        h('label', { class: 'field wide', for: 'expression' }, h('span', {}, 'f(…) ='), expressionInput),
        expressionStatus,
        h(
          'p',
          { class: 'muted small' },
          '+ − * / ^, parentheses, pi, e, sin cos tan exp log sqrt abs tanh sinh cosh atan asin acos min max pow.',
        ),
      );
      checkExpression();
    } else if (modelCatalog === undefined) {
      replaceChildren(objectiveDetails, notice('loading', 'Loading the models…'));
      loadModelCatalog().then(
        (catalog) => {
          modelCatalog = catalog;
          if (catalog) fillModelSelects(catalog);
          if (kind() === 'model') renderObjective();
        },
        (error) =>
          replaceChildren(objectiveDetails, notice('error', `No model catalog: ${(error as Error).message}`)),
      );
    } else if (modelCatalog === null) {
      replaceChildren(
        objectiveDetails,
        notice('empty', 'This server has no model objectives (GET /v1/catalog/models is a 404).'),
      );
    } else {
      const options = modelCatalog.models.find((model) => model.name === modelSelect.value)?.options ?? [];
      const optionFields: [string, string, string][] =
        options.length > 0
          ? options
              .filter((option) => !['hidden', 'activation', 'task'].includes(option.name))
              .map((option) => [
                option.name,
                option.default === null || option.default === undefined ? '' : String(option.default),
                option.description,
              ])
          : MODEL_OPTIONS;
      modelFields = Object.fromEntries(
        optionFields.map(([name, placeholder, hint]) => [
          name,
          numberInput(name, placeholder, hint, `model-${name}`),
        ]),
      );
      mlpRow.hidden = modelSelect.value !== 'mlp';
      replaceChildren(
        objectiveDetails,
        h(
          'div',
          { class: 'row wrap' },
          h('label', { class: 'field' }, h('span', {}, 'model'), modelSelect),
          h('label', { class: 'field' }, h('span', {}, 'data'), datasetSelect),
        ),
        uploadRow,
        mlpRow,
        h('div', { class: 'row wrap' }, ...Object.values(modelFields).map((field) => field.element)),
      );
    }
    patienceField.element.hidden = kind() !== 'model';
    renderStart();
    showPreview();
  }

  function renderSchedule(): void {
    scheduleFields = Object.fromEntries(
      (SCHEDULES[scheduleSelect.value] ?? []).map(([name, placeholder]) => [
        name,
        numberInput(name, placeholder, `${scheduleSelect.value} ${name}`, `schedule-${name}`),
      ]),
    );
    replaceChildren(
      scheduleDetails,
      ...Object.values(scheduleFields).map((field) => field.element),
      warmupField.element,
    );
  }

  function addCard(name: string): void {
    const index = cards.length;
    const select = h(
      'select',
      { 'aria-label': 'Optimizer', name: 'optimizer' },
      ...catalogs.optimizers.map((entry) =>
        h('option', { value: entry.name, selected: entry.name === name }, entry.name),
      ),
    );
    const fieldsSlot = h('div', { class: 'row wrap' });
    const swatch = h('span', { class: 'swatch' });
    let fields: Record<string, FieldInput> = {};
    const removeButton = h(
      'button',
      { type: 'button', class: 'icon', title: 'Remove', 'aria-label': 'Remove optimizer' },
      '×',
    );
    const element = h(
      'div',
      { class: 'optimizer-card' },
      h('div', { class: 'card-head' }, swatch, select, removeButton),
      fieldsSlot,
    );
    const render = () => {
      const entry = optimizerEntry(catalogs, select.value);
      fields = Object.fromEntries(
        (entry?.parameters ?? []).map((parameter) => [
          parameter.name,
          parameterInput(parameter, `opt${index}`),
        ]),
      );
      replaceChildren(fieldsSlot, ...Object.values(fields).map((field) => field.element));
      renderRules();
    };
    select.addEventListener('change', render);
    const card: OptimizerCard = {
      element,
      name: () => select.value,
      spec: () => ({ name: select.value, ...collect(fields) }) as OptimizerInput,
    };
    removeButton.addEventListener('click', () => {
      if (cards.length <= 1) return;
      cards.splice(cards.indexOf(card), 1);
      element.remove();
      recolor();
      renderRules();
    });
    cards.push(card);
    cardList.appendChild(element);
    render();
    recolor();
  }

  function recolor(): void {
    cards.forEach((card, k) => {
      const swatch = card.element.querySelector<HTMLElement>('.swatch');
      if (swatch) swatch.style.background = mode() === 'sweep' && k > 0 ? 'transparent' : runColor(k);
      card.element.classList.toggle('inactive', (mode() === 'single' || mode() === 'sweep') && k > 0);
    });
  }

  function renderRules(): void {
    replaceChildren(
      ruleText,
      ...cards.map((card) => {
        const entry = optimizerEntry(catalogs, card.name());
        return entry ? h('p', {}, h('b', {}, `${entry.title}: `), entry.rule.text) : '';
      }),
    );
  }

  function commonSpec(): Omit<RunSpecInput, 'optimizer'> {
    const spec: Record<string, unknown> = { objective: objectiveSpec() };
    const x0 = startPoint();
    if (x0) spec.start = { x0 };
    const stop = collect(stopFields);
    if (kind() === 'model') Object.assign(stop, collect({ patience: patienceField }));
    if (Object.keys(stop).length > 0) spec.stop = stop;
    const record = collect(recordFields);
    if (Object.keys(record).length > 0) spec.record = record;
    const seed = seedField.value();
    if (seed !== undefined) spec.seed = seed;
    const schedule = { type: scheduleSelect.value, ...collect(scheduleFields) } as Record<string, unknown>;
    const warmup = warmupField.value();
    if (warmup !== undefined) schedule.warmup = { steps: warmup };
    if (schedule.type !== 'constant' || schedule.warmup) spec.schedule = schedule;
    return spec as Omit<RunSpecInput, 'optimizer'>;
  }

  /** Uploads the chosen CSV (once per file and target) and points the objective at it. */
  async function withDataset(spec: Omit<RunSpecInput, 'optimizer'>): Promise<void> {
    if (kind() !== 'model' || datasetSelect.value !== 'upload') return;
    const file = csvInput.files?.[0];
    const target = targetInput.value.trim();
    if (!file || target === '') throw new Error('Choose a CSV file and name its target column.');
    if (!uploadedDataset || uploadedDataset.file !== file || uploadedDataset.target !== target) {
      const dataset = await api<Dataset>(`/v1/datasets?target=${encodeURIComponent(target)}`, {
        method: 'POST',
        rawBody: await file.text(),
        headers: { 'content-type': 'text/csv' },
      });
      uploadedDataset = { file, target, id: dataset.id };
    }
    (spec.objective as { data: unknown }).data = { datasetId: uploadedDataset.id };
  }

  function resultUrl(route: Parameters<typeof routeUrl>[0]): string {
    const chosen = boxInputs.every((input) => input.value.trim() !== '') ? box() : null;
    return routeUrl(
      route,
      chosen ? { box: [chosen.x[0], chosen.x[1], chosen.y[0], chosen.y[1]] } : undefined,
    );
  }

  /** Sends the runs as one comparison, or as a batch of jobs where the server has no comparisons. */
  async function startMany(
    common: Omit<RunSpecInput, 'optimizer'>,
    runs: { optimizer: OptimizerInput; label: string }[],
    body: ComparisonInput,
  ): Promise<string> {
    try {
      const comparison = await api<{ id: string }>('/v1/comparisons', { method: 'POST', body });
      return resultUrl({ view: 'comparison', id: comparison.id });
    } catch (error) {
      // 404: this server has no comparisons API (before #13).
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
    // One seed for all, as a comparison would have; the jobs go in parallel (at most 50).
    const seed = (common as { seed?: number }).seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
    const label = (common as { label?: string }).label;
    const jobs = await Promise.all(
      runs.map((run) =>
        api<Job>('/v1/jobs', {
          method: 'POST',
          body: {
            ...common,
            seed,
            optimizer: run.optimizer,
            label: label ? `${label}: ${run.label}` : run.label,
          },
        }),
      ),
    );
    return resultUrl({ view: 'jobs', ids: jobs.map((job) => job.id) });
  }

  async function submit(): Promise<void> {
    const common = commonSpec();
    await withDataset(common);
    const label = labelInput.value.trim();
    if (mode() === 'single') {
      const job = await api<Job>('/v1/jobs', {
        method: 'POST',
        body: { ...common, optimizer: cards[0].spec(), ...(label ? { label } : {}) },
      });
      return navigate(resultUrl({ view: 'job', id: job.id }));
    }
    if (mode() === 'compare') {
      const names = cards.map((card) => card.name());
      const runs = cards.map((card, k) => {
        const name = card.name();
        const repeats = names.filter((other) => other === name).length;
        return {
          optimizer: card.spec(),
          label:
            repeats > 1 ? `${name} #${names.slice(0, k + 1).filter((other) => other === name).length}` : name,
        };
      });
      const body = {
        ...common,
        runs: runs.map((run) => ({ optimizer: run.optimizer })),
        ...(label ? { label } : {}),
      } as ComparisonInput;
      return navigate(
        await startMany({ ...common, ...(label ? { label } : {}) } as typeof common, runs, body),
      );
    }
    const lo = Number(sweepFields.from.value() ?? 1e-4);
    const hi = Number(sweepFields.to.value() ?? 1);
    const count = Number(sweepFields.count.value() ?? 9);
    const values = logspace(lo, hi, count);
    const optimizer = cards[0].spec();
    const runs = values.map((lr) => ({
      optimizer: { ...optimizer, lr } as OptimizerInput,
      label: `${optimizer.name} lr=${lr}`,
    }));
    const body = {
      ...common,
      sweep: { optimizer, param: 'lr', values },
      ...(label ? { label } : {}),
    } as ComparisonInput;
    return navigate(await startMany({ ...common, ...(label ? { label } : {}) } as typeof common, runs, body));
  }

  const form = h(
    'form',
    { class: 'start-form', novalidate: true },
    section(
      'Objective',
      h('label', { class: 'field wide', for: 'objective-kind' }, h('span', {}, 'objective'), kindSelect),
      objectiveDetails,
    ),
    section('Optimizers', cardList, addButton),
    section(
      'Run',
      h(
        'div',
        { class: 'modes' },
        ...modeInputs.map((input, k) =>
          h(
            'label',
            { class: 'check', for: input.id },
            input,
            ['one job', 'compare optimizers', 'lr sweep of the first'][k],
          ),
        ),
      ),
      sweepRow,
    ),
    section('Start point', startInputs, startHint, boxRow),
    h(
      'details',
      { class: 'form-section more' },
      h('summary', { class: 'summary' }, 'Schedule, stop rules, recording'),
      h(
        'div',
        { class: 'row wrap' },
        h('label', { class: 'field' }, h('span', {}, 'schedule'), scheduleSelect),
        scheduleDetails,
      ),
      h(
        'div',
        { class: 'row wrap' },
        ...Object.values(stopFields).map((field) => field.element),
        patienceField.element,
      ),
      h(
        'div',
        { class: 'row wrap' },
        recordFields.every.element,
        recordFields.maxPoints.element,
        seedField.element,
        h('label', { class: 'field' }, h('span', {}, 'label'), labelInput),
      ),
    ),
    h('div', { class: 'submit-row' }, submitButton, message),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submitButton.disabled = true;
    submitButton.textContent = 'Starting…';
    replaceChildren(message);
    try {
      await submit();
    } catch (error) {
      replaceChildren(message, errorList(error));
    } finally {
      submitButton.disabled = false;
      submitButton.textContent = 'Start';
    }
  });
  kindSelect.addEventListener('change', renderObjective);
  expressionInput.addEventListener('input', () => {
    replaceChildren(expressionStatus, h('span', { class: 'muted' }, 'checking…'));
    checkExpression();
  });
  modelSelect.addEventListener('change', renderObjective);
  datasetSelect.addEventListener('change', () => {
    uploadRow.hidden = datasetSelect.value !== 'upload';
  });
  scheduleSelect.addEventListener('change', renderSchedule);
  for (const input of boxInputs) input.addEventListener('change', showPreview);
  startInputs.addEventListener('change', () => {
    const point = startPoint();
    if (point && point.length === 2) contour?.setStart([point[0], point[1]]);
  });
  for (const input of modeInputs) {
    input.addEventListener('change', () => {
      sweepRow.hidden = mode() !== 'sweep';
      recolor();
    });
  }
  addButton.addEventListener('click', () => {
    const used = new Set(cards.map((card) => card.name()));
    addCard(
      ['adam', 'momentum', 'rmsprop', 'sgd', 'adagrad', 'adamw', 'lbfgs', 'newton'].find(
        (name) => !used.has(name),
      ) ?? 'sgd',
    );
  });

  for (const name of ['momentum', 'rmsprop', 'adam']) addCard(name);
  renderObjective();
  renderSchedule();

  const element = h(
    'div',
    { class: 'start-view' },
    h('div', { class: 'start-form-column' }, h('h2', { class: 'view-title' }, 'New run'), form),
    h('aside', { class: 'panel preview' }, h('h3', {}, 'Objective'), preview, ruleText),
  );
  return {
    element,
    destroy() {
      contour?.destroy();
    },
  };
}
