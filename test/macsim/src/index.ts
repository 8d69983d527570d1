// The simulated Mac's public surface for tests, the demo and benchmarks.
export {
  createSimulatedMac,
  openSimulatedMac,
  runFile,
  fakeEntryPath,
  SimulatedMac,
  LoginRefusedError,
  type CreateSimulatedMacOptions,
  type FaultOptions,
  type RunOptions,
  type RunResult,
  type CallRecord,
  type NoticeRecord,
  type FaultSpec,
  type FaultMode,
  type MacState,
  type DirRecord,
  type ScenarioName,
} from './harness.js';
export { SCENARIOS, KNOWN_BUILDS, DEFAULT_OS, DOMAIN_USERS_GID, seededPassword, buildScenario } from './scenarios.js';
export { SONOMA_LOGIN_MECHANISMS, VENTURA_LOGIN_MECHANISMS, AUTHCHANGER_RESET_MECHANISMS, LOGIN_RIGHT } from './authdb.js';
export { parseXmlPlist, toXmlPlist, isPlistDict, type PlistValue, type PlistDict } from './plist.js';
export { STANDARD_TO_DISK, displayValue } from './records.js';
export { LAYOUT } from './store.js';
