// Hardware identity through /usr/sbin/ioreg: the platform UUID and serial number the fleet server
// uses to recognise this Mac across re-enrollments.
import { UnexpectedOutputError, parseToolOutput } from './output.js';
import { runToolChecked } from './run.js';

/** This Mac's hardware identity. */
export interface HardwareIdentity {
  hardwareUuid: string;
  serialNumber: string;
}

function stringProperty(raw: string, key: string): string {
  const matches = [...raw.matchAll(new RegExp(`^\\s*"${key}" = "([^"]*)"\\s*$`, 'gm'))];
  if (matches.length !== 1) {
    throw new UnexpectedOutputError(`expected one "${key}" string property, found ${matches.length}`);
  }
  const value = matches[0]![1]!;
  if (value === '') throw new UnexpectedOutputError(`"${key}" is empty`);
  return value;
}

// Sample (`ioreg -rd1 -c IOPlatformExpertDevice`; property lines from a 2025 capture, header reconstructed):
//   +-o iMacPro1,1  <class IOPlatformExpertDevice, id 0x100000114, registered, matched, active, …>
//       {
//         "IOPlatformSystemSleepPolicy" = <534c5054…>
//         "serial-number" = <4330325058…>
//         "IOPlatformUUID" = "3F1C2B7A-9D4E-5A6B-8C7D-0E1F2A3B4C5D"
//         "IOPlatformSerialNumber" = "C02PXXXXXXXX"
//         …
//       }
// Edge cases: data properties are <hex> or <"text">, strings are "text"; only the two string properties are read.
/** Parse the hardware UUID and serial number from ioreg's IOPlatformExpertDevice entry. */
export function parseIoregPlatform(raw: string): HardwareIdentity {
  return {
    hardwareUuid: stringProperty(raw, 'IOPlatformUUID'),
    serialNumber: stringProperty(raw, 'IOPlatformSerialNumber'),
  };
}

/** Read the hardware UUID and serial number. */
export async function hardwareIdentity(): Promise<HardwareIdentity> {
  const result = await runToolChecked('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice']);
  return parseToolOutput(result, parseIoregPlatform);
}
