// PackageInfo: the XML describing one component (identifier, version, install location, payload size, scripts).
// Facts and sources: /work/shared/reference/macos-packaging.md §5.
import * as z from 'zod';
import { el, firstChild, parseXml, renderXml } from './xml.js';

export const PackageInfoSchema = z.object({
  formatVersion: z.string(),
  identifier: z.string().min(1),
  version: z.string().min(1),
  installLocation: z.string().startsWith('/').optional(),
  auth: z.string().optional(),
  relocatable: z.boolean().optional(),
  overwritePermissions: z.boolean().optional(),
  followSymLinks: z.boolean().optional(),
  postinstallAction: z.string().optional(),
  payload: z.object({ numberOfFiles: z.number().int().nonnegative(), installKBytes: z.number().int().nonnegative() }).optional(),
  /** Script file names relative to the Scripts archive (`./preinstall` → `preinstall`). */
  scripts: z.object({ preinstall: z.string().optional(), postinstall: z.string().optional() }),
});
export type PackageInfo = z.infer<typeof PackageInfoSchema>;

/** Writes PackageInfo the way pkgbuild does for a root-authenticated, non-relocatable component. */
export function writePackageInfo(info: PackageInfo): string {
  const bool = (value: boolean | undefined): string | undefined => (value === undefined ? undefined : String(value));
  const scripts = Object.entries(info.scripts).filter((pair): pair is [string, string] => pair[1] !== undefined);
  return renderXml(
    el(
      'pkg-info',
      {
        'format-version': info.formatVersion,
        identifier: info.identifier,
        version: info.version,
        'install-location': info.installLocation,
        auth: info.auth,
        relocatable: bool(info.relocatable),
        'overwrite-permissions': bool(info.overwritePermissions),
        followSymLinks: bool(info.followSymLinks),
        'postinstall-action': info.postinstallAction,
      },
      [
        ...(info.payload ? [el('payload', { numberOfFiles: info.payload.numberOfFiles, installKBytes: info.payload.installKBytes })] : []),
        ...(scripts.length > 0 ? [el('scripts', {}, scripts.map(([kind, file]) => el(kind, { file: `./${file}` })))] : []),
      ],
    ),
    4,
  );
}

function parseBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new Error(`"${value}" is not a boolean`);
}

function parseCount(value: string | undefined, name: string): number {
  if (value === undefined || !/^\d+$/.test(value.trim())) throw new Error(`<payload ${name}> is "${value ?? 'missing'}", not a count`);
  return Number(value.trim());
}

/** Parses a PackageInfo written by us or by Apple's tools; throws naming what is wrong. */
export function parsePackageInfo(xml: string): PackageInfo {
  try {
    const root = parseXml(xml, 'PackageInfo');
    if (root.name !== 'pkg-info') throw new Error(`root element is <${root.name}>, not <pkg-info>`);
    const a = root.attributes;
    const payload = firstChild(root, 'payload');
    const scripts = firstChild(root, 'scripts');
    const scriptFile = (kind: string): string | undefined => {
      const file = scripts && firstChild(scripts, kind)?.attributes.file;
      return file?.replace(/^\.\//, '');
    };
    const raw: unknown = {
      formatVersion: a['format-version'] ?? '2',
      identifier: a.identifier,
      version: a.version,
      installLocation: a['install-location'],
      auth: a.auth,
      relocatable: parseBoolean(a.relocatable),
      overwritePermissions: parseBoolean(a['overwrite-permissions']),
      followSymLinks: parseBoolean(a.followSymLinks),
      postinstallAction: a['postinstall-action'],
      payload: payload && {
        numberOfFiles: parseCount(payload.attributes.numberOfFiles, 'numberOfFiles'),
        installKBytes: parseCount(payload.attributes.installKBytes, 'installKBytes'),
      },
      scripts: Object.fromEntries(['preinstall', 'postinstall'].map((k) => [k, scriptFile(k)]).filter(([, v]) => v !== undefined)),
    };
    const parsed = PackageInfoSchema.safeParse(raw);
    if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || 'pkg-info'}: ${i.message}`).join('; '));
    return parsed.data;
  } catch (error) {
    throw new Error(`parsing PackageInfo: ${(error as Error).message.replace(/^parsing PackageInfo: /, '')}`, { cause: error });
  }
}
