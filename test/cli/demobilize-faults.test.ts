// A fault at every write position leaves the account either fully converted or restored exactly;
// a kill at a write, followed by the next start of the agent, recovers. With UNTETHER_EXHAUSTIVE=1 (CI)
// every position is tried in every mode; a local run tries a spread of positions to stay fast. Records are
// compared by FULL type name (the simulated dscl resolves bare names like macOS), and `restore` afterwards
// must give the original back every time.
import { beforeAll, describe, expect, it } from 'vitest';
import type { FaultOptions, SimulatedMac } from '../macsim/src/index.js';
import { typedAccount } from '../helpers/accounts.js';
import { runUntether } from '../helpers/cli.js';
import { simulatedMac } from '../helpers/sim.js';

/** The built CLI with a generous timeout: the machine may be loaded, and no outcome here may depend on speed. */
const untether = (mac: SimulatedMac, args: readonly string[]) => runUntether(args, { root: mac.root, timeoutMs: 300_000 });

const USER = 'zobrien';
const exhaustive = process.env.UNTETHER_EXHAUSTIVE === '1';

let writes = 0;
let original: ReturnType<typeof typedAccount>;
let converted: ReturnType<typeof typedAccount>;

beforeAll(async () => {
  const mac = simulatedMac({ scenario: 'ad-bound' });
  original = typedAccount(mac, USER);
  mac.clearCalls();
  const run = await untether(mac, ['demobilize', '--user', USER, '--yes']);
  expect(run.exitCode).toBe(0);
  writes = mac.writeCalls().length;
  converted = typedAccount(mac, USER);
}, 120_000);

/** Run jobs a few at a time: each spawns dozens of short processes on a 2-core machine. */
async function inBatches<T>(items: readonly T[], size: number, job: (item: T) => Promise<void>): Promise<void> {
  for (let index = 0; index < items.length; index += size) await Promise.all(items.slice(index, index + size).map(job));
}

/** `untether restore` must then give the original record back, type for type, whatever state the fault left. */
async function expectRestoresOriginal(mac: SimulatedMac, label: object): Promise<void> {
  // Locally only where restore has work to do (the account ended converted), to keep the run short.
  if (!exhaustive && JSON.stringify(typedAccount(mac, USER)) !== JSON.stringify(converted)) return;
  const restore = await untether(mac, ['restore', '--user', USER, '--yes']);
  expect({ ...label, exitCode: restore.exitCode, state: typedAccount(mac, USER) }).toEqual({ ...label, exitCode: 0, state: original });
}

function faultedMac(fault: FaultOptions): SimulatedMac {
  const mac = simulatedMac({ scenario: 'ad-bound' });
  mac.injectFault(fault);
  return mac;
}

/** Every position when exhaustive; otherwise the first, the last and every fourth. */
function positions(): number[] {
  const all = Array.from({ length: writes }, (_, index) => index + 1);
  return exhaustive ? all : all.filter((write) => write <= 2 || write === writes || write === writes - 1 || write % 4 === 0);
}

describe('demobilize under injected faults', () => {
  it('counts the writes of one conversion (the positions below)', () => {
    expect(writes).toBeGreaterThanOrEqual(20);
  });

  it('rolls the account back exactly when any single write fails (or converts, when the failed write was not needed)', async () => {
    await inBatches(positions(), 3, async (write) => {
      const mac = faultedMac({ tool: '*', write, mode: 'fail' });
      const run = await untether(mac, ['demobilize', '--user', USER, '--yes']);
      const state = typedAccount(mac, USER);
      if (run.exitCode === 0) {
        // Only the opendirectoryd restart may fail harmlessly: launchd starts it on demand, and verify passed.
        expect({ write, state }).toEqual({ write, state: converted });
      } else {
        expect({ write, exitCode: run.exitCode, rolledBack: run.stdout.includes('ROLLED BACK to its snapshot') }).toEqual({ write, exitCode: 1, rolledBack: true });
        expect({ write, state }).toEqual({ write, state: original });
      }
      await expectRestoresOriginal(mac, { write });
    });
  }, 600_000);

  it('recovers at the next start after the agent is killed at a write, before or after it lands', async () => {
    const cases = positions().filter((write, index) => exhaustive || index % 2 === 0).flatMap((write) => [false, true].map((afterWrite) => ({ write, afterWrite })));
    await inBatches(cases, 3, async ({ write, afterWrite }) => {
      const mac = faultedMac({ tool: '*', write, mode: 'kill-caller', afterWrite });
      const killed = await untether(mac, ['demobilize', '--user', USER, '--yes']);
      expect({ write, afterWrite, exitCode: killed.exitCode }).toEqual({ write, afterWrite, exitCode: -1 });
      // The next command that touches accounts recovers first; unbind then refuses (mobile accounts remain).
      const next = await untether(mac, ['unbind', '--yes']);
      expect({ write, afterWrite, recovered: /recovered an interrupted change of zobrien: (rolled-back|completed)/.test(next.stderr) }).toEqual({ write, afterWrite, recovered: true });
      const state = typedAccount(mac, USER);
      const outcome = JSON.stringify(state) === JSON.stringify(original) ? 'restored' : JSON.stringify(state) === JSON.stringify(converted) ? 'converted' : 'half-done';
      expect({ write, afterWrite, outcome }).not.toEqual({ write, afterWrite, outcome: 'half-done' });
      await expectRestoresOriginal(mac, { write, afterWrite });
    });
  }, 900_000);
});
