// Distribution: the XML at the root of a product archive that tells Installer what to install where. We write
// one hidden choice per component whose `selected` attribute is an Installer JavaScript expression (for
// example `system.sysctl('hw.optional.arm64') == 1`), so each Mac installs only its own component.
// Facts and sources: /work/shared/reference/macos-packaging.md §6.
import * as z from 'zod';
import { childElements, el, firstChild, parseXml, renderXml, textOf, type XmlElement } from './xml.js';

/** What the writer needs. */
export interface DistributionInput {
  title: string;
  /** Optional `<product id version>`. */
  product?: { id: string; version: string };
  /** e.g. '11.0': written as volume-check/allowed-os-versions/os-version min. */
  minimumMacOS: string;
  /** e.g. ['arm64', 'x86_64']; without arm64 Apple silicon asks for Rosetta. */
  hostArchitectures: readonly string[];
  choices: readonly {
    id: string;
    title: string;
    /** Installer JavaScript expression deciding whether the choice is selected. */
    selected: string;
    /** Optional expression for `enabled`. */
    enabled?: string;
    pkgRef: { id: string; version: string; installKBytes: number; fileName: string };
  }[];
  /** `<installation-check script="call">` plus `<script>` holding the function; refuse by returning false. */
  installationCheck?: { call: string; script: string };
}

const PkgRefSchema = z.object({
  id: z.string().min(1),
  version: z.string().optional(),
  installKBytes: z.number().int().nonnegative().optional(),
  /** The decoded reference text without '#' (the component's directory in the archive), when present. */
  fileName: z.string().optional(),
});
const ChoiceSchema = z.object({
  id: z.string().min(1),
  title: z.string().optional(),
  visible: z.string().optional(),
  enabled: z.string().optional(),
  selected: z.string().optional(),
  pkgRefs: z.array(z.string()),
});
export const ParsedDistributionSchema = z.object({
  title: z.string().optional(),
  minSpecVersion: z.string().optional(),
  product: z.object({ id: z.string(), version: z.string().optional() }).optional(),
  minimumMacOS: z.string().optional(),
  hostArchitectures: z.array(z.string()).optional(),
  customize: z.string().optional(),
  enableLocalSystem: z.boolean().optional(),
  installationCheck: z.string().optional(),
  scripts: z.array(z.string()),
  /** Choice ids in outline order (nested lines flattened). */
  outline: z.array(z.string()),
  choices: z.array(ChoiceSchema),
  /** pkg-ref elements merged by id (productbuild splits attributes and the reference over several). */
  pkgRefs: z.array(PkgRefSchema),
});
export type ParsedDistribution = z.infer<typeof ParsedDistributionSchema>;

/** Writes a Distribution for a product archive (customize never, local system domain only). */
export function writeDistribution(input: DistributionInput): string {
  const ids = new Set<string>();
  for (const choice of input.choices) {
    if (ids.has(choice.id)) throw new Error(`writing Distribution: choice id "${choice.id}" appears twice`);
    ids.add(choice.id);
  }
  const children: XmlElement[] = [
    el('title', {}, [input.title]),
    ...(input.product ? [el('product', { id: input.product.id, version: input.product.version })] : []),
    el('options', { customize: 'never', 'require-scripts': 'false', hostArchitectures: input.hostArchitectures.join(',') }),
    el('domains', { enable_anywhere: 'false', enable_currentUserHome: 'false', enable_localSystem: 'true' }),
    el('volume-check', {}, [el('allowed-os-versions', {}, [el('os-version', { min: input.minimumMacOS })])]),
  ];
  if (input.installationCheck) {
    children.push(el('installation-check', { script: input.installationCheck.call }), el('script', {}, [input.installationCheck.script]));
  }
  children.push(
    el('choices-outline', {}, input.choices.map((c) => el('line', { choice: c.id }))),
    ...input.choices.map((c) =>
      el('choice', { id: c.id, title: c.title, visible: 'false', enabled: c.enabled, selected: c.selected }, [el('pkg-ref', { id: c.pkgRef.id })]),
    ),
    ...input.choices.map((c) =>
      el('pkg-ref', { id: c.pkgRef.id, version: c.pkgRef.version, installKBytes: c.pkgRef.installKBytes, onConclusion: 'none' }, [
        `#${encodeURIComponent(c.pkgRef.fileName)}`,
      ]),
    ),
  );
  return renderXml(el('installer-gui-script', { minSpecVersion: '2' }, children), 4);
}

