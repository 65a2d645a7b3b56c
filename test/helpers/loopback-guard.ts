import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import net from 'node:net';
import { afterAll } from 'vitest';

/**
 * Guards a test file's process against connections to anything but loopback: import it first in
 * a test file that could send traffic (webhooks). Every net.Socket connect is checked: unix
 * sockets and loopback addresses (127.0.0.0/8, ::1) pass; a literal address elsewhere throws at
 * once; a host name is resolved by the connect's own lookup (or dns.lookup), and a non-loopback
 * answer fails the connect before any packet leaves. Each violation is also recorded, and the
 * file fails in afterAll when there was one, even if the code under test swallowed the error.
 */

export const violations: string[] = [];

function isLoopback(address: string): boolean {
  const host = address.replace(/^\[(.*)\]$/, '$1').replace(/^::ffff:/, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1';
}

type ConnectOptions = { host?: string; path?: string; lookup?: LookupFunction };

const original = net.Socket.prototype.connect;

const systemLookup = dnsLookup as unknown as LookupFunction;

function guardedLookup(lookup: LookupFunction | undefined): LookupFunction {
  const base = lookup ?? systemLookup;
  return (host, options, callback) => {
    base(host, options, (error, address, family) => {
      if (error) return callback(error, address as string, family);
      const addresses = Array.isArray(address) ? address.map((entry) => entry.address) : [address as string];
      const outside = addresses.find((candidate) => !isLoopback(candidate));
      if (outside !== undefined) {
        violations.push(`${host} → ${outside}`);
        return callback(new Error(`loopback guard: ${host} resolved to ${outside}, not loopback`), '', 4);
      }
      callback(null, address as string, family);
    });
  };
}

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const first = args[0];
  const options: ConnectOptions | null =
    typeof first === 'object' && first !== null && !Array.isArray(first)
      ? (first as ConnectOptions)
      : Array.isArray(first) && typeof first[0] === 'object'
        ? (first[0] as ConnectOptions)
        : null;
  if (options !== null && options.path === undefined) {
    const host = options.host ?? 'localhost';
    if (net.isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0) {
      if (!isLoopback(host)) {
        violations.push(host);
        throw new Error(`loopback guard: a connection to ${host}, not loopback`);
      }
    } else {
      options.lookup = guardedLookup(options.lookup);
    }
  } else if (typeof first === 'number' || typeof first === 'string') {
    const host = typeof args[1] === 'string' ? args[1] : 'localhost';
    if (typeof first === 'number' && !isLoopback(host === 'localhost' ? '127.0.0.1' : host)) {
      violations.push(host);
      throw new Error(`loopback guard: a connection to ${host}, not loopback`);
    }
  }
  return (original as (...rest: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

afterAll(() => {
  if (violations.length > 0) throw new Error(`connections outside loopback: ${violations.join(', ')}`);
});
