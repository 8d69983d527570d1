// How dscl names and shows the attributes of a dslocal record: the DSLocal mapping between standard
// attribute names and on-disk keys (macos-tools.md §10), name resolution for arguments, and the text and
// plist renderings (§1.3, §1.4).
import type { AttrValue, DirRecord, RecordKind } from './store.js';

export const STANDARD_PREFIX = 'dsAttrTypeStandard:';
export const NATIVE_PREFIX = 'dsAttrTypeNative:';

/**
 * The local node's standard attribute list: every standard attribute it knows, with its on-disk key. This is
 * DirectoryService's kDefaultLocalAttrMappings (macos-tools.md §10) and nothing else, less PrimaryNTDomain:
 * on current macOS a bare `PrimaryNTDomain` does not reach the standard attribute (a plain delete of it
 * silently does nothing, rtrouton_scripts#63), so it is outside the list like AppleMetaRecordName. A bare
 * name resolves to the standard type only when it is in this list, otherwise to the native type (§1.5).
 */
export const STANDARD_TO_DISK: Readonly<Record<string, string>> = {
  RecordName: 'name',
  UniqueID: 'uid',
  PrimaryGroupID: 'gid',
  NFSHomeDirectory: 'home',
  HomeDirectory: 'home_loc',
  UserShell: 'shell',
  RealName: 'realname',
  GeneratedUID: 'generateduid',
  Password: 'passwd',
  AuthenticationHint: 'hint',
  Picture: 'picture',
  JPEGPhoto: 'jpegphoto',
  EMailAddress: 'mail',
  FirstName: 'firstname',
  LastName: 'lastname',
  GroupMembership: 'users',
  GroupMembers: 'groupmembers',
  NestedGroups: 'nestedgroups',
  AuthenticationAuthority: 'authentication_authority',
  OriginalAuthenticationAuthority: 'original_authentication_authority',
  OriginalNodeName: 'original_node_name',
  OriginalNFSHomeDirectory: 'original_home',
  OriginalHomeDirectory: 'original_home_loc',
  CopyTimestamp: 'copy_timestamp',
  SMBSID: 'smb_sid',
  SMBPrimaryGroupSID: 'smb_primary_group_sid',
  SMBGroupRID: 'smb_group_rid',
  SMBPasswordLastSet: 'smb_pwd_last_set',
  SMBScriptPath: 'smb_script_path',
  SMBHome: 'smb_home',
  SMBHomeDrive: 'smb_home_drive',
  MCXSettings: 'mcx_settings',
  MCXFlags: 'mcx_flags',
  PasswordPolicyOptions: 'passwordpolicyoptions',
};

const DISK_TO_STANDARD: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(STANDARD_TO_DISK).map(([standard, disk]) => [disk, standard]),
);

/** Standard attributes dslocal computes instead of storing (in the standard list too). */
export const COMPUTED_ATTRIBUTES = ['AppleMetaNodeLocation', 'RecordType'] as const;

/** Whether a bare name is in the local node's standard attribute list. */
export function isStandardListed(bare: string): boolean {
  return Object.hasOwn(STANDARD_TO_DISK, bare) || (COMPUTED_ATTRIBUTES as readonly string[]).includes(bare);
}

/** A resolved attribute: its full type name and where it lives on disk (undefined for computed ones). */
export interface ResolvedAttribute {
  full: string;
  diskKey: string | undefined;
}

/**
 * The on-disk key of a standard attribute: its mapped key when the node lists it, else its full name
 * (how the simulator stores standard attributes the local node has no mapping for, e.g. NetworkUser).
 */
function standardDiskKey(bare: string): string | undefined {
  if ((COMPUTED_ATTRIBUTES as readonly string[]).includes(bare)) return undefined;
  return STANDARD_TO_DISK[bare] ?? STANDARD_PREFIX + bare;
}

/**
 * Resolve an attribute name as dscl does, for every verb (§1.5). A full `dsAttrTypeStandard:X` /
 * `dsAttrTypeNative:X` name is taken as it is. Without -raw, a bare name is standard when X is in the
 * node's standard attribute list, otherwise native (`AppleMetaRecordName` → `dsAttrTypeNative:AppleMetaRecordName`).
 * With -raw, dscl adds no prefix: a bare name is taken literally and names no attribute of a dslocal record
 * (undefined: reads show it as missing; writes are refused as not modelled).
 */
