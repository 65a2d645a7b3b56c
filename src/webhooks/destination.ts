import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may go (API.md "Webhooks"). A destination is refused when its host is, or
 * resolves to, a loopback, private, link-local, metadata or otherwise non-public address, unless
 * the host is listed in WEBHOOK_ALLOWED_HOSTS; plain `http:` only for listed hosts. The API
 * checks at validation (400), and the worker checks again at send time on the addresses it is
 * about to connect to (`connectAddress`), so a name that resolved to a public address when the
 * job was submitted and to a private one later (DNS rebinding) is still refused. The resolver is
 * injectable: tests give names any addresses without a DNS server.
 */

/** Resolves a host name to its addresses (like dns.lookup with `all`). */
export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

export interface DestinationPolicy {
  /** Lower-case host names and addresses (IPv6 without brackets) exempt from the address rules. */
  allowedHosts: readonly string[];
  resolver: Resolver;
}

/** Names that are never public, whatever they resolve to. */
const PRIVATE_NAMES =
  /^(localhost|.*\.localhost|localhost\.localdomain|metadata|metadata\.google\.internal|metadata\.goog|instance-data|instance-data\.ec2\.internal)\.?$/;

/** Non-public ranges by kind (RFC 6890 special-purpose registries, and cloud metadata endpoints). */
const RANGES: [kind: string, network: string, prefix: number, family: 'ipv4' | 'ipv6'][] = [
  ['metadata', '169.254.169.254', 32, 'ipv4'],
  ['metadata', '100.100.100.200', 32, 'ipv4'],
  ['metadata', 'fd00:ec2::254', 128, 'ipv6'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['loopback', '::1', 128, 'ipv6'],
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['private', '100.64.0.0', 10, 'ipv4'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '192.0.2.0', 24, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '198.51.100.0', 24, 'ipv4'],
  ['reserved', '203.0.113.0', 24, 'ipv4'],
  ['reserved', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['reserved', '2001:db8::', 32, 'ipv6'],
  ['reserved', 'ff00::', 8, 'ipv6'],
  ['reserved', '64:ff9b::', 96, 'ipv6'],
  ['reserved', '2002::', 16, 'ipv6'],
];

const LISTS = new Map<string, BlockList>();
for (const [kind, network, prefix, family] of RANGES) {
  let list = LISTS.get(kind);
  if (list === undefined) {
    list = new BlockList();
    LISTS.set(kind, list);
  }
  list.addSubnet(network, prefix, family);
}

/**
 * The kind of non-public address `address` is (`loopback`, `private`, `link-local`, `metadata`,
 * `unspecified`, `reserved`), or null for a public one. IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is
 * judged as its IPv4 address.
 */
export function addressKind(address: string): string | null {
  let host = address.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (mapped) host = mapped[1];
  const family = isIP(host);
  if (family === 0) return null;
  for (const [kind, list] of LISTS) if (list.check(host, family === 4 ? 'ipv4' : 'ipv6')) return kind;
  // ::ffff:a.b.c.d written in hex (::ffff:a0a:1) is mapped too.
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (hexMapped) {
    const high = Number.parseInt(hexMapped[1], 16);
    const low = Number.parseInt(hexMapped[2], 16);
    return addressKind(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  return null;
}

/** A destination refused by the rules (the API answers 400; the worker gives the delivery up). */
export class DestinationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefusedError';
  }
}

/** The URL's host as compared with WEBHOOK_ALLOWED_HOSTS: lower case, IPv6 without brackets. */
export function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

function isAllowed(host: string, policy: DestinationPolicy): boolean {
  return policy.allowedHosts.includes(host);
}

const LISTED = "unless listed in the server's WEBHOOK_ALLOWED_HOSTS";

/** Refusal by the URL alone (scheme, a literal address, a private name); null when it may go on. */
function refusalOf(url: URL, host: string): string | null {
  if (url.protocol === 'http:')
    return `plain http is allowed only for hosts listed in the server's WEBHOOK_ALLOWED_HOSTS; use https`;
  const kind = addressKind(host);
  if (kind !== null) return `${host} is a ${kind} address, refused ${LISTED}`;
  if (PRIVATE_NAMES.test(host)) return `${host} names a local or metadata host, refused ${LISTED}`;
  return null;
}

/** The first non-public address among `addresses`, as a refusal message; null when all are public. */
function resolvedRefusal(host: string, addresses: readonly { address: string }[]): string | null {
  for (const { address } of addresses) {
    const kind = addressKind(address);
    if (kind !== null) return `${host} resolves to ${address}, a ${kind} address, refused ${LISTED}`;
  }
  return null;
}

/**
 * Checks a webhook URL at validation: null when it may be used, else why not. A name that does not
 * resolve now is accepted (the send-time check decides), except when the resolver says it does
 * not exist at all (ENOTFOUND).
 */
export async function checkDestination(urlText: string, policy: DestinationPolicy): Promise<string | null> {
  const url = new URL(urlText);
  const host = hostOf(url);
  if (isAllowed(host, policy)) return null;
  const refusal = refusalOf(url, host);
  if (refusal !== null || isIP(host) !== 0) return refusal;
  let addresses: { address: string }[];
  try {
    addresses = await policy.resolver(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOTFOUND' ? `${host} does not resolve (no such host)` : null;
  }
  return resolvedRefusal(host, addresses);
}

/**
 * The address a delivery connects to: the URL's host resolved now, every address checked (a
 * listed host is exempt). Throws DestinationRefusedError when the destination is refused.
 */
export async function connectAddress(
  url: URL,
  policy: DestinationPolicy,
): Promise<{ address: string; family: number }> {
  const host = hostOf(url);
  const allowed = isAllowed(host, policy);
  if (!allowed) {
    const refusal = refusalOf(url, host);
    if (refusal !== null) throw new DestinationRefusedError(refusal);
  }
  const family = isIP(host);
  if (family !== 0) return { address: host, family };
  const addresses = await policy.resolver(host);
  if (addresses.length === 0) throw new Error(`${host} resolved to no address`);
  if (!allowed) {
    const refusal = resolvedRefusal(host, addresses);
    if (refusal !== null) throw new DestinationRefusedError(refusal);
  }
  return addresses[0];
}
