// `npm run macsim -- <command> ...`: create and steer simulated Macs from the shell (demo, manual tests).
import { parseArgs } from 'node:util';
import { createSimulatedMac, openSimulatedMac, type FaultOptions } from './harness.js';
import { buildScenario, describeScenario, SCENARIOS, type ScenarioName } from './scenarios.js';
import type { ConsoleState } from './state-schema.js';

function architectureOption(value: string | undefined): 'arm64' | 'x86_64' | undefined {
  if (value === undefined || value === 'arm64' || value === 'x86_64') return value;
  throw new UsageError(`--arch must be arm64 or x86_64, not "${value}"`);
}

const USAGE = `usage: macsim <command> [options]

commands:
  create DIR --scenario NAME   build a simulated Mac (a system root) in DIR
      --mobile-users N         ad-bound*: extra generated mobile users; fleet: number of mobile users (default 5)
      --local-users N          extra generated local users
      --os VERSION             macOS version (default 14.6.1; 13.x uses the Ventura login chain)
      --build BUILD            build number for a version macsim does not know
      --authchanger            install /usr/local/bin/authchanger
      --jamf / --no-jamf       install jamf and jamfHelper (default: on when AD-bound)
      --arch arm64|x86_64      CPU architecture: what sysctl and installer answer (default arm64)
      --run-jobs               launchd starts jobs as real processes (default: bookkeeping only)
      --force                  replace a simulated Mac already in DIR
      --dry-run                print what the scenario seeds, write nothing
  fault DIR --tool TOOL --write N --mode fail|hang|kill-caller [--after-write] [--persistent] [--ds-error NAME]
                               arm a fault on the Nth write of TOOL ("*" = any tool)
  faults DIR [--clear]         list (or clear) armed faults
  bootstrap-race DIR [--count N]
                               the next N launchctl bootstraps load the job but report "Bootstrap failed: 5"
  od-window DIR --ms N [--calls N]
                               how long dscl fails after "killall opendirectoryd" (time and/or calls)
  login DIR USER [--alias NAME]
  logout DIR
  console DIR --mode loginwindow|setup|jamf-connect
  state DIR                    print state.json (validated)
  user DIR NAME                print a user's dslocal record as JSON
  calls DIR [--writes] [--tool TOOL] [--summary]
  notices DIR

scenarios: ${SCENARIOS.join(', ')}
Point the agent at the Mac with UNTETHER_SYSTEM_ROOT=DIR.`;

class UsageError extends Error {}