export function resolveAttribute(name: string, raw = false): ResolvedAttribute | undefined {
  if (name.startsWith(NATIVE_PREFIX)) return { full: name, diskKey: name.slice(NATIVE_PREFIX.length) };
  if (name.startsWith(STANDARD_PREFIX)) return { full: name, diskKey: standardDiskKey(name.slice(STANDARD_PREFIX.length)) };
  if (raw) return undefined;
  if (isStandardListed(name)) return { full: STANDARD_PREFIX + name, diskKey: standardDiskKey(name) };
  return { full: NATIVE_PREFIX + name, diskKey: name };
}

/** The full type name dscl shows for an on-disk key. */
export function fullNameOfDiskKey(key: string): string {
  const standard = DISK_TO_STANDARD[key];
  if (standard !== undefined) return STANDARD_PREFIX + standard;
  if (key.startsWith(STANDARD_PREFIX)) return key;
  return NATIVE_PREFIX + key;
}

/** The on-disk key of a standard attribute name ("RealName" → "realname"). */
export function diskKey(standardName: string): string {
  const key = STANDARD_TO_DISK[standardName];
  if (key === undefined) throw new Error(`no on-disk key for standard attribute ${standardName}`);
  return key;
}

/** First string value of an attribute, by standard name or on-disk key. */
export function firstValue(record: DirRecord, key: string): string | undefined {
  const values = record[STANDARD_TO_DISK[key] ?? key];
  const value = values?.[0];
  return typeof value === 'string' ? value : undefined;
}

/** All string values of an attribute (data values skipped). */
export function stringValues(record: DirRecord, key: string): string[] {
  return (record[STANDARD_TO_DISK[key] ?? key] ?? []).filter((value): value is string => typeof value === 'string');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * How dscl prints a value: strings as they are; data as UTF-8 text when it decodes cleanly and holds no NUL
 * (accountPolicyData is XML in a data value), otherwise as hex in 8-digit groups ("62706c69 73743030 ...").
 */
export function displayValue(value: AttrValue): string {
  if (typeof value === 'string') return value;
  if (!value.includes(0)) {
    try {
      return utf8.decode(value);
    } catch {
      // not UTF-8: fall through to hex
    }
  }
  const hex = Buffer.from(value).toString('hex');
  return (hex.match(/.{1,8}/g) ?? []).join(' ');
}

/** Attributes only root may read through opendirectoryd. */
export const ROOT_ONLY_KEYS: ReadonlySet<string> = new Set(['ShadowHashData', 'KerberosKeys', 'HeimdalSRPKey']);

export interface ViewAttribute {
  full: string;
  values: string[];
}

/** The attributes dscl shows for a record: stored ones through the mapping plus the computed ones. */
export function viewRecord(record: DirRecord, kind: RecordKind, asRoot: boolean): ViewAttribute[] {
  const attributes: ViewAttribute[] = [];
  for (const [key, values] of Object.entries(record)) {
    if (!asRoot && ROOT_ONLY_KEYS.has(key)) continue;
    attributes.push({ full: fullNameOfDiskKey(key), values: values.map(displayValue) });
  }
  attributes.push({ full: `${STANDARD_PREFIX}AppleMetaNodeLocation`, values: ['/Local/Default'] });
  attributes.push({ full: `${STANDARD_PREFIX}RecordType`, values: [kind === 'users' ? 'dsRecTypeStandard:Users' : 'dsRecTypeStandard:Groups'] });
  return attributes;
}

/** NSString caseInsensitiveCompare on the full type name (native before standard), ties broken literally. */
export function compareAttributeNames(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Case-insensitive record-name order used by `dscl list`. */
export function compareRecordNames(a: string, b: string): number {
  return compareAttributeNames(a, b);
}

/** The name dscl prints: standard prefix stripped unless -raw, native prefix always kept. */
export function displayName(full: string, raw: boolean): string {
  return !raw && full.startsWith(STANDARD_PREFIX) ? full.slice(STANDARD_PREFIX.length) : full;
}

/**
 * One attribute in `dscl read` text form: if any value contains a space every value goes on its own line
 * with one leading space, otherwise all values follow on the same line (§1.3 rule 3).
 */
export function formatTextAttribute(name: string, values: readonly string[]): string {
  if (values.some((value) => value.includes(' '))) return `${name}:${values.map((value) => `\n ${value}`).join('')}\n`;
  return `${name}:${values.map((value) => ` ${value}`).join('')}\n`;
}
