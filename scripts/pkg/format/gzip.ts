// gzip (RFC 1952) members for Payload and Scripts. We write the 10-byte header and the trailer ourselves so the
// bytes depend only on the input: mtime 0, no file name, XFL 2 (best compression), OS 3 (Unix) whatever the
// build host. The deflate stream comes from node:zlib at level 9.
import { constants, crc32, deflateRawSync, gunzipSync } from 'node:zlib';

const GZIP_OS_UNIX = 3;
const GZIP_XFL_BEST = 2;

/** Compresses one or more chunks (taken as one stream) into one gzip member. Copies the input once at most. */
export function gzip(input: Buffer | readonly Buffer[]): Buffer {
  const chunks = Buffer.isBuffer(input) ? [input] : input;
  const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  let crc = 0;
  for (const chunk of chunks) crc = crc32(chunk, crc);
  const deflated = deflateRawSync(data, { level: constants.Z_BEST_COMPRESSION, memLevel: 9 });
  const head = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, GZIP_XFL_BEST, GZIP_OS_UNIX]);
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(crc >>> 0, 0);
  tail.writeUInt32LE(data.length % 2 ** 32, 4);
  return Buffer.concat([head, deflated, tail]);
}

/** True when the bytes start like a gzip member. */
export function isGzip(data: Buffer): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

/** Decompresses gzip data (all members), checking CRC and length; `what` names the data in errors. */
export function gunzip(data: Buffer, what: string): Buffer {
  if (!isGzip(data)) throw new Error(`decompressing ${what}: not gzip data (starts with ${data.subarray(0, 4).toString('hex') || 'nothing'})`);
  try {
    return gunzipSync(data);
  } catch (error) {
    throw new Error(`decompressing ${what}: ${(error as Error).message}`, { cause: error });
  }
}
