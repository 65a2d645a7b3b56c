import type { OptimizerCatalogEntry } from './api-types.ts';
import { h } from './dom.ts';

/**
 * Form inputs built from the catalogs: a parameter's input by its type (numbers as text, so
 * 1e-3 can be typed; booleans as checkboxes; string enums as selects), with its default as the
 * placeholder and its valid range as the hint. An empty input is left out of the request, so
 * the server's default applies.
 */

export type Parameter = OptimizerCatalogEntry['parameters'][number];

/** `"a" | "b"` (the catalog's range of a string enum) → ['a', 'b']. */
export function choices(range: string): string[] {
  return [...range.matchAll(/"([^"]+)"/g)].map((match) => match[1]);
}

export interface FieldInput {
  element: HTMLElement;
  /** The value to send, or undefined to leave the server's default. */
  value(): unknown;
}

export function parameterInput(parameter: Parameter, idPrefix: string): FieldInput {
  const id = `${idPrefix}-${parameter.name}`;
  const hint = `${parameter.description}${parameter.range ? ` Range: ${parameter.range}.` : ''}`;
  if (parameter.type === 'boolean') {
    const input = h('input', {
      type: 'checkbox',
      id,
      name: parameter.name,
      checked: parameter.default === true,
    });
    return {
      element: h('label', { class: 'check field', title: hint }, input, parameter.name),
      value: () => (input.checked === (parameter.default === true) ? undefined : input.checked),
    };
  }
  if (parameter.type === 'string') {
    const options = choices(parameter.range);
    const select = h(
      'select',
      { id, name: parameter.name },
      ...options.map((option) =>
        h('option', { value: option, selected: option === parameter.default }, option),
      ),
    );
    return {
      element: h('label', { class: 'field', for: id, title: hint }, h('span', {}, parameter.name), select),
      value: () => (select.value === parameter.default ? undefined : select.value),
    };
  }
  return numberInput(
    parameter.name,
    parameter.default === null ? 'none' : String(parameter.default),
    hint,
    id,
  );
}

export function numberInput(name: string, placeholder: string, hint: string, id: string): FieldInput {
  const input = h('input', {
    type: 'text',
    inputmode: 'decimal',
    id,
    name,
    placeholder,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  return {
    element: h('label', { class: 'field', for: id, title: hint }, h('span', {}, name), input),
    value: () => {
      const text = input.value.trim();
      if (text === '') return undefined;
      const value = Number(text);
      // Sent as typed when it is not a number: the server names the field in its 400.
      return Number.isFinite(value) ? value : text;
    },
  };
}

/** Collects the non-default values of inputs into an object. */
export function collect(fields: Record<string, FieldInput>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    const value = field.value();
    if (value !== undefined) values[name] = value;
  }
  return values;
}

/** n values from lo to hi, evenly spaced in log10 (a sweep's lr values), rounded to 3 digits. */
export function logspace(lo: number, hi: number, n: number): number[] {
  if (n <= 1) return [lo];
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  return Array.from({ length: n }, (_, k) => Number((10 ** (a + ((b - a) * k) / (n - 1))).toPrecision(3)));
}
