// Reading a simulated Mac's accounts the way a test compares them: raw dslocal bytes for "untouched",
// and a normalized record (AuthenticationAuthority as a set) for "restored".
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SimulatedMac } from '../macsim/src/index.js';
import { LAYOUT } from '../macsim/src/index.js';

/** Every user's dslocal file, byte for byte, by short name. */
export function userFiles(mac: SimulatedMac): Map<string, Buffer> {
  const dir = path.join(mac.root, LAYOUT.usersDir);
  return new Map(readdirSync(dir).filter((name) => name.endsWith('.plist')).map((name) => [name.slice(0, -6), readFileSync(path.join(dir, name))]));
}

/** A user record with data values as hex and AuthenticationAuthority sorted (a restore appends, so order may differ). */
export function normalizedUser(mac: SimulatedMac, name: string): Record<string, string[]> | undefined {
  const record = mac.readUser(name);
  if (!record) return undefined;
  const normalized: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(record)) {
    normalized[key] = values.map((value) => (typeof value === 'string' ? value : Buffer.from(value).toString('hex')));
  }
  if (normalized.authentication_authority) normalized.authentication_authority = [...normalized.authentication_authority].sort();
  return normalized;
}

/** Direct members of a group in the dslocal store. */
export function groupMembers(mac: SimulatedMac, group: string): string[] {
  return (mac.readGroup(group)?.users ?? []).map(String);
}

/** ~/.account content and mode, or null. */
export function accountFile(mac: SimulatedMac, user: string): { content: string; mode: number } | null {
  const file = mac.path(`/Users/${user}/.account`);
  try {
    return { content: readFileSync(file, 'utf8'), mode: statSync(file).mode & 0o7777 };
  } catch {
    return null;
  }
}

/** Everything a rollback must give back, in one comparable value. */
export function accountSnapshot(mac: SimulatedMac, user: string) {
  return {
    record: normalizedUser(mac, user),
    staff: groupMembers(mac, 'staff').includes(user),
    admin: groupMembers(mac, 'admin').includes(user),
    accountFile: accountFile(mac, user),
  };
}

/**
 * A user record by FULL type name (dsAttrTypeStandard:X / dsAttrTypeNative:X, as dscl -plist shows it), with
 * AuthenticationAuthority sorted (a restore appends, so order may differ). Two records that differ only in
 * an attribute's type (standard vs native) differ here.
 */
export function typedUser(mac: SimulatedMac, name: string): Record<string, string[]> | undefined {
  const record = mac.readUserTyped(name);
  if (!record) return undefined;
  const authority = 'dsAttrTypeStandard:AuthenticationAuthority';
  if (record[authority]) record[authority] = [...record[authority]].sort();
  return record;
}

/** Everything a rollback or restore must give back, with the record compared type for type. */
export function typedAccount(mac: SimulatedMac, user: string) {
  return {
    record: typedUser(mac, user),
    staff: groupMembers(mac, 'staff').includes(user),
    admin: groupMembers(mac, 'admin').includes(user),
    accountFile: accountFile(mac, user),
  };
}
