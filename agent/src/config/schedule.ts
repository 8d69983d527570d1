// The configured weekly windows, as a pure question the run loop asks: may a "schedule" stage run at this moment?
// Local time of the Mac (what admins write in the profile). A window whose end is before its start runs past
// midnight into the next day and belongs to the day it starts on; start equal to end is an empty window.
import type { AgentConfig } from './schema.js';

type ScheduleWindow = AgentConfig['schedule']['windows'][number];

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

function minutes(hourMinute: string): number {
  const [hours = 0, mins = 0] = hourMinute.split(':').map(Number);
  return hours * 60 + mins;
}

/** Whether `now` (local time) falls inside one of the windows. No window means never. */
export function isWithinSchedule(windows: readonly ScheduleWindow[], now: Date): boolean {
  const today = WEEKDAYS[now.getDay()]!;
  const yesterday = WEEKDAYS[(now.getDay() + 6) % 7]!;
  const minute = now.getHours() * 60 + now.getMinutes();
  return windows.some((window) => {
    const start = minutes(window.start);
    const end = minutes(window.end);
    if (end === start) return false;
    if (end > start) return window.days.includes(today) && minute >= start && minute < end;
    // Past midnight: the evening part belongs to today's window, the morning part to yesterday's.
    return (window.days.includes(today) && minute >= start) || (window.days.includes(yesterday) && minute < end);
  });
}