function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, got "${value}"`);
  return Number(value);
}

function requireDir(dir: string | undefined, command: string): string {
  if (dir === undefined) throw new UsageError(`${command} needs the simulated Mac's directory`);
  return dir;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_key, item: unknown) => (item instanceof Uint8Array ? `<data ${Buffer.from(item).toString('hex')}>` : item), 2)}\n`);
}

function run(argv: string[]): void {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      scenario: { type: 'string' },
      'mobile-users': { type: 'string' },
      'local-users': { type: 'string' },
      os: { type: 'string' },
      build: { type: 'string' },
      authchanger: { type: 'boolean' },
      jamf: { type: 'boolean' },
      'no-jamf': { type: 'boolean' },
      arch: { type: 'string' },
      'run-jobs': { type: 'boolean' },
      force: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      tool: { type: 'string' },
      write: { type: 'string' },
      mode: { type: 'string' },
      'after-write': { type: 'boolean' },
      persistent: { type: 'boolean' },
      'ds-error': { type: 'string' },
      clear: { type: 'boolean' },
      count: { type: 'string' },
      ms: { type: 'string' },
      calls: { type: 'string' },
      alias: { type: 'string' },
      writes: { type: 'boolean' },
      summary: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const dir = requireDir(positionals[0], command);

  switch (command) {
    case 'create': {
      const scenario = values.scenario;
      if (scenario === undefined || !SCENARIOS.includes(scenario as ScenarioName)) {
        throw new UsageError(`create needs --scenario, one of: ${SCENARIOS.join(', ')}`);
      }
      const options = {
        scenario: scenario as ScenarioName,
        mobileUsers: positiveInteger(values['mobile-users'], '--mobile-users'),
        localUsers: positiveInteger(values['local-users'], '--local-users'),
        os: values.os,
        build: values.build,
        authchanger: values.authchanger ?? false,
        jamf: values['no-jamf'] ? false : values.jamf,
        architecture: architectureOption(values.arch),
        launchdRunsJobs: values['run-jobs'] ?? false,
      };
      if (values['dry-run']) {
        process.stdout.write(`would create in ${dir}:\n${describeScenario(buildScenario(options))}\n`);
        return;
      }
      const mac = createSimulatedMac({ dir, force: values.force ?? false, ...options });
      process.stdout.write(`created simulated Mac (${scenario}) in ${mac.root}\n${mac.description}\nexport UNTETHER_SYSTEM_ROOT=${mac.root}\n`);
      return;
    }
    case 'fault': {
      const write = positiveInteger(values.write, '--write');
      const mode = values.mode;
      if (values.tool === undefined || write === undefined || write < 1) throw new UsageError('fault needs --tool TOOL and --write N (N >= 1)');
      if (mode !== 'fail' && mode !== 'hang' && mode !== 'kill-caller') throw new UsageError('fault needs --mode fail|hang|kill-caller');
      const fault: FaultOptions = {
        tool: values.tool as FaultOptions['tool'],
        write,
        mode,
        afterWrite: values['after-write'] ?? false,
        persistent: values.persistent ?? false,
        ...(values['ds-error'] === undefined ? {} : { dsError: values['ds-error'] }),
      };
      const id = openSimulatedMac(dir).injectFault(fault);
      process.stdout.write(`armed ${id}: ${mode}${fault.afterWrite ? ' (after the write)' : ''} on write #${write} of ${values.tool}\n`);
      return;
    }
    case 'faults': {
      const mac = openSimulatedMac(dir);
      if (values.clear) mac.clearFaults();
      printJson(mac.faults());
      return;
    }
    case 'bootstrap-race':
      openSimulatedMac(dir).raceNextBootstraps(positiveInteger(values.count, '--count') ?? 1);
      return;
    case 'od-window': {
      const ms = positiveInteger(values.ms, '--ms');
      if (ms === undefined) throw new UsageError('od-window needs --ms N');
      openSimulatedMac(dir).setDirectoryRestartWindow({ ms, calls: positiveInteger(values.calls, '--calls') ?? 0 });
      return;
    }
    case 'login': {
      const user = positionals[1];
      if (user === undefined) throw new UsageError('login needs a user name');
      openSimulatedMac(dir).login(user, values.alias === undefined ? {} : { nameAlias: values.alias });
      return;
    }
    case 'logout':
      openSimulatedMac(dir).logout();
      return;
    case 'console': {
      const mode = values.mode;
      if (mode !== 'loginwindow' && mode !== 'setup' && mode !== 'jamf-connect') throw new UsageError('console needs --mode loginwindow|setup|jamf-connect');
      openSimulatedMac(dir).setConsole({ mode: mode as ConsoleState['mode'] });
      return;
    }
    case 'state':
      printJson(openSimulatedMac(dir).readState());
      return;
    case 'user': {
      const name = positionals[1];
      if (name === undefined) throw new UsageError('user needs a user name');
      const record = openSimulatedMac(dir).readUser(name);
      if (!record) throw new UsageError(`no user record named "${name}"`);
      printJson(record);
      return;
    }
    case 'calls': {
      let calls = openSimulatedMac(dir).calls();
      if (values.writes) calls = calls.filter((call) => call.isWrite);
      if (values.tool !== undefined) calls = calls.filter((call) => call.tool === values.tool);
      if (values.summary) {
        const counts: Record<string, { calls: number; writes: number }> = {};
        for (const call of calls) {
          const entry = (counts[call.tool] ??= { calls: 0, writes: 0 });
          entry.calls += 1;
          if (call.isWrite) entry.writes += 1;
        }
        printJson({ total: calls.length, byTool: counts });
      } else {
        for (const call of calls) process.stdout.write(`${JSON.stringify(call)}\n`);
      }
      return;
    }
    case 'notices':
      for (const notice of openSimulatedMac(dir).notices()) process.stdout.write(`${JSON.stringify(notice)}\n`);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

try {
  run(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || (error as NodeJS.ErrnoException).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    process.stderr.write(`macsim: ${(error as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`macsim: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