function flattenOutline(element: XmlElement, out: string[]): string[] {
  for (const line of childElements(element, 'line')) {
    if (line.attributes.choice) out.push(line.attributes.choice);
    flattenOutline(line, out);
  }
  return out;
}

function decodeReference(text: string): string {
  const trimmed = text.trim().replace(/^file:/, '').replace(/^#/, '');
  try {
    return decodeURIComponent(trimmed);
  } catch {
    return trimmed;
  }
}

/** Parses a Distribution (ours or productbuild's); throws naming what is wrong. */
export function parseDistribution(xml: string): ParsedDistribution {
  const root = parseXml(xml, 'Distribution');
  if (root.name !== 'installer-gui-script' && root.name !== 'installer-script') {
    throw new Error(`parsing Distribution: root element is <${root.name}>, not <installer-gui-script>`);
  }
  const options = childElements(root, 'options');
  const archs = options.map((o) => o.attributes.hostArchitectures).find((v) => v !== undefined);
  const customize = options.map((o) => o.attributes.customize).find((v) => v !== undefined);
  const domains = firstChild(root, 'domains');
  const volumeCheck = firstChild(root, 'volume-check');
  const osVersion = volumeCheck && firstChild(volumeCheck, 'allowed-os-versions');
  const product = firstChild(root, 'product');
  const pkgRefs = new Map<string, z.infer<typeof PkgRefSchema>>();
  for (const ref of childElements(root, 'pkg-ref')) {
    const id = ref.attributes.id;
    if (!id) throw new Error('parsing Distribution: a <pkg-ref> has no id');
    const merged = pkgRefs.get(id) ?? { id };
    if (ref.attributes.version !== undefined) merged.version = ref.attributes.version;
    const kbytes = ref.attributes.installKBytes;
    if (kbytes !== undefined) {
      if (!/^\d+$/.test(kbytes)) throw new Error(`parsing Distribution: pkg-ref "${id}" installKBytes "${kbytes}" is not a count`);
      merged.installKBytes = Number(kbytes);
    }
    const text = childElements(ref).length === 0 ? textOf(ref).trim() : '';
    if (text) merged.fileName = decodeReference(text);
    pkgRefs.set(id, merged);
  }
  const title = firstChild(root, 'title');
  const check = firstChild(root, 'installation-check');
  const raw: unknown = {
    title: title && textOf(title).trim(),
    minSpecVersion: root.attributes.minSpecVersion,
    product: product?.attributes.id ? { id: product.attributes.id, version: product.attributes.version } : undefined,
    minimumMacOS: osVersion && firstChild(osVersion, 'os-version')?.attributes.min,
    hostArchitectures: archs?.split(',').map((a) => a.trim()).filter(Boolean),
    customize,
    enableLocalSystem: domains?.attributes.enable_localSystem === undefined ? undefined : domains.attributes.enable_localSystem === 'true',
    installationCheck: check?.attributes.script,
    scripts: childElements(root, 'script').map((s) => textOf(s)),
    outline: childElements(root, 'choices-outline').flatMap((o) => flattenOutline(o, [])),
    choices: childElements(root, 'choice').map((c) => ({
      id: c.attributes.id,
      title: c.attributes.title,
      visible: c.attributes.visible,
      enabled: c.attributes.enabled,
      selected: c.attributes.selected,
      pkgRefs: childElements(c, 'pkg-ref').map((r) => r.attributes.id ?? ''),
    })),
    pkgRefs: [...pkgRefs.values()],
  };
  const parsed = ParsedDistributionSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`parsing Distribution: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
