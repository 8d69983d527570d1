// Client sockets of the load generators come from many loopback source addresses: one address pair has only
// ~28,000 ephemeral ports, fewer than the connections a benchmark opens.

/** The source address of client socket number `index` (127.0.0.2 to 127.0.0.201). */
export function localAddress(index: number): string {
  return `127.0.0.${2 + (index % 200)}`;
}
