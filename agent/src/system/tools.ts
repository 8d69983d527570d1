// Every macOS tool the agent may run, declared once with its absolute path. The agent never searches
// PATH: a tool is either at this path under the system root or it is missing.
export const TOOL_PATHS = {
  dscl: '/usr/bin/dscl',
  dsconfigad: '/usr/sbin/dsconfigad',
  security: '/usr/bin/security',
  authchanger: '/usr/local/bin/authchanger',
  fdesetup: '/usr/bin/fdesetup',
  sysadminctl: '/usr/sbin/sysadminctl',
  diskutil: '/usr/sbin/diskutil',
  scutil: '/usr/sbin/scutil',
  stat: '/usr/bin/stat',
  launchctl: '/bin/launchctl',
  dscacheutil: '/usr/bin/dscacheutil',
  killall: '/usr/bin/killall',
  dseditgroup: '/usr/sbin/dseditgroup',
  id: '/usr/bin/id',
  profiles: '/usr/bin/profiles',
  defaults: '/usr/bin/defaults',
  sw_vers: '/usr/bin/sw_vers',
  chown: '/usr/sbin/chown',
  osascript: '/usr/bin/osascript',
  jamf: '/usr/local/bin/jamf',
  jamfHelper: '/Library/Application Support/JAMF/bin/jamfHelper.app/Contents/MacOS/jamfHelper',
  pkgutil: '/usr/sbin/pkgutil',
  ioreg: '/usr/sbin/ioreg',
  who: '/usr/bin/who',
  ps: '/bin/ps',
  sudo: '/usr/bin/sudo',
} as const;

export type ToolName = keyof typeof TOOL_PATHS;
