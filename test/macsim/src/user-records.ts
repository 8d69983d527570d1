// Builders for the user records a scenario seeds: local accounts and AD mobile accounts in the dslocal
// shape, with the attribute set the reference documents (demobilization.md §1, macos-tools.md §1.3).
import { createHash } from 'node:crypto';
import type { DirRecord } from './store.js';

/** A stable UUID derived from a seed, so a scenario is the same every time it is built. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha1').update(seed).digest('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-A${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** accountPolicyData as dslocal stores it: an XML plist inside a data value. */
export function accountPolicyData(creationTime: string, passwordLastSetTime: string): Uint8Array {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
    '<plist version="1.0">\n<dict>\n' +
    `\t<key>creationTime</key>\n\t<real>${creationTime}</real>\n` +
    '\t<key>failedLoginCount</key>\n\t<integer>0</integer>\n' +
    '\t<key>failedLoginTimestamp</key>\n\t<integer>0</integer>\n' +
    `\t<key>passwordLastSetTime</key>\n\t<real>${passwordLastSetTime}</real>\n` +
    '</dict>\n</plist>\n';
  return new Uint8Array(Buffer.from(xml, 'utf8'));
}

export const SHADOW_HASH_HEAD = '62706c6973743030d20102030a5f101e5352502d5246433530353400';

/** A stand-in for the binary ShadowHashData plist (starts with "bplist00"; not a real hash), distinct per user. */
export function shadowHashData(seed: string): Uint8Array {
  const tail = createHash('sha256').update(seed).digest();
  return new Uint8Array(Buffer.concat([Buffer.from(SHADOW_HASH_HEAD, 'hex'), tail]));
}

const SHADOW_HASH = ';ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>';
const SECURE_TOKEN = ';SecureToken;';

export const DOMAIN = 'corp.example.com';
export const REALM = 'CORP.EXAMPLE.COM';
export const NETBIOS = 'CORP';
export const NODE_ALL_DOMAINS = `/Active Directory/${NETBIOS}/All Domains`;
export const NODE_DOMAIN = `/Active Directory/${NETBIOS}/${DOMAIN}`;
/** Domain Users' GID as the AD plugin derives it: every mobile user's PrimaryGroupID, with no local group. */
export const DOMAIN_USERS_GID = 1522360086;
const DOMAIN_SID = 'S-1-5-21-267508148-270493875-3204280241';

/** Password of every seeded user (cleartext, for `dscl . -authonly`): "<shortname>-password". */
export function seededPassword(name: string): string {
  return `${name}-password`;
}

export interface LocalUserSpec {
  name: string;
  uid: number;
  realName: string;
  guid: string;
  secureToken: boolean;
  hidden?: boolean;
  picture?: string;
}

export function localUser(spec: LocalUserSpec): DirRecord {
  const record: DirRecord = {
    _writers_hint: [spec.name],
    _writers_passwd: [spec.name],
    accountPolicyData: [accountPolicyData('1678785164.512345', '1699961311.0')],
    AvatarRepresentation: [],
    record_daemon_version: ['8770000'],
    ShadowHashData: [shadowHashData(spec.name)],
    authentication_authority: spec.secureToken ? [SHADOW_HASH, SECURE_TOKEN] : [SHADOW_HASH],
    generateduid: [spec.guid],
    home: [`/Users/${spec.name}`],
    passwd: ['********'],
    picture: [spec.picture ?? '/Library/User Pictures/Animals/Eagle.heic'],
    gid: ['20'],
    realname: [spec.realName],
    name: [spec.name],
    uid: [String(spec.uid)],
    shell: ['/bin/zsh'],
  };
  if (spec.hidden) record.IsHidden = ['1'];
  return record;
}

export interface MobileUserSpec {
  name: string;
  first: string;
  last: string;
  realName: string;
  uid: number;
  guid: string;
  rid: number;
  secureToken: boolean;
  /** The node in OriginalNodeName and the LocalCachedUser authority. */
  node: string;
  department?: string;
  /** Attributes to take verbatim instead of generating them (jdoe mirrors a fixture). */
  overrides?: DirRecord;
}

/** A cached AD mobile account with the attribute set the reference documents (demobilization.md §1). */
export function mobileUser(spec: MobileUserSpec): DirRecord {
  const authorities = [`;LocalCachedUser;${spec.node}:${spec.name}:${spec.guid}`, `;Kerberosv5;;${spec.name}@${REALM};${REALM};`, SHADOW_HASH];
  if (spec.secureToken) authorities.push(SECURE_TOKEN);
  return {
    _writers_LinkedIdentity: [spec.name],
    _writers_passwd: [spec.name],
    account_instance: [stableUuid(`account_instance:${spec.name}`)],
    accountPolicyData: [accountPolicyData('1678785164.512345', '1699961311.0')],
    cached_auth_policy: ['{\n    passwordHistoryDepth = 0;\n}'],
    cached_groups: [stableUuid(`ad-group:Domain Users`), stableUuid(`ad-group:${spec.department ?? 'Staff'}`)],
    original_realname: [spec.realName],
    original_shell: ['/bin/zsh'],
    preserved_attributes: ['RealName', 'UserShell'],
    record_daemon_version: ['8770000'],
    ShadowHashData: [shadowHashData(spec.name)],
    'dsAttrTypeStandard:AltSecurityIdentities': [`Kerberos:${spec.name}@${REALM}`],
    'dsAttrTypeStandard:AppleMetaRecordName': [`CN=${spec.realName},OU=${spec.department ?? 'Staff'},DC=corp,DC=example,DC=com`],
    authentication_authority: authorities,
    copy_timestamp: ['2023-03-14T09:12:44Z'],
    mail: [`${spec.first.toLowerCase()}.${spec.last.toLowerCase().replace(/[^a-z]/g, '')}@${DOMAIN}`],
    firstname: [spec.first],
    lastname: [spec.last],
    generateduid: [spec.guid],
    home: [`/Users/${spec.name}`],
    original_authentication_authority: [`;Kerberosv5;;${spec.name}@${REALM};${REALM};`, `;NetLogon;${spec.name};${NETBIOS}`],
    original_node_name: [spec.node],
    passwd: ['********'],
    gid: [String(DOMAIN_USERS_GID)],
    'dsAttrTypeStandard:PrimaryNTDomain': [NETBIOS],
    realname: [spec.realName],
    name: [spec.name],
    smb_group_rid: ['513'],
    smb_pwd_last_set: ['133445112000000000'],
    smb_primary_group_sid: [`${DOMAIN_SID}-513`],
    smb_sid: [`${DOMAIN_SID}-${spec.rid}`],
    uid: [String(spec.uid)],
    shell: ['/bin/zsh'],
    ...spec.overrides,
  };
}

/** The `~/.account` file of a mobile user. Its real format is unconfirmed; this is a stand-in plist. */
export function dotAccount(name: string, node: string, guid: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n' +
    `<plist version="1.0">\n<dict>\n\t<key>name</key>\n\t<string>${name}</string>\n\t<key>node</key>\n\t<string>${node}</string>\n` +
    `\t<key>generateduid</key>\n\t<string>${guid}</string>\n</dict>\n</plist>\n`
  );
}
