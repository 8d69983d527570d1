// A product archive (what productbuild writes, what Jamf and MDM want): a XAR holding `Distribution` and one
// `<fileName>/` directory per component with its Bom, Payload, Scripts and PackageInfo, plus optional Resources.
//
// API:
//   buildProductArchive({ title, identifier, version, minimumMacOS, hostArchitectures,
//     components: [{ fileName: 'untether-arm64.pkg', component, choice: { id, title, selected } }],
//     installationCheck?: { call: 'check()', script: 'function check() { … }' }, resources?: XarInput[], mtime })
//     -> Buffer
//   Each choice's pkg-ref carries the component's identifier, version and installKBytes, and `#<fileName>`.
import { componentXarEntries, type Component } from './component.js';
import { writeDistribution, type DistributionInput } from './distribution.js';
import { writeXar, type XarInput } from './xar.js';

export interface ProductComponent {
  /** Directory name inside the archive, conventionally ending in `.pkg`. */
  fileName: string;
  component: Component;
  choice: { id: string; title: string; selected: string; enabled?: string };
}

export interface ProductInput {
  title: string;
  /** Product identifier and version (`<product id version>`). */
  identifier: string;
  version: string;
  minimumMacOS: string;
  hostArchitectures: readonly string[];
  components: readonly ProductComponent[];
  installationCheck?: DistributionInput['installationCheck'];
  /** Optional `Resources` directory contents (lproj folders, background). */
  resources?: readonly XarInput[];
  /** Seconds since the epoch. */
  mtime: number;
}

/** The Distribution text for these components. */
export function productDistribution(input: Omit<ProductInput, 'resources' | 'mtime'>): string {
  return writeDistribution({
    title: input.title,
    product: { id: input.identifier, version: input.version },
    minimumMacOS: input.minimumMacOS,
    hostArchitectures: input.hostArchitectures,
    choices: input.components.map(({ fileName, component, choice }) => ({
      ...choice,
      pkgRef: {
        id: component.packageInfo.identifier,
        version: component.packageInfo.version,
        installKBytes: component.packageInfo.payload?.installKBytes ?? 0,
        fileName,
      },
    })),
    ...(input.installationCheck ? { installationCheck: input.installationCheck } : {}),
  });
}

/** Builds the product archive bytes. Same inputs and mtime give the same bytes. */
export function buildProductArchive(input: ProductInput): Buffer {
  if (input.components.length === 0) throw new Error('building product archive: no components');
  const names = new Set<string>();
  for (const c of input.components) {
    if (!c.fileName || c.fileName.includes('/') || c.fileName === 'Distribution' || c.fileName === 'Resources' || names.has(c.fileName)) {
      throw new Error(`building product archive: component file name "${c.fileName}" is empty, reserved, has "/" or appears twice`);
    }
    names.add(c.fileName);
  }
  const entries: XarInput[] = [
    { name: 'Distribution', type: 'file', data: Buffer.from(productDistribution(input), 'utf8'), encoding: 'zlib' },
    ...input.components.map((c): XarInput => ({ name: c.fileName, type: 'directory', children: componentXarEntries(c.component) })),
  ];
  if (input.resources && input.resources.length > 0) entries.push({ name: 'Resources', type: 'directory', children: input.resources });
  return writeXar(entries, { mtime: input.mtime });
}
