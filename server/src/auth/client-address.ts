// The address a request came from, for throttling and logs. Behind a reverse proxy every request comes from the
// proxy, so X-Forwarded-For is read, but only when the peer is a configured trusted proxy: anyone else could write
// any address there and escape (or aim) the per-address limits.
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is `10.0.0.1`. */
function normalize(address: string): string {
  const trimmed = address.trim();
  return trimmed.toLowerCase().startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

/** Parse `UNTETHER_TRUSTED_PROXIES` entries (addresses or CIDR ranges); throws naming the bad entry. */
export function parseTrustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const rawEntry of entries) {
    const entry = rawEntry.trim();
    if (entry === '') continue;
    const [address = '', prefixText, ...rest] = entry.split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? undefined : Number(prefixText);
    const maxPrefix = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0 || (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix))) {
      throw new Error(`trusted proxy "${entry}": expected an IP address or a CIDR range such as 10.0.0.0/8`);
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address: the socket peer, or, when the peer is a trusted proxy, the right-most X-Forwarded-For entry
 * that is not itself a trusted proxy (entries left of it were written by the client and prove nothing).
 */
export function clientAddress(request: IncomingMessage, trustedProxies: BlockList): string {
  const peer = normalize(request.socket.remoteAddress ?? 'unknown');
  if (!isTrusted(trustedProxies, peer)) return peer;
  const header = request.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map(normalize).filter((hop) => hop !== '');
  for (let index = hops.length - 1; index >= 0; index -= 1) {
    const hop = hops[index] ?? '';
    if (isIP(hop) === 0) return peer; // a malformed hop: trust nothing further left
    if (!isTrusted(trustedProxies, hop)) return hop;
  }
  return hops[0] ?? peer;
}
