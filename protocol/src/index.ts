// The protocol package's front door: every export is listed by name.
export {
  PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  MAX_FRAME_BYTES,
  MAX_HTTP_BODY_BYTES,
  MAX_INVENTORY_USERS,
  MAX_DETAIL_BYTES,
  MAX_ACK_IDS,
  MAX_COMMAND_VALIDITY_MS,
  MAX_FUTURE_SKEW_MS,
  MAX_SHORT_STRING as MAX_SHORT_STRING_LENGTH,
  MAX_TEXT as MAX_TEXT_LENGTH,
} from './limits.js';
export { ERROR_CODES, CLOSE_CODES, EVENT_KINDS, type ErrorCode, type EventKind, type CodeEntry } from './codes.js';
export {
  STAGES,
  Stage,
  Uuid,
  Timestamp,
  ReportedTime,
  Detail,
  ErrorCodeSchema,
  EventKindSchema,
  isStorableText,
  toStorableText,
  storableString,
} from './common.js';
export {
  AccountKind,
  InventoryUser,
  Binding,
  LoginChain,
  Inventory,
} from './inventory.js';
export {
  COMMAND_TYPES,
  UserScope,
  AccountRef,
  AccountLockParams,
  CommandAction,
  Command,
  CommandOutcome,
  isDestructiveCommand,
  type CommandType,
} from './commands.js';
export {
  Capabilities,
  DeviceIdentity,
  AgentEvent,
  StageResult,
  StageState,
  CommandResult,
  HelloMessage,
  AgentMessage,
  WelcomeMessage,
  ServerMessage,
} from './messages.js';
export { DEVICE_TOKEN_HEADER, ENROLLMENT_REQUEST_HEADER, EnrollPendingResponse, EnrollRequest, EnrollResponse } from './enrollment.js';
export { decodeAgentMessage, decodeServerMessage, summarizeIssues, type DecodeResult } from './parse.js';
