// Who can unlock FileVault and who holds a SecureToken, read before and after a batch so verification
// can prove a change lost neither. Two tool calls per batch, whatever the number of accounts.
import { listCryptoUsers } from '../system/diskutil.js';
import { listUsers as listFileVaultUsers } from '../system/fdesetup.js';
import { firstStandard } from '../inventory/classify.js';
import type { DirectoryRecord } from '../system/dscl.js';
import type { UnlockFacts } from './verify.js';

export interface UnlockSnapshot {
  /** GeneratedUIDs (upper case) and short names fdesetup lists, or null when it could not be read. */
  fileVault: { uuids: Set<string>; names: Set<string> } | null;
  /** GeneratedUIDs (upper case) of the volume's Open Directory crypto users, or null. */
  crypto: Set<string> | null;
}

const OPEN_DIRECTORY_CRYPTO_USER = 'Local Open Directory User';

/** Read both lists; either may be unavailable (FileVault off, not root) and is then not compared. */
export async function readUnlockSnapshot(): Promise<UnlockSnapshot> {
  const [fileVault, crypto] = await Promise.all([
    listFileVaultUsers().then(
      (users) => ({ uuids: new Set(users.map((user) => user.uuid.toUpperCase())), names: new Set(users.map((user) => user.name)) }),
      () => null,
    ),
    listCryptoUsers('/').then(
      (users) => new Set(users.filter((user) => user.type === OPEN_DIRECTORY_CRYPTO_USER).map((user) => user.uuid.toUpperCase())),
      () => null,
    ),
  ]);
  return { fileVault, crypto };
}

/** One account's unlock facts from a snapshot of the lists. */
export function unlockFactsFor(record: DirectoryRecord, lists: UnlockSnapshot): UnlockFacts {
  const guid = firstStandard(record, 'GeneratedUID')?.toUpperCase() ?? null;
  return {
    fileVaultUser: lists.fileVault ? (guid !== null && lists.fileVault.uuids.has(guid)) || lists.fileVault.names.has(record.recordName) : null,
    cryptoUser: lists.crypto && guid !== null ? lists.crypto.has(guid) : null,
  };
}
