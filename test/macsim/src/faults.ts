// Fault injection: make the Nth write of a tool fail, hang, or kill the process that ran the tool, before
// or after the write is applied. Faults live in <root>/.macsim/faults.json; every write a root fake makes
// counts against the armed faults of its tool (or "*") under the simulator lock.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LAYOUT, atomicWrite, withLock } from './store.js';

export type FaultMode = 'fail' | 'hang' | 'kill-caller';

export interface FaultSpec {
  id: string;
  /** Tool name as in the agent's TOOL_PATHS ("dscl", "security", ...) or "*" for any tool. */
  tool: string;
  /** Trigger on this write (1-based), counted from when the fault was armed. */
  write: number;
  mode: FaultMode;
  /** kill-caller only: apply the write first, then kill the caller. */
  afterWrite: boolean;
  /** Keep firing on every later write too (default: one-shot). */
  persistent: boolean;
  /** For `fail` on dscl: the DS error to report (default eDSPermissionError). */
  dsError?: string;
  /** Writes seen so far (bookkeeping). */
  seen: number;
}

interface FaultFile {
  faults: FaultSpec[];
}

function faultsPath(root: string): string {
  return path.join(root, LAYOUT.faults);
}

function readFaultFile(root: string): FaultFile {
  if (!existsSync(faultsPath(root))) return { faults: [] };
  return JSON.parse(readFileSync(faultsPath(root), 'utf8')) as FaultFile;
}

/** Arm a fault; returns its id. */
export function armFault(root: string, fault: Omit<FaultSpec, 'id' | 'seen'>): string {
  if (!Number.isInteger(fault.write) || fault.write < 1) throw new Error(`arming a fault: --write must be a positive integer, got ${fault.write}`);
  if (fault.afterWrite && fault.mode !== 'kill-caller') throw new Error('arming a fault: --after-write only applies to --mode kill-caller');
  return withLock(root, () => {
    const file = readFaultFile(root);
    const id = `fault-${Date.now().toString(36)}-${file.faults.length + 1}`;
    file.faults.push({ ...fault, id, seen: 0 });
    atomicWrite(faultsPath(root), `${JSON.stringify(file, null, 2)}\n`);
    return id;
  });
}

/** Remove every armed fault. */
export function clearFaults(root: string): void {
  withLock(root, () => atomicWrite(faultsPath(root), `${JSON.stringify({ faults: [] }, null, 2)}\n`));
}

export function listFaults(root: string): FaultSpec[] {
  return readFaultFile(root).faults;
}

/**
 * Count one write by `tool` against the armed faults and return the fault that fires now, if any.
 * One-shot faults are removed when they fire. Cheap when no fault file exists.
 */
export function takeFault(root: string, tool: string): FaultSpec | undefined {
  if (!existsSync(faultsPath(root))) return undefined;
  return withLock(root, () => {
    const file = readFaultFile(root);
    if (file.faults.length === 0) return undefined;
    let fired: FaultSpec | undefined;
    for (const fault of file.faults) {
      if (fault.tool !== tool && fault.tool !== '*') continue;
      fault.seen += 1;
      const due = fault.seen === fault.write || (fault.persistent && fault.seen > fault.write);
      if (due && fired === undefined) fired = fault;
    }
    file.faults = file.faults.filter((fault) => fault !== fired || fault.persistent);
    atomicWrite(faultsPath(root), `${JSON.stringify(file, null, 2)}\n`);
    return fired;
  });
}
