/**
 * Compile-time agreement between a zod schema's output and the core type it produces: `Agrees<A,
 * B>` is `true` only when each is assignable to the other, and `Assert<…>` refuses anything else.
 * The core's spec types (src/core/spec.ts) are written by hand so the core needs no zod; these
 * checks keep the schemas from drifting away from them.
 */
export type Agrees<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export type Assert<T extends true> = T;
