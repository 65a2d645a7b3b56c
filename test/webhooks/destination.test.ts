import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  addressKind,
  checkDestination,
  connectAddress,
  type Resolver,
} from '../../src/webhooks/destination.ts';
import { violations } from '../helpers/loopback-guard.ts';

/** The webhook destination rules, with an injected resolver (no DNS server is asked). */

const resolverOf =
  (table: Record<string, string[]>): Resolver =>
  async (host) => {
    const addresses = table[host];
    if (addresses === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: net.isIP(address) }));
  };

describe('addressKind', () => {
  it('names loopback, private, link-local, metadata and reserved addresses, and passes public ones', () => {
    expect(addressKind('127.0.0.1')).toBe('loopback');
    expect(addressKind('127.255.0.9')).toBe('loopback');
    expect(addressKind('::1')).toBe('loopback');
    expect(addressKind('[::1]')).toBe('loopback');
    expect(addressKind('10.0.0.1')).toBe('private');
    expect(addressKind('172.16.5.4')).toBe('private');
    expect(addressKind('172.32.0.1')).toBeNull();
    expect(addressKind('192.168.1.1')).toBe('private');
    expect(addressKind('100.64.0.1')).toBe('private');
    expect(addressKind('fd12:3456::1')).toBe('private');
    expect(addressKind('169.254.169.254')).toBe('metadata');
    expect(addressKind('fd00:ec2::254')).toBe('metadata');
    expect(addressKind('169.254.10.10')).toBe('link-local');
    expect(addressKind('fe80::1')).toBe('link-local');
    expect(addressKind('0.0.0.0')).toBe('unspecified');
    expect(addressKind('::')).toBe('unspecified');
    expect(addressKind('224.0.0.1')).toBe('reserved');
    expect(addressKind('::ffff:10.0.0.1')).toBe('private');
    expect(addressKind('::ffff:a00:1')).toBe('private');
    expect(addressKind('::ffff:7f00:1')).toBe('loopback');
    expect(addressKind('93.184.216.34')).toBeNull();
    expect(addressKind('2606:4700::1111')).toBeNull();
  });
});

describe('checkDestination', () => {
  const policy = {
    allowedHosts: ['127.0.0.1', 'hooks.internal'],
    resolver: resolverOf({
      'ci.example.org': ['93.184.216.34'],
      'inside.example.org': ['93.184.216.34', '10.1.2.3'],
      'hooks.internal': ['10.9.9.9'],
      localhost: ['127.0.0.1'],
    }),
  };

  it('accepts https to a public host, and anything to a listed host', async () => {
    expect(await checkDestination('https://ci.example.org/hooks', policy)).toBeNull();
    expect(await checkDestination('http://127.0.0.1:8080/hook', policy)).toBeNull();
    expect(await checkDestination('http://hooks.internal/hook', policy)).toBeNull();
  });

  it('refuses private, loopback, link-local and metadata destinations, and plain http, when not listed', async () => {
    expect(await checkDestination('https://10.0.0.1/h', policy)).toMatch(/10\.0\.0\.1 is a private address/);
    expect(await checkDestination('https://169.254.169.254/latest', policy)).toMatch(/metadata address/);
    expect(await checkDestination('https://localhost/h', policy)).toMatch(
      /localhost names a local or metadata host/,
    );
    expect(await checkDestination('https://[::1]/h', policy)).toMatch(/::1 is a loopback address/);
    expect(await checkDestination('https://metadata.google.internal/x', policy)).toMatch(
      /local or metadata host/,
    );
    expect(await checkDestination('https://inside.example.org/h', policy)).toMatch(/resolves to 10\.1\.2\.3/);
    expect(await checkDestination('http://ci.example.org/h', policy)).toMatch(/plain http is allowed only/);
    expect(await checkDestination('https://nowhere.example/h', policy)).toMatch(/does not resolve/);
  });

  it('checks the resolved address again at send time', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => [
      { address: calls++ === 0 ? '93.184.216.34' : '10.0.0.7', family: 4 },
    ];
    const url = 'https://rebind.example.org/h';
    expect(await checkDestination(url, { allowedHosts: [], resolver: rebinding })).toBeNull();
    await expect(connectAddress(new URL(url), { allowedHosts: [], resolver: rebinding })).rejects.toThrow(
      /resolves to 10\.0\.0\.7, a private address/,
    );
  });
});

describe('the loopback guard of these tests', () => {
  it('throws on a connection to anything but loopback', () => {
    expect(() => net.connect({ host: '10.0.0.1', port: 9 })).toThrow(/loopback guard/);
    expect(violations).toEqual(['10.0.0.1']);
    violations.length = 0;
  });
});
