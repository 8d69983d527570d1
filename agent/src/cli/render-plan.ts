// Human output for demobilization plans and their outcomes.
import type { AccountResult } from '../actions/demobilize.js';
import { describeOperation } from '../plan/operations.js';
import { printable } from './table.js';

const VERB = { convert: 'will convert', skip: 'skipped', refuse: 'refused' } as const;

/** One account's plan (gates, then numbered operations) and, after a real run, its outcome. */
export function renderAccount(result: AccountResult, dryRun: boolean): string {
  const { plan, outcome } = result;
  const lines: string[] = [];
  const head = dryRun && plan.action === 'convert' ? 'would convert' : VERB[plan.action];
  lines.push(`${printable(plan.user)}: ${head}`);
  for (const gate of plan.gates) lines.push(`  ${gate.outcome === 'warn' ? 'warning' : gate.outcome}: ${gate.gate}: ${printable(gate.message)}`);
  // The steps are the dry run's answer; a real run reports outcomes (the journal keeps the steps).
  if (dryRun) {
    plan.operations.forEach((operation, index) => lines.push(`  ${index + 1}. ${printable(describeOperation(operation))}`));
  }
  if (outcome) {
    if (outcome.outcome === 'committed') lines.push(`  converted and verified (snapshot ${outcome.snapshotId}; undo with: untether restore --user ${printable(plan.user)})`);
    else if (outcome.outcome === 'rolled-back') lines.push(`  ROLLED BACK to its snapshot: ${printable(outcome.reason)}`);
    else lines.push(`  FAILED, needs an admin: ${printable(outcome.reason)}`);
    if (outcome.outcome !== 'committed') for (const problem of outcome.problems) lines.push(`    - ${printable(problem)}`);
  }
  return lines.join('\n') + '\n';
}

/** The closing summary: counts per outcome. */
export function renderSummary(results: readonly AccountResult[], dryRun: boolean): string {
  const count = (predicate: (result: AccountResult) => boolean) => results.filter(predicate).length;
  if (results.length === 0) return 'No mobile accounts to convert.\n';
  if (dryRun) {
    return `Dry run: ${count((r) => r.plan.action === 'convert')} would convert, ${count((r) => r.plan.action === 'skip')} skipped, ${count((r) => r.plan.action === 'refuse')} refused. Nothing was changed.\n`;
  }
  return (
    `${count((r) => r.outcome?.outcome === 'committed')} converted, ${count((r) => r.outcome?.outcome === 'rolled-back')} rolled back, ` +
    `${count((r) => r.outcome?.outcome === 'failed')} failed, ${count((r) => r.plan.action === 'skip')} skipped, ${count((r) => r.plan.action === 'refuse')} refused.\n`
  );
}
