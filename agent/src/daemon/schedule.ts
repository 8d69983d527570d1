// Pure: whether a moment falls inside the admin's weekly windows (the Mac's local time).
import type { AgentConfig } from '../config/schema.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

function minutes(hhmm: string): number {
  const [hours, mins] = hhmm.split(':').map(Number);
  return (hours ?? 0) * 60 + (mins ?? 0);
}

/** Whether `now` is inside one of the windows; a window whose end is before its start runs past midnight. */
export function inScheduleWindow(windows: AgentConfig['schedule']['windows'], now: Date): boolean {
  const day = DAYS[now.getDay()]!;
  const previousDay = DAYS[(now.getDay() + 6) % 7]!;
  const minute = now.getHours() * 60 + now.getMinutes();
  return windows.some((window) => {
    const start = minutes(window.start);
    const end = minutes(window.end);
    if (start <= end) return window.days.includes(day) && minute >= start && minute < end;
    // Overnight: the evening part belongs to the listed day, the morning part to the day after it.
    return (window.days.includes(day) && minute >= start) || (window.days.includes(previousDay) && minute < end);
  });
}
