// Takeover end to end: read the accounts once, plan every mapping (pure), and run the links through the
// transaction layer (snapshot, journal, apply, verify, roll back; `untether restore` undoes a link).
// Each committed link is recorded for the user's login notice. Used by the CLI and the server action.
import { errorMessage, UntetherError } from '../errors.js';
import { classifyLoginWindow } from '../loginwindow/chain.js';
import { recordAccountEvent } from '../notify/ledger.js';
import { LOGIN_CONSOLE_RIGHT, readAuthorizationRight } from '../system/security.js';
import { nameAfter } from '../plan/operations.js';
import { readSessions } from '../system/sessions.js';
import { firstStandard } from '../inventory/classify.js';
import { homeFolderState } from '../system/files.js';
import { readDirectory } from '../txn/account-state.js';
import { runAccountChanges, type ChangeOutcome, type TransactionEvent } from '../txn/run.js';
import type { Mapping, TakeoverProvider } from './mapping.js';
import { cloudShortName, localAccountsFrom, type LocalAccount } from './match.js';
import { planTakeover, renamedHome, shortNameProblem, type AccountTakeover, type JamfConnectIdp, type RenameFacts, type TakeoverPlan } from './plan.js';

export interface TakeoverRequest {
  mappings: readonly Mapping[];
  /** auto: jamf-connect or xcreds when the login window is theirs, generic otherwise. */
  provider: TakeoverProvider | 'auto';
  idp: JamfConnectIdp | null;
  alias: boolean;
  /** Rename each account to the cloud short name (RecordName and home folder); refused while the user is logged in. */
  rename?: boolean;
  dryRun: boolean;
  now: () => Date;
  onEvent?: (event: TransactionEvent) => void;
}

/** One mapping's plan and, after a real run, its outcome. */
export interface TakeoverResult {
  plan: AccountTakeover;
  outcome?: ChangeOutcome;
}

export interface TakeoverReport {
  dryRun: boolean;
  provider: TakeoverProvider;
  providerDetected: boolean;
  conflicts: string[];
  accounts: TakeoverResult[];
  /** Things that went wrong after the links were committed (e.g. the login notice could not be recorded). */
  warnings: string[];
}

/** The provider the login window implies: the IdP whose login UI is in the chain, else generic. */
export async function detectProvider(): Promise<TakeoverProvider> {
  let mechanisms: string[];
  try {
    mechanisms = (await readAuthorizationRight(LOGIN_CONSOLE_RIGHT)).mechanisms ?? [];
  } catch (error) {
    throw new UntetherError('E_TAKEOVER_PROVIDER', `detecting the identity provider from the login window: ${error instanceof Error ? error.message : String(error)}; give --provider`, { cause: error });
  }
  const kind = classifyLoginWindow(mechanisms);
  return kind === 'jamf-connect' || kind === 'xcreds' ? kind : 'generic';
}

/** Read what a rename needs: the groups and the home folders involved (reads only). */
async function readRenameFacts(mappings: readonly Mapping[], accounts: readonly LocalAccount[], groups: RenameFacts['groups']): Promise<RenameFacts> {
  const paths = new Set<string>();
  for (const mapping of mappings) {
    const short = cloudShortName(mapping.cloudUser);
    if (shortNameProblem(short) === undefined) paths.add(renamedHome(short));
  }
  for (const account of accounts) {
    const home = firstStandard(account.record, 'NFSHomeDirectory');
    if (home === renamedHome(account.name) && shortNameProblem(account.name) === undefined) paths.add(home);
  }
  const homeFolders = new Map<string, 'directory' | 'missing' | 'other'>();
  for (const macPath of paths) {
    // Unreadable: left out, and the planner refuses a rename it cannot check.
    const state = await homeFolderState(macPath).catch(() => undefined);
    if (state !== undefined) homeFolders.set(macPath, state);
  }
  return { groups, homeFolders };
}

/** Plan every mapping and, unless dry-run or conflicting, link the accounts that may be linked. */
export async function takeover(request: TakeoverRequest): Promise<TakeoverReport> {
  const [directory, provider] = await Promise.all([
    readDirectory(),
    request.provider === 'auto' ? detectProvider() : Promise.resolve(request.provider),
  ]);
  const accounts = localAccountsFrom(directory.users);
  const rename = request.rename === true;
  const renameFacts = rename ? await readRenameFacts(request.mappings, accounts, directory.groups) : undefined;
  // Every session counts (console, fast user switching, terminal, SSH, processes); unreadable refuses the writes.
  const sessions = await readSessions().catch((error: unknown) => ({ unknown: errorMessage(error) }));
  const plan: TakeoverPlan = planTakeover(request.mappings, accounts, { provider, idp: request.idp, alias: request.alias, rename, renameFacts, sessions });
  const report: TakeoverReport = {
    dryRun: request.dryRun,
    provider,
    providerDetected: request.provider === 'auto',
    conflicts: plan.conflicts,
    accounts: plan.accounts.map((account) => ({ plan: account })),
    warnings: [],
  };
  const toLink = report.accounts.filter((account) => account.plan.action === 'link');
  if (request.dryRun || plan.conflicts.length > 0 || toLink.length === 0) return report;

  const outcomes = await runAccountChanges(
    toLink.map((account) => ({ kind: 'takeover' as const, user: account.plan.user!, operations: account.plan.operations })),
    { now: request.now, onEvent: request.onEvent, directory },
  );
  for (const [index, outcome] of outcomes.entries()) toLink[index]!.outcome = outcome;
  for (const account of toLink) {
    if (account.outcome?.outcome !== 'committed') continue;
    try {
      await recordAccountEvent(
        // A renamed account's notice is for its new name, the one the user logs in with.
        { id: `${account.outcome.snapshotId}-linked`, user: nameAfter(account.plan.user!, account.plan.operations), kind: 'linked', at: request.now().toISOString(), cloudUser: account.plan.cloudUser, provider: account.plan.provider },
        request.now(),
      );
    } catch (error) {
      report.warnings.push(`recording the login notice for ${account.plan.user}: ${errorMessage(error)}`);
    }
  }
  return report;
}
