import { describe, expect, it } from 'vitest';
import { isWithinSchedule } from '../../agent/src/config/schedule.js';
import type { AgentConfig } from '../../agent/src/config/schema.js';

type Windows = AgentConfig['schedule']['windows'];

// Local time: new Date(year, monthIndex, day, hours, minutes). 2026-11-23 is a Monday.
const at = (day: number, hours: number, mins = 0) => new Date(2026, 10, day, hours, mins);

describe('isWithinSchedule', () => {
  const evenings: Windows = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '19:00', end: '06:00' }];
  const lunch: Windows = [{ days: ['sat'], start: '12:00', end: '13:30' }];

  it('never runs without a window, or in a window that ends when it starts', () => {
    expect(isWithinSchedule([], at(23, 20))).toBe(false);
    expect(isWithinSchedule([{ days: ['mon'], start: '20:00', end: '20:00' }], at(23, 20))).toBe(false);
  });

  it('runs inside a same-day window, start included, end excluded', () => {
    expect(isWithinSchedule(lunch, at(28, 12, 0))).toBe(true);
    expect(isWithinSchedule(lunch, at(28, 13, 29))).toBe(true);
    expect(isWithinSchedule(lunch, at(28, 13, 30))).toBe(false);
    expect(isWithinSchedule(lunch, at(27, 12, 30))).toBe(false); // Friday
  });

  it('runs a window past midnight into the next morning, counted from the day it starts', () => {
    expect(isWithinSchedule(evenings, at(23, 19))).toBe(true); // Monday evening
    expect(isWithinSchedule(evenings, at(24, 5, 59))).toBe(true); // Tuesday morning, Monday's window
    expect(isWithinSchedule(evenings, at(24, 6))).toBe(false);
    expect(isWithinSchedule(evenings, at(23, 3))).toBe(false); // Monday morning: Sunday has no window
    expect(isWithinSchedule(evenings, at(28, 2))).toBe(true); // Saturday morning, Friday's window
    expect(isWithinSchedule(evenings, at(28, 20))).toBe(false); // Saturday evening
  });
});
