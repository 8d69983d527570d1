import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hardwareIdentity, parseIoregPlatform } from '../../agent/src/system/ioreg.js';
import { UnexpectedOutputError } from '../../agent/src/system/output.js';
import { enrollmentStatus, installedProfiles, parseEnrollmentStatus, parseProfilesList } from '../../agent/src/system/profiles.js';
import { macOSVersion, parseSwVers } from '../../agent/src/system/swvers.js';
import { FakeMac, fixtureText } from './fake-mac.js';

describe('parseSwVers', () => {
  it('reads macOS 14 with two tabs after each key', () => {
    expect(parseSwVers(fixtureText('macos-14/sw_vers'))).toEqual({
      productName: 'macOS',
      productVersion: '14.0',
      buildVersion: '23A344',
      major: 14,
      minor: 0,
      patch: 0,
    });
  });

  it('reads Catalina with one tab and a three-part version', () => {
    expect(parseSwVers(fixtureText('macos-10.15/sw_vers'))).toMatchObject({ productName: 'Mac OS X', major: 10, minor: 15, patch: 5 });
  });

  it('reads a Rapid Security Response suffix', () => {
    expect(parseSwVers(fixtureText('macos-13/sw_vers-rsr'))).toMatchObject({ productVersionExtra: '(a)', major: 13, minor: 4, patch: 1 });
  });

  it('refuses output without a version', () => {
    expect(() => parseSwVers('ProductName:\tmacOS\n')).toThrow(UnexpectedOutputError);
    expect(() => parseSwVers('ProductName:\tmacOS\nProductVersion:\tSonoma\nBuildVersion:\tX\n')).toThrow(/N\.N/);
  });
});

describe('parseIoregPlatform', () => {
  it('reads the platform UUID and serial number', () => {
    expect(parseIoregPlatform(fixtureText('macos-any/ioreg-IOPlatformExpertDevice'))).toEqual({
      hardwareUuid: '3F1C2B7A-9D4E-5A6B-8C7D-0E1F2A3B4C5D',
      serialNumber: 'C02PXXXXXXXX',
    });
  });

  it('refuses output without them', () => {
    expect(() => parseIoregPlatform('+-o Root\n')).toThrow(/IOPlatformUUID/);
  });
});

describe('parseProfilesList', () => {
  it('splits computer-level and per-user profile identifiers', () => {
    expect(parseProfilesList(fixtureText('macos-any/profiles-P-computer-and-user'))).toEqual({
      computer: [
        '000000-0000-0000-A000-4A414D460003',
        'AD8AB2-B036-43CD-8C76-E9F0CC288495',
        'com.jamfsoftware.tcc.management',
        '7FCBA6-B939-45B3-AEDF-8CB51F7F362C',
        'com.org.tccprofile',
        'E55CEA-FABB-4D67-9B93-186FA1DE0FE5',
      ],
      byUser: { jdoe: ['com.example.user.wifi', 'com.example.user.certificate'] },
    });
  });

  it('reads "no profiles installed" as empty, ignores other attributes, refuses unknown lines', () => {
    expect(parseProfilesList(fixtureText('macos-any/profiles-P-none'))).toEqual({ computer: [], byUser: {} });
    expect(parseProfilesList('_computerlevel[4] attribute: name: MDM Profile\n')).toEqual({ computer: [], byUser: {} });
    expect(() => parseProfilesList('profiles: error\n')).toThrow(UnexpectedOutputError);
  });
});

describe('parseEnrollmentStatus', () => {
  it.each([
    ['macos-any/profiles-status-enrollment-none', { dep: false, mdm: 'no' }],
    ['macos-any/profiles-status-enrollment-user-approved', { dep: false, mdm: 'user-approved', mdmServer: 'https://example.com/mdm/ServerURL' }],
    ['macos-any/profiles-status-enrollment-dep', { dep: true, mdm: 'user-approved' }],
  ])('reads %s', (name, expected) => {
    expect(parseEnrollmentStatus(fixtureText(name))).toEqual(expected);
  });

  it('refuses unknown values', () => {
    expect(() => parseEnrollmentStatus('Enrolled via DEP: Maybe\nMDM enrollment: No\n')).toThrow(UnexpectedOutputError);
    expect(() => parseEnrollmentStatus('Enrolled via DEP: No\n')).toThrow(/MDM enrollment/);
  });
});

describe('version, hardware and profile tool calls', () => {
  let mac: FakeMac;
  beforeEach(() => {
    mac = FakeMac.create();
  });
  afterEach(() => mac.dispose());

  it('runs each tool with its exact arguments', async () => {
    mac.installFixture('sw_vers', 'macos-14/sw_vers');
    mac.installFixture('ioreg', 'macos-any/ioreg-IOPlatformExpertDevice');
    mac.install('profiles', [{ stdout: fixtureText('macos-any/profiles-P-none') }, { stdout: fixtureText('macos-any/profiles-status-enrollment-dep') }]);
    await expect(macOSVersion()).resolves.toMatchObject({ major: 14 });
    await expect(hardwareIdentity()).resolves.toMatchObject({ serialNumber: 'C02PXXXXXXXX' });
    await expect(installedProfiles()).resolves.toEqual({ computer: [], byUser: {} });
    await expect(enrollmentStatus()).resolves.toEqual({ dep: true, mdm: 'user-approved' });
    expect(mac.calls('sw_vers')[0]!.args).toEqual([]);
    expect(mac.calls('ioreg')[0]!.args).toEqual(['-rd1', '-c', 'IOPlatformExpertDevice']);
    expect(mac.calls('profiles').map((call) => call.args)).toEqual([['-P'], ['status', '-type', 'enrollment']]);
  });
});
