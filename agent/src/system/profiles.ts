// Configuration profiles and MDM enrollment through /usr/bin/profiles: which profiles are installed
// (computer and per user, in ONE call) and whether the Mac is enrolled, via DEP, user-approved.
import { UnexpectedOutputError, excerpt, outputLines, parseToolOutput } from './output.js';
import { runToolChecked } from './run.js';

/** Installed profile identifiers, computer-level and per user. */
export interface InstalledProfiles {
  computer: string[];
  byUser: Record<string, string[]>;
}

const COMPUTER_LEVEL = '_computerlevel';

// Sample (`profiles -P` as root; the `_computerlevel` lines are a 2019 capture of the same format from
// `profiles -C`; the user lines and the count line are reconstructed [UNCONFIRMED]):
//   _computerlevel[1] attribute: profileIdentifier: 000000-0000-0000-A000-4A414D460003
//   _computerlevel[3] attribute: profileIdentifier: com.jamfsoftware.tcc.management
//   jdoe[1] attribute: profileIdentifier: com.example.user.wifi
//   There are 3 configuration profiles installed
// Edge cases: nothing installed ⇒ `There are no configuration profiles installed` (sometimes "… in the
// system domain" / "… for user 'x'"); indexes can have gaps; other `attribute:` lines (name, …) appear with -v.
/** Parse `profiles -P` into computer-level and per-user profile identifiers. */
export function parseProfilesList(raw: string): InstalledProfiles {
  const installed: InstalledProfiles = { computer: [], byUser: {} };
  for (const line of outputLines(raw)) {
    if (line.trim() === '' || /^There (are|is) .*configuration profiles? installed/.test(line.trim())) continue;
    const match = /^(\S+)\[(\d+)\] attribute: (\w+): (.*)$/.exec(line);
    if (!match) throw new UnexpectedOutputError(`line is not "<owner>[N] attribute: <name>: <value>": ${excerpt(line)}`);
    const [, owner, , attribute, value] = match;
    if (attribute !== 'profileIdentifier') continue;
    if (owner === COMPUTER_LEVEL) installed.computer.push(value!);
    else {
      // defineProperty: a user named like an Object.prototype key must still get its own list.
      if (!Object.hasOwn(installed.byUser, owner!)) Object.defineProperty(installed.byUser, owner!, { value: [], enumerable: true });
      installed.byUser[owner!]!.push(value!);
    }
  }
  return installed;
}

/** List every installed profile identifier, computer-level and for all users, with one call. */
export async function installedProfiles(): Promise<InstalledProfiles> {
  const result = await runToolChecked('profiles', ['-P']);
  return parseToolOutput(result, parseProfilesList);
}

/** MDM enrollment as `profiles status -type enrollment` reports it. */
export interface EnrollmentStatus {
  dep: boolean;
  mdm: 'no' | 'yes' | 'user-approved';
  mdmServer?: string;
}

// Sample (`profiles status -type enrollment`, macOS 10.13.4+; many public captures):
//   Enrolled via DEP: No
//   MDM enrollment: Yes (User Approved)
//   MDM server: https://example.com/mdm/ServerURL
// Edge cases: the `MDM server:` line appears only when enrolled; `MDM enrollment: Yes` without
// "(User Approved)" is an old unapproved enrollment.
/** Parse `profiles status -type enrollment`. */
export function parseEnrollmentStatus(raw: string): EnrollmentStatus {
  const fields = new Map<string, string>();
  for (const line of outputLines(raw)) {
    const match = /^([^:]+): (.*)$/.exec(line.trim());
    if (match) fields.set(match[1]!, match[2]!.trim());
  }
  const dep = fields.get('Enrolled via DEP');
  const mdm = fields.get('MDM enrollment');
  if (dep !== 'Yes' && dep !== 'No') throw new UnexpectedOutputError(`"Enrolled via DEP" is ${excerpt(dep ?? '(missing)')}`);
  const mdmKinds: Record<string, EnrollmentStatus['mdm']> = { No: 'no', Yes: 'yes', 'Yes (User Approved)': 'user-approved' };
  if (mdm === undefined || !Object.hasOwn(mdmKinds, mdm)) {
    throw new UnexpectedOutputError(`"MDM enrollment" is ${excerpt(mdm ?? '(missing)')}`);
  }
  const status: EnrollmentStatus = { dep: dep === 'Yes', mdm: mdmKinds[mdm]! };
  const server = fields.get('MDM server');
  if (server) status.mdmServer = server;
  return status;
}

/** Read the MDM enrollment status. */
export async function enrollmentStatus(): Promise<EnrollmentStatus> {
  const result = await runToolChecked('profiles', ['status', '-type', 'enrollment']);
  return parseToolOutput(result, parseEnrollmentStatus);
}
