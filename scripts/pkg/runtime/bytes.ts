// Bounded random access to a file or buffer. The runtime is ~147 MB, so the Mach-O and signature readers take a
// ByteSource and read only what they need (headers, the signature blob, pages one chunk at a time) instead of
// loading the file; every read is checked against the size so a lying offset is an error, not a short read.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { RuntimeError } from './errors.js';

export interface ByteSource {
  /** What the bytes are, for error messages (a path, "slice arm64 of /x/node"). */
  readonly name: string;
  readonly size: number;
  /** Exactly `length` bytes at `offset`; throws bad-macho naming `what` when they are not all there. */
  read(offset: number, length: number, what: string): Buffer;
}

function checkRange(source: { name: string; size: number }, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > source.size) {
    throw new RuntimeError('bad-macho', `reading ${what} of ${source.name}: bytes ${offset}..${offset + length} are outside the ${source.size}-byte file`);
  }
}

export function bufferSource(buffer: Buffer, name: string): ByteSource {
  return {
    name,
    size: buffer.length,
    read(offset, length, what) {
      checkRange(this, offset, length, what);
      return buffer.subarray(offset, offset + length);
    },
  };
}

/** A window [offset, offset+size) of another source, addressed from 0 (a fat binary's slice). */
export function subSource(parent: ByteSource, offset: number, size: number, name: string): ByteSource {
  checkRange(parent, offset, size, name);
  return {
    name,
    size,
    read(at, length, what) {
      checkRange(this, at, length, what);
      return parent.read(offset + at, length, what);
    },
  };
}

export interface FileSource extends ByteSource {
  close(): void;
}

/** Open a regular file read-only without following a symlink in the last component. */
export function openFileSource(path: string): FileSource {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new RuntimeError('not-macho', `opening ${path}: not a regular file`);
  }
  return {
    name: path,
    size: stat.size,
    read(offset, length, what) {
      checkRange(this, offset, length, what);
      const buffer = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buffer, done, length - done, offset + done);
        if (n === 0) throw new RuntimeError('bad-macho', `reading ${what} of ${path}: the file shrank while being read`);
        done += n;
      }
      return buffer;
    },
    close() {
      closeSync(fd);
    },
  };
}

/** Hash a file by streaming it (the runtime tarballs and binaries are too large to read at once). */
export async function hashFile(path: string, algorithm: 'sha256' | 'sha512'): Promise<Buffer> {
  const hash = createHash(algorithm);
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>) hash.update(chunk);
  } finally {
    await handle.close();
  }
  return hash.digest();
}
