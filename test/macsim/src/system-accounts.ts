// The built-in accounts and groups of a stock macOS 14 install that the simulated Mac seeds: enough of them
// for realistic listings (the longest name, _reportmemoryexception, puts `dscl . list /Users UniqueID`
// values at column 25 as on a real Mac) without reproducing all ~130 of them.
import type { DirRecord } from './store.js';

/** GeneratedUID macOS gives built-in users: FFFFEEEE-DDDD-CCCC-BBBB-AAAA + the uid as 8 hex digits. */
export function systemUserGuid(uid: number): string {
  return `FFFFEEEE-DDDD-CCCC-BBBB-AAAA${((uid >>> 0) & 0xffffffff).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** GeneratedUID macOS gives built-in groups: ABCDEFAB-CDEF-ABCD-EFAB-CDEF + the gid as 8 hex digits. */
export function systemGroupGuid(gid: number): string {
  return `ABCDEFAB-CDEF-ABCD-EFAB-CDEF${((gid >>> 0) & 0xffffffff).toString(16).toUpperCase().padStart(8, '0')}`;
}

interface SystemUserSpec {
  name: string;
  uid: number;
  realName: string;
  home?: string;
  shell?: string;
  /** Extra RecordNames (the name without its underscore, "BUILTIN\..." aliases). */
  aliases?: string[];
  extra?: DirRecord;
}

const SYSTEM_USERS: readonly SystemUserSpec[] = [
  {
    name: 'root',
    uid: 0,
    realName: 'System Administrator',
    home: '/var/root',
    shell: '/bin/sh',
    aliases: ['BUILTIN\\Local System'],
    extra: { smb_sid: ['S-1-5-18'], authentication_authority: [';ShadowHash;'] },
  },
  { name: 'daemon', uid: 1, realName: 'System Services', home: '/var/root' },
  { name: 'nobody', uid: -2, realName: 'Unprivileged User' },
  { name: '_uucp', uid: 4, realName: 'Unix to Unix Copy Protocol', home: '/var/spool/uucp', shell: '/usr/sbin/uucico', aliases: ['uucp'] },
  { name: '_taskgated', uid: 13, realName: 'Task Gate Daemon', aliases: ['taskgated'] },
  { name: '_networkd', uid: 24, realName: 'Network Services', home: '/var/networkd', aliases: ['networkd'] },
  { name: '_installassistant', uid: 25, realName: 'Install Assistant', home: '/var/empty' },
  { name: '_lp', uid: 26, realName: 'Printing Services', home: '/var/spool/cups', aliases: ['lp'] },
  { name: '_postfix', uid: 27, realName: 'Postfix Mail Server', home: '/var/spool/postfix', aliases: ['postfix'] },
  { name: '_appstore', uid: 33, realName: 'Mac App Store Service', home: '/var/db/appstore' },
  { name: '_appleevents', uid: 55, realName: 'AppleEvents Daemon', home: '/var/empty' },
  { name: '_mdnsresponder', uid: 65, realName: 'mDNSResponder', home: '/var/empty', aliases: ['mdnsresponder'] },
  { name: '_ard', uid: 67, realName: 'Apple Remote Desktop', home: '/var/empty', aliases: ['ard'] },
  { name: '_www', uid: 70, realName: 'World Wide Web Server', home: '/Library/WebServer', aliases: ['www'] },
  { name: '_sshd', uid: 75, realName: 'sshd Privilege separation', home: '/var/empty', aliases: ['sshd'] },
  { name: '_appserver', uid: 79, realName: 'Application Server', home: '/var/empty', aliases: ['appserver'] },
  {
    name: '_amavisd',
    uid: 83,
    realName: 'AMaViS Daemon',
    home: '/var/virusmails',
    aliases: ['amavisd'],
    extra: { _writers_passwd: ['_amavisd'] },
  },
  { name: '_appowner', uid: 87, realName: 'Application Owner', home: '/var/empty', aliases: ['appowner'] },
  { name: '_windowserver', uid: 88, realName: 'WindowServer', home: '/var/empty', aliases: ['windowserver'] },
  { name: '_spotlight', uid: 89, realName: 'Spotlight', home: '/var/empty', aliases: ['spotlight'] },
  { name: '_securityagent', uid: 92, realName: 'SecurityAgent', home: '/var/db/securityagent', aliases: ['securityagent'] },
  { name: '_softwareupdate', uid: 200, realName: 'Software Update Service', home: '/var/db/softwareupdate' },
  { name: '_coreaudiod', uid: 202, realName: 'Core Audio Daemon', home: '/var/empty' },
  { name: '_locationd', uid: 205, realName: 'Location Daemon', home: '/var/db/locationd' },
  { name: '_mbsetupuser', uid: 248, realName: 'Setup User', home: '/var/setup', shell: '/bin/bash', extra: { IsHidden: ['1'] } },
  { name: '_applepay', uid: 260, realName: 'applepay Account', home: '/var/db/applepay' },
  { name: '_analyticsd', uid: 263, realName: 'Analytics Daemon', home: '/var/db/analyticsd' },
  { name: '_reportmemoryexception', uid: 269, realName: 'ReportMemoryException', home: '/var/db/reportmemoryexception' },
  { name: '_appinstalld', uid: 273, realName: 'App Install Daemon', home: '/var/db/appinstalld' },
  { name: '_accessoryupdater', uid: 278, realName: 'Accessory Update Daemon', home: '/var/db/accessoryupdater' },
  { name: '_knowledgegraphd', uid: 279, realName: 'Knowledge Graph Daemon', home: '/var/db/knowledgegraphd' },
  { name: '_trustd', uid: 282, realName: 'trustd', home: '/var/empty' },
  { name: '_notification_proxy', uid: 285, realName: 'Notification Proxy', home: '/var/empty' },
  { name: '_biome', uid: 289, realName: 'Biome', home: '/var/db/biome', extra: { IsHidden: ['1'] } },
  { name: '_oahd', uid: 441, realName: 'OAH Daemon', home: '/var/empty', extra: { IsHidden: ['1'] } },
];

/** The built-in user records (dslocal shape). */
export function systemUserRecords(): DirRecord[] {
  return SYSTEM_USERS.map((spec) => ({
    name: [spec.name, ...(spec.aliases ?? [])],
    uid: [String(spec.uid)],
    gid: [String(spec.uid)],
    home: [spec.home ?? '/var/empty'],
    shell: [spec.shell ?? '/usr/bin/false'],
    realname: [spec.realName],
    passwd: ['*'],
    generateduid: [systemUserGuid(spec.uid)],
    ...spec.extra,
  }));
}

interface SystemGroupSpec {
  name: string;
  gid: number;
  realName: string;
  aliases?: string[];
  users?: string[];
  /** Built-in groups that nest the admin group (admins are members of these through it). */
  nestsAdmin?: boolean;
  smbSid?: string;
}

const SYSTEM_GROUPS: readonly SystemGroupSpec[] = [
  { name: 'wheel', gid: 0, realName: 'System Group', users: ['root'], smbSid: 'S-1-5-32-546' },
  { name: 'daemon', gid: 1, realName: 'Daemon', users: ['root'] },
  { name: 'kmem', gid: 2, realName: 'Kernel Memory', users: ['root'] },
  { name: 'sys', gid: 3, realName: 'Sys', users: ['root'] },
  { name: 'tty', gid: 4, realName: 'TTY', users: ['root'] },
  { name: 'operator', gid: 5, realName: 'Operator', users: ['root'] },
  { name: 'everyone', gid: 12, realName: 'Everyone', smbSid: 'S-1-1-0' },
  { name: 'staff', gid: 20, realName: 'Staff', aliases: ['BUILTIN\\Users'], users: ['root'], smbSid: 'S-1-5-32-545' },
  { name: 'certusers', gid: 29, realName: 'Certificate Users', users: ['root', '_jabber', '_postfix', '_cyrus', '_calendar', '_dovecot'] },
  { name: '_appstore', gid: 33, realName: 'App Store Service', nestsAdmin: true },
  { name: 'localaccounts', gid: 61, realName: 'Local Accounts' },
  { name: 'netaccounts', gid: 62, realName: 'Network Accounts' },
  { name: '_appserverusr', gid: 79, realName: 'Application Server Users', nestsAdmin: true },
  { name: 'admin', gid: 80, realName: 'Administrators', aliases: ['BUILTIN\\Administrators'], users: ['root'], smbSid: 'S-1-5-32-544' },
  { name: '_appserveradm', gid: 81, realName: 'Application Server Admins', nestsAdmin: true },
  { name: '_lpadmin', gid: 98, realName: 'Printing Administrators', nestsAdmin: true },
  { name: '_lpoperator', gid: 100, realName: 'Printing Operators' },
  { name: '_developer', gid: 204, realName: 'Developer Tools Group', nestsAdmin: true },
  { name: '_analyticsusers', gid: 250, realName: 'Analytics Users', nestsAdmin: true },
  // Captured /etc/group line `com.apple.access_disabled:*:396:` (account-lock-and-psso.md A.1); realname UNCONFIRMED.
  { name: 'com.apple.access_disabled', gid: 396, realName: 'Disabled Accounts' },
  { name: 'com.apple.access_ssh', gid: 399, realName: 'Remote Login ACL' },
  { name: 'nogroup', gid: -1, realName: 'Unprivileged Group' },
  { name: 'nobody', gid: -2, realName: 'Unprivileged Group' },
];

/**
 * The built-in group records. `admins` (short names with their GUIDs) become members of `admin`, and thereby
 * of the groups that nest it.
 */
export function systemGroupRecords(admins: ReadonlyArray<{ name: string; guid: string }>): DirRecord[] {
  const adminGuid = systemGroupGuid(80);
  return SYSTEM_GROUPS.map((spec) => {
    const record: DirRecord = {
      name: [spec.name, ...(spec.aliases ?? [])],
      gid: [String(spec.gid)],
      realname: [spec.realName],
      passwd: ['*'],
      generateduid: [systemGroupGuid(spec.gid)],
    };
    if (spec.smbSid) record.smb_sid = [spec.smbSid];
    const users = [...(spec.users ?? [])];
    if (spec.name === 'admin') {
      users.push(...admins.map((admin) => admin.name));
      record.groupmembers = [systemUserGuid(0), ...admins.map((admin) => admin.guid)];
    }
    if (users.length > 0) record.users = users;
    if (spec.nestsAdmin) record.nestedgroups = [adminGuid];
    return record;
  });
}
