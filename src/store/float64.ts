/**
 * The one float64 codec of the service: parameters as little-endian IEEE 754 doubles, 8 bytes
 * each, as the store keeps them (`{p}:job:{id}:params`) and as GET /v1/jobs/{id}/params serves
 * them with `Accept: application/octet-stream`. On a little-endian host (every platform Node runs
 * on in practice) encoding is a view and decoding one copy.
 */

const hostLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian float64 bytes of `values`. */
export function float64Bytes(values: Float64Array): Buffer {
  if (hostLittleEndian) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const bytes = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i], i * 8);
  return bytes;
}

/** The Float64Array of little-endian float64 bytes (copied, so it is aligned and owned). */
export function float64FromBytes(bytes: Buffer): Float64Array {
  const out = new Float64Array(Math.floor(bytes.length / 8));
  if (hostLittleEndian) new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 8));
  else for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8);
  return out;
}
