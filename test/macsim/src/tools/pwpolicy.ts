// Fake /usr/bin/pwpolicy: the three per-user verbs of account-lock-and-psso.md A.1, with or without the leading
// dash, as root without -a: `-u USER -authentication-allowed`, `-u USER -disableuser`, `-u USER -enableuser`.
// Where -disableuser keeps its state is disputed; this Mac models the first candidate (membership of
// com.apple.access_disabled), and -enableuser removes only that membership (a dscl-written DisabledUser value
// stays, so an account disabled both ways stays disabled). The agent never runs pwpolicy: tests use it to disable
// an account "by someone else". Texts: the two -authentication-allowed lines are captured (Cuthbert 2022); the
// reason after "not allowed to authenticate:" for a disabled account, the silence and exit 0 of
// -disableuser/-enableuser, and the unknown-user message are UNCONFIRMED.
import { ACCESS_DISABLED_GROUP, disabledReason } from '../account-disabled.js';
import { Unsupported, reading, type FakeContext, type ToolHandler } from '../fake/context.js';
import { firstValue } from '../records.js';
import { findRecord, primaryName, withLock, writeRecord, type DirRecord } from '../store.js';

function addOrRemove(record: DirRecord, key: string, value: string, add: boolean): void {
  const values = (record[key] ?? []).filter((existing) => existing !== value);
  if (add) values.push(value);
  if (values.length === 0) delete record[key];
  else record[key] = values;
}

function setDisabled(ctx: FakeContext, userName: string, disabled: boolean): number {
  if (!ctx.isRoot) {
    ctx.err(`Password for authenticator ${userName}:\n`); // pwpolicy asks for the authenticator's password when not root
    return 1;
  }
  return withLock(ctx.root, () => {
    const user = findRecord(ctx.root, 'users', userName);
    if (!user) {
      ctx.err(`Error: user <${userName}> not found\n`);
      return 1;
    }
    const group = findRecord(ctx.root, 'groups', ACCESS_DISABLED_GROUP);
    if (!group) throw new Unsupported(`this Mac has no ${ACCESS_DISABLED_GROUP} group`);
    const name = primaryName(user.record);
    addOrRemove(group.record, 'users', name, disabled);
    const guid = firstValue(user.record, 'generateduid');
    if (guid !== undefined) addOrRemove(group.record, 'groupmembers', guid, disabled);
    writeRecord(ctx.root, 'groups', group.record, group.fileName);
    return 0;
  });
}

function authenticationAllowed(ctx: FakeContext, userName: string): number {
  const user = findRecord(ctx.root, 'users', userName);
  if (!user) {
    ctx.err(`Error: user <${userName}> not found\n`);
    return 1;
  }
  const name = primaryName(user.record);
  if (disabledReason(ctx.root, user.record) !== undefined) ctx.out(`User ${name} is not allowed to authenticate: account is disabled\n`);
  else ctx.out(`Policy allows user ${name} to authenticate\n`);
  return 0;
}

export const pwpolicy: ToolHandler = (ctx) => {
  const args = [...ctx.args];
  if (args[0] !== '-u' || args[1] === undefined || args.length !== 3) throw new Unsupported('only -u USER with one of -authentication-allowed, -disableuser, -enableuser');
  const user = args[1];
  const verb = args[2]!.replace(/^-/, '');
  if (verb === 'authentication-allowed') return reading(() => authenticationAllowed(ctx, user));
  if (verb === 'disableuser' || verb === 'enableuser') return { isWrite: true, run: () => setDisabled(ctx, user, verb === 'disableuser') };
  throw new Unsupported(`verb ${args[2]}`);
};
