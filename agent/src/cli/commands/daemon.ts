import { startDaemon } from '../../daemon/daemon.js';
import { requireRoot } from '../account-guard.js';
import type { Command } from '../command.js';
import { EXIT } from '../exit-codes.js';

/** `untether daemon`: the LaunchDaemon's entry point (launchd/io.untether.agent.plist). */
export const daemonCommand: Command = {
  name: 'daemon',
  summary: 'Run the migration service (launchd starts this at boot as root).',
  usage: 'untether daemon',
  details: [
    'Runs the stages the configuration profile turns on (io.untether.agent): at start, when a user logs in or',
    'out, when the configuration changes, on the schedule, and when the server asks. Logs to',
    '/Library/Logs/Untether/agent.log; `untether status` shows where it stands. SIGTERM lets the current step',
    'finish (or roll back) and exits 0. Not meant to be run by hand except for troubleshooting.',
  ].join('\n'),
  options: {},
  async run() {
    requireRoot('daemon');
    const daemon = await startDaemon();
    const code = await daemon.stopped;
    return code === 0 ? EXIT.OK : EXIT.FAILED;
  },
};
