// A minimal PNG reader for screenshot tests: 8-bit RGB/RGBA, non-interlaced (what Chromium writes).
import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  pixels: Uint8Array;
}

/** Decode a PNG buffer. */
export function decodePng(buffer: Buffer): Image {
  if (buffer.readUInt32BE(0) !== 0x89504e47) throw new Error('decoding PNG: bad signature');
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (offset < buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('ascii', offset + 4, offset + 8);
    const data = buffer.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('decoding PNG: only 8-bit non-interlaced images');
      colorType = data[9] ?? 0;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (channels === 0) throw new Error(`decoding PNG: unsupported color type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let previous = new Uint8Array(stride);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const current = new Uint8Array(stride);
    for (let x = 0; x < stride; x += 1) {
      const a = x >= channels ? current[x - channels]! : 0;
      const b = previous[x]!;
      const c = x >= channels ? previous[x - channels]! : 0;
      const value = line[x]!;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      current[x] = (value + predictor) & 0xff;
    }
    for (let x = 0; x < width; x += 1) {
      const target = (y * width + x) * 4;
      out[target] = current[x * channels]!;
      out[target + 1] = current[x * channels + 1]!;
      out[target + 2] = current[x * channels + 2]!;
      out[target + 3] = channels === 4 ? current[x * channels + 3]! : 255;
    }
    previous = current;
  }
  return { width, height, pixels: out };
}

/** Count pixels in a region whose color is within `tolerance` of `rgb`. */
export function countColor(image: Image, region: { x: number; y: number; width: number; height: number }, rgb: [number, number, number], tolerance = 30): number {
  let count = 0;
  for (let y = Math.max(0, Math.floor(region.y)); y < Math.min(image.height, region.y + region.height); y += 1) {
    for (let x = Math.max(0, Math.floor(region.x)); x < Math.min(image.width, region.x + region.width); x += 1) {
      const index = (y * image.width + x) * 4;
      if (
        Math.abs(image.pixels[index]! - rgb[0]) <= tolerance &&
        Math.abs(image.pixels[index + 1]! - rgb[1]) <= tolerance &&
        Math.abs(image.pixels[index + 2]! - rgb[2]) <= tolerance
      ) {
        count += 1;
      }
    }
  }
  return count;
}

/** Number of distinct colors (quantized) in the image: a blank page has one or two. */
export function distinctColors(image: Image): number {
  const seen = new Set<number>();
  for (let index = 0; index < image.pixels.length; index += 4 * 7) {
    seen.add(((image.pixels[index]! >> 4) << 8) | ((image.pixels[index + 1]! >> 4) << 4) | (image.pixels[index + 2]! >> 4));
  }
  return seen.size;
}
