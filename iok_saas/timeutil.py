"""Timezone-aware time: stored in UTC, shown in Europe/Warsaw."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")


def utcnow() -> datetime:
    return datetime.now(UTC)


def warsaw_today() -> date:
    """Today's date where the cooperatives are (the day a resident or clerk calls today)."""
    return utcnow().astimezone(WARSAW).date()


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(WARSAW)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after ``month`` (negative: before)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)
