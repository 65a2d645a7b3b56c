/**
 * WebGPU's numeric flags (GPUBufferUsage, GPUMapMode, GPUShaderStage), as the specification
 * fixes them. Spelled out here so the core never depends on globals a host may not install
 * (the Node binding exposes them only after `Object.assign(globalThis, globals)`).
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const MapMode = { READ: 0x0001 } as const;

export const ShaderStage = { COMPUTE: 0x4 } as const;

/** Invocations per workgroup of every 1-D kernel; the tree reductions assume this power of two. */
export const WORKGROUP_SIZE = 256;

/** Workgroups per dimension a dispatch may use (WebGPU's default limit). */
export const MAX_WORKGROUPS = 65_535;

/** Uniform dynamic offsets must be multiples of this (WebGPU's default minUniformBufferOffsetAlignment). */
export const UNIFORM_ALIGNMENT = 256;
