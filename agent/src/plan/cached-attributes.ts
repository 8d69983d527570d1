// The attributes an AD mobile account caches from the directory, which a local account must not keep.
// Union of the lists in shared/reference/demobilization.md §1 and appendix A (rtrouton, captam3rica,
// BIG-RAT, Apple Professional Services, NoMAD Login), each with why it goes.
import { nativeType, standardType, type AttributeType } from '../system/dscl.js';

export interface CachedAttribute {
  type: AttributeType;
  why: string;
}

export const CACHED_AD_ATTRIBUTES: readonly CachedAttribute[] = [
  { type: standardType('OriginalNodeName'), why: 'names the AD node the account is cached from; its presence makes the account mobile' },
  { type: standardType('OriginalAuthenticationAuthority'), why: 'the authority of the AD record, cached' },
  { type: standardType('CopyTimestamp'), why: 'when the AD record was last cached; macOS uses it to treat the account as mobile' },
  { type: nativeType('cached_groups'), why: 'cached AD group memberships' },
  { type: nativeType('cached_auth_policy'), why: 'cached AD authentication policy' },
  { type: nativeType('preserved_attributes'), why: 'AD attributes preserved for the mobile cache' },
  { type: nativeType('original_realname'), why: 'the AD RealName before local edits' },
  { type: nativeType('original_shell'), why: 'the AD shell before local edits' },
  { type: nativeType('original_smb_home'), why: 'the AD network home before local edits' },
  { type: nativeType('account_instance'), why: 'the mobile cache instance identifier' },
  { type: nativeType('_writers_LinkedIdentity'), why: 'write permission for an AD-linked identity' },
  { type: standardType('OriginalHomeDirectory'), why: 'the AD home directory location, cached' },
  { type: standardType('OriginalNFSHomeDirectory'), why: 'the AD home path, cached' },
  { type: standardType('SMBSID'), why: 'the AD security identifier' },
  { type: standardType('SMBPrimaryGroupSID'), why: "the AD primary group's security identifier" },
  { type: standardType('SMBGroupRID'), why: 'the AD primary group relative identifier' },
  { type: standardType('SMBScriptPath'), why: 'the AD logon script' },
  { type: standardType('SMBPasswordLastSet'), why: 'when the AD password was last set' },
  { type: standardType('SMBHome'), why: 'the AD network home share' },
  { type: standardType('SMBHomeDrive'), why: 'the AD network home drive letter' },
  { type: standardType('PrimaryNTDomain'), why: 'the AD NetBIOS domain (outside the local standard list: a bare-name delete would miss it)' },
  { type: standardType('AppleMetaRecordName'), why: 'the AD distinguished name (outside the local standard list: a bare-name delete would miss it)' },
  { type: standardType('MCXSettings'), why: 'managed settings pushed through AD (obsolete MCX)' },
  { type: standardType('MCXFlags'), why: 'flags for AD-pushed managed settings' },
  { type: standardType('PasswordPolicyOptions'), why: 'the AD password policy, cached' },
  { type: standardType('EMailAddress'), why: 'AD contact data cached on login' },
  { type: standardType('FirstName'), why: 'AD contact data cached on login' },
  { type: standardType('LastName'), why: 'AD contact data cached on login' },
  { type: standardType('JobTitle'), why: 'AD contact data cached on login' },
  { type: standardType('PhoneNumber'), why: 'AD contact data cached on login' },
  { type: standardType('Street'), why: 'AD contact data cached on login' },
];

/** Smart-card pairing: kept by default (removing it breaks smart-card login), removed when the policy says so. */
export const ALT_SECURITY_IDENTITIES = standardType('AltSecurityIdentities');

// Never touched by a conversion; verify checks they are unchanged.
export const AUTHENTICATION_AUTHORITY = standardType('AuthenticationAuthority');
export const SHADOW_HASH_DATA = nativeType('ShadowHashData');
export const UNIQUE_ID = standardType('UniqueID');
export const GENERATED_UID = standardType('GeneratedUID');
export const HOME = standardType('NFSHomeDirectory');
export const PASSWORD = standardType('Password');
export const PRIMARY_GROUP_ID = standardType('PrimaryGroupID');

/** The value a local account's Password attribute must hold; without it installers have rewritten hashes (rtrouton PR #42). */
export const PASSWORD_PLACEHOLDER = '********';
