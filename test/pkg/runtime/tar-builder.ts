// Writes small npm-style tarballs (gzip'd ustar, pax headers for long names) for the tarball and obtainRuntime
// tests, including hostile ones: a name with "..", an absolute name, a pax path override, a duplicate member.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface TarMember {
  name: string;
  data?: Buffer | string;
  /** '0' file (default), '5' directory, '2' symlink. */
  type?: string;
  mode?: number;
  linkname?: string;
  /** Put the name in a pax 'x' header (and a placeholder in the ustar name), as npm does for long names. */
  pax?: boolean;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, type: string, mode: number, linkname = ''): Buffer {
  const block = Buffer.alloc(512);
  block.write(name.slice(0, 100), 0, 'utf8');
  block.write(octal(mode, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  block.write(octal(size, 12), 124, 'latin1');
  block.write(octal(499162500, 12), 136, 'latin1');
  block.write('        ', 148, 'latin1');
  block.write(type, 156, 'latin1');
  block.write(linkname, 157, 'utf8');
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
}

/** The uncompressed tar bytes. */
export function tarBytes(members: TarMember[]): Buffer {
  const blocks: Buffer[] = [];
  for (const member of members) {
    const data = Buffer.from(member.data ?? '');
    const type = member.type ?? '0';
    if (member.pax) {
      const records = Buffer.from(paxRecord('path', member.name), 'utf8');
      blocks.push(header('PaxHeader/placeholder', records.length, 'x', 0o644), padded(records));
    }
    blocks.push(header(member.pax ? 'placeholder' : member.name, type === '0' ? data.length : 0, type, member.mode ?? (type === '5' ? 0o755 : 0o644), member.linkname));
    if (type === '0') blocks.push(padded(data));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function tgzBytes(members: TarMember[]): Buffer {
  return gzipSync(tarBytes(members));
}

/** npm's integrity string of some bytes. */
export function integrityOfBytes(bytes: Buffer): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}
