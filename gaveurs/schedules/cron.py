"""Five-field cron expressions (the Beat entries' notation) as Temporal calendar specs.

Temporal also accepts cron strings, but it stores them converted into calendars, so a schedule declared by
cron string never describes back equal to its declaration; declaring the calendar ourselves keeps the sync's
"unchanged" check exact. The cron text rides along as the calendar's comment, for people reading
`temporal schedule describe`.
"""

from __future__ import annotations

from temporalio.client import ScheduleCalendarSpec, ScheduleRange

# name, lowest, highest (Sunday may be written 7 in cron)
_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day_of_month", 1, 31),
    ("month", 1, 12),
    ("day_of_week", 0, 7),
)
_WEEKDAYS = 7


class CronError(ValueError):
    """An expression outside the subset we use: numbers, `*`, ranges `a-b`, steps `/n`, lists `a,b`."""


def _part(text: str, low: int, high: int, expression: str) -> ScheduleRange:
    body, _, step_text = text.partition("/")
    try:
        step = int(step_text) if step_text else 1
        if body == "*":
            start, end = low, min(high, _WEEKDAYS - 1) if high == _WEEKDAYS else high
        elif "-" in body:
            first, last = body.split("-", 1)
            start, end = int(first), int(last)
        else:
            start = int(body)
            end = high if step_text else start
    except ValueError:
        raise CronError(f"cannot read {text!r} in cron expression {expression!r}") from None
    if not (low <= start <= end <= high) or step < 1:
        raise CronError(f"{text!r} is out of range {low}-{high} in cron expression {expression!r}")
    return ScheduleRange(start, end, step)


def _day_of_week(ranges: list[ScheduleRange]) -> list[ScheduleRange]:
    """Cron allows 7 for Sunday; Temporal counts 0–6."""
    fixed = []
    for found in ranges:
        if found.start == found.end == 7:
            fixed.append(ScheduleRange(0))
        elif found.end == 7:
            fixed.append(ScheduleRange(found.start, 6, found.step))
            if (7 - found.start) % found.step == 0:
                fixed.append(ScheduleRange(0))
        else:
            fixed.append(found)
    return fixed


def cron_calendar(expression: str) -> ScheduleCalendarSpec:
    """`0 3 * * *` → a calendar spec firing at 03:00 every day (in the schedule's time zone)."""
    fields = expression.split()
    if len(fields) != len(_FIELDS):
        raise CronError(
            f"cron expression {expression!r} must have five fields: minute hour day month weekday"
        )
    ranges = {
        name: [_part(item, low, high, expression) for item in text.split(",")]
        for (name, low, high), text in zip(_FIELDS, fields, strict=True)
    }
    if fields[2] != "*" and fields[4] != "*":
        # Cron ORs day-of-month and day-of-week; one calendar spec ANDs them.
        raise CronError(f"cron expression {expression!r} restricts both the day of month and the weekday")
    return ScheduleCalendarSpec(
        second=(ScheduleRange(0),),
        minute=tuple(ranges["minute"]),
        hour=tuple(ranges["hour"]),
        day_of_month=tuple(ranges["day_of_month"]),
        month=tuple(ranges["month"]),
        day_of_week=tuple(_day_of_week(ranges["day_of_week"])),
        comment=expression,
    )
