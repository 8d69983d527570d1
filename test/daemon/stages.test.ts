import { describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../../agent/src/config/schema.js';
import { currentStage, evaluateStages, type MigrationFacts } from '../../agent/src/daemon/stages.js';

const NOW = new Date('2026-11-24T10:00:00'); // a Tuesday, local time
const config = (raw: Record<string, unknown>) => agentConfigSchema.parse(raw);
const facts = (overrides: Partial<MigrationFacts> = {}): MigrationFacts => ({
  bound: true,
  mobileAccounts: ['jdoe', 'zobrien'],
  loggedInUsers: ['jdoe'],
  loginWindowSatisfied: false,
  loginWindowChangedElsewhere: false,
  linksPending: null,
  firstRunSinceBoot: false,
  ...overrides,
});
const statusOf = (views: ReturnType<typeof evaluateStages>, stage: string) => views.find((view) => view.stage === stage)!;

describe('the migration stage machine', () => {
  it('does nothing without configuration: every stage off, the Mac "done"', () => {
    const views = evaluateStages(config({}), facts(), 'start', NOW);
    expect(views.map((view) => view.status)).toEqual(['off', 'off', 'off', 'off', 'off']);
    expect(currentStage(views)).toEqual({ stage: 'done', waitingFor: null });
  });

  it('converts the accounts that are not logged in and waits for the logout of the one that is', () => {
    const schedule = { demobilize: { enabled: true, when: 'schedule', allUsers: true }, schedule: { windows: [{ days: ['tue'], start: '09:00', end: '17:00' }] } };
    expect(statusOf(evaluateStages(config(schedule), facts(), 'schedule', NOW), 'demobilize')).toMatchObject({ status: 'ready', users: ['zobrien'] });
    const onlyJdoe = evaluateStages(config(schedule), facts({ mobileAccounts: ['jdoe'] }), 'schedule', NOW);
    expect(currentStage(onlyJdoe)).toEqual({ stage: 'demobilize', waitingFor: 'user-logout' });
    const outside = evaluateStages(config(schedule), facts(), 'schedule', new Date('2026-11-24T20:00:00'));
    expect(currentStage(outside)).toEqual({ stage: 'demobilize', waitingFor: 'schedule-window' });
  });

  it('runs "at boot" only on the first start after a boot, and "at login" only when nobody is logged in', () => {
    const boot = config({ demobilize: { enabled: true, when: 'boot', allUsers: true } });
    expect(statusOf(evaluateStages(boot, facts({ firstRunSinceBoot: true }), 'start', NOW), 'demobilize').status).toBe('ready');
    expect(statusOf(evaluateStages(boot, facts(), 'console-change', NOW), 'demobilize').waitingFor).toBe('next-boot');
    const login = config({ demobilize: { enabled: true, when: 'login', allUsers: true } });
    expect(statusOf(evaluateStages(login, facts(), 'console-change', NOW), 'demobilize').waitingFor).toBe('login-window');
    expect(statusOf(evaluateStages(login, facts({ loggedInUsers: [] }), 'console-change', NOW), 'demobilize').status).toBe('ready');
  });

  it('unbinds only once no mobile account is left, and applies the login window after the stages before it', () => {
    const full = config({ demobilize: { enabled: true, when: 'login', allUsers: true }, unbind: { enabled: true }, loginWindow: { enabled: true, preset: 'jamf-connect' } });
    const bound = evaluateStages(full, facts({ loggedInUsers: [] }), 'start', NOW);
    expect(statusOf(bound, 'unbind')).toMatchObject({ status: 'waiting', waitingFor: 'mobile-accounts' });
    expect(statusOf(bound, 'loginwindow')).toMatchObject({ status: 'waiting', waitingFor: 'stage-demobilize' });
    const converted = evaluateStages(full, facts({ loggedInUsers: [], mobileAccounts: [] }), 'after-change', NOW);
    expect(statusOf(converted, 'unbind').status).toBe('ready');
    const unbound = evaluateStages(full, facts({ loggedInUsers: [], mobileAccounts: [], bound: false }), 'after-change', NOW);
    expect(statusOf(unbound, 'loginwindow').status).toBe('ready');
    const done = evaluateStages(full, facts({ loggedInUsers: [], mobileAccounts: [], bound: false, loginWindowSatisfied: true }), 'after-change', NOW);
    expect(currentStage(done)).toEqual({ stage: 'done', waitingFor: null });
  });

  it('puts the DeMobilize login window first, and leaves a chain something else changed to the admin', () => {
    const demobilizeFirst = config({ demobilize: { enabled: true, when: 'login', allUsers: true }, loginWindow: { enabled: true, preset: 'demobilize' } });
    expect(statusOf(evaluateStages(demobilizeFirst, facts(), 'start', NOW), 'loginwindow').status).toBe('ready');
    const changed = evaluateStages(config({ loginWindow: { enabled: true, preset: 'jamf-connect' } }), facts({ loginWindowChangedElsewhere: true }), 'start', NOW);
    expect(currentStage(changed)).toEqual({ stage: 'loginwindow', waitingFor: 'admin-decision' });
  });
});
