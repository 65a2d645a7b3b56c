/**
 * Host ↔ WGSL structs of 4-byte scalars, declared once: the WGSL `struct` text and the host's
 * packing and unpacking are generated from the same field list, so their layouts cannot drift.
 * Every field is a u32 or f32 (4-byte aligned, no padding); the size is rounded up to 16 bytes
 * as uniform buffers require.
 */
export type ScalarType = 'u32' | 'f32';

export type StructFields = readonly (readonly [string, ScalarType])[];

export class StructLayout<F extends StructFields> {
  readonly byteLength: number;
  private readonly index: Map<string, number>;

  constructor(
    readonly name: string,
    readonly fields: F,
  ) {
    this.index = new Map(fields.map(([field], k) => [field, k]));
    this.byteLength = Math.ceil((fields.length * 4) / 16) * 16;
  }

  /** `struct Name { field: type, … }` */
  wgsl(): string {
    return `struct ${this.name} {\n${this.fields.map(([field, type]) => `  ${field}: ${type},`).join('\n')}\n}`;
  }

  /**
   * Writes `values` into `target` at byte `offset` (fields not named are left as they are);
   * u32 fields are truncated to integers, f32 fields rounded to float32.
   */
  pack(values: Partial<Record<F[number][0], number>>, target: ArrayBuffer, offset = 0): void {
    const view = new DataView(target, offset, this.byteLength);
    for (const [field, value] of Object.entries(values) as [string, number][]) {
      const k = this.index.get(field);
      if (k === undefined) throw new Error(`${this.name} has no field ${field}`);
      if (this.fields[k][1] === 'u32') view.setUint32(k * 4, value, true);
      else view.setFloat32(k * 4, value, true);
    }
  }

  unpack(source: ArrayBuffer, offset = 0): Record<F[number][0], number> {
    const view = new DataView(source, offset, this.byteLength);
    const out: Record<string, number> = {};
    this.fields.forEach(([field, type], k) => {
      out[field] = type === 'u32' ? view.getUint32(k * 4, true) : view.getFloat32(k * 4, true);
    });
    return out as Record<F[number][0], number>;
  }
}
