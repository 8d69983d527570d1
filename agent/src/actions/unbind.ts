// `untether unbind`: remove the AD binding once no mobile account is left (demobilize first: the domain
// must still be reachable while accounts convert), then clean the search policies and verify.
import { EXIT } from '../cli/exit-codes.js';
import { UntetherError } from '../errors.js';
import { isMobileAccount } from '../inventory/classify.js';
import { readAllRecords, readSearchPolicy, removeSearchPath, type SearchNode } from '../system/dscl.js';
import { removeBinding, showBinding, type Binding } from '../system/dsconfigad.js';
import { flushCache } from '../system/opendirectory.js';

const SEARCH_NODES: readonly SearchNode[] = ['/Search', '/Search/Contacts'];
const AD_NODE_PREFIX = '/Active Directory/';

export interface UnbindStep {
  action: 'remove-binding' | 'remove-search-path';
  node?: SearchNode;
  path?: string;
  description: string;
}

export interface UnbindReport {
  binding: Binding;
  steps: UnbindStep[];
  done: boolean;
}

async function adSearchPaths(): Promise<UnbindStep[]> {
  const steps: UnbindStep[] = [];
  for (const node of SEARCH_NODES) {
    const policy = await readSearchPolicy(node);
    for (const entry of policy.cspSearchPath.filter((value) => value.startsWith(AD_NODE_PREFIX))) {
      steps.push({ action: 'remove-search-path', node, path: entry, description: `remove "${entry}" from the ${node} search path` });
    }
  }
  return steps;
}

/** Plan (and unless dry-run, perform and verify) the unbind. Refuses while a mobile account remains. */
export async function unbind(options: { dryRun: boolean }): Promise<UnbindReport> {
  const users = await readAllRecords('/Users');
  const mobile = users.records.filter((record) => isMobileAccount(record)).map((record) => record.recordName);
  if (mobile.length > 0) {
    throw new UntetherError('E_MOBILE_ACCOUNTS_REMAIN', `unbinding: ${mobile.length} mobile account(s) remain (${mobile.join(', ')}); demobilize them first, while the domain is still reachable; nothing was changed`, { exitCode: EXIT.REFUSED });
  }
  const binding = await showBinding();
  const steps: UnbindStep[] = [];
  if (binding.bound) steps.push({ action: 'remove-binding', description: `remove the binding to ${binding.domain} (dsconfigad -remove -force; no AD credentials needed)` });
  steps.push(...(await adSearchPaths()));
  if (options.dryRun || steps.length === 0) return { binding, steps, done: false };

  if (binding.bound) await removeBinding();
  // dsconfigad normally removes the node from the search policies itself; whatever it left goes now.
  for (const step of await adSearchPaths()) await removeSearchPath(step.node!, step.path!);
  await flushCache();
  const after = await showBinding();
  const leftover = await adSearchPaths();
  if (after.bound || leftover.length > 0) {
    const what = [after.bound ? `still bound to ${after.domain}` : '', ...leftover.map((step) => `"${step.path}" still in ${step.node}`)].filter(Boolean);
    throw new UntetherError('E_UNBIND_NOT_VERIFIED', `unbinding: verification failed: ${what.join('; ')}`);
  }
  return { binding, steps, done: true };
}
