"""Any IANA timezone, mapped to one of Instantly's zones with identical rules.

Instantly takes 102 zone names; America/New_York is not among them, America/Detroit is, and the
two have the same UTC offsets and daylight-saving transitions. Two zones count as equivalent when
they start a span of years around now at the same offset and change it at the same instants to
the same offsets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# What people mean by a zone abbreviation: the tz database's EST is a fixed UTC-5 (Bogota's rules),
# but a user who says EST means US Eastern time, daylight saving included.
ABBREVIATIONS = {
    "EST": ("America/New_York", "US Eastern time"),
    "EDT": ("America/New_York", "US Eastern time"),
    "ET": ("America/New_York", "US Eastern time"),
    "CST": ("America/Chicago", "US Central time"),
    "CDT": ("America/Chicago", "US Central time"),
    "CT": ("America/Chicago", "US Central time"),
    "MST": ("America/Denver", "US Mountain time"),
    "MDT": ("America/Denver", "US Mountain time"),
    "MT": ("America/Denver", "US Mountain time"),
    "PST": ("America/Los_Angeles", "US Pacific time"),
    "PDT": ("America/Los_Angeles", "US Pacific time"),
    "PT": ("America/Los_Angeles", "US Pacific time"),
    "AKST": ("America/Anchorage", "Alaska time"),
    "HST": ("Pacific/Honolulu", "Hawaii time"),
    "GMT": ("Europe/London", "UK time"),
    "BST": ("Europe/London", "UK time"),
    "WET": ("Europe/Lisbon", "Western European time"),
    "CET": ("Europe/Paris", "Central European time"),
    "CEST": ("Europe/Paris", "Central European time"),
    "EET": ("Europe/Athens", "Eastern European time"),
    "EEST": ("Europe/Athens", "Eastern European time"),
    "IST": ("Asia/Kolkata", "India time"),
    "JST": ("Asia/Tokyo", "Japan time"),
    "AEST": ("Australia/Sydney", "Australian Eastern time"),
    "AEDT": ("Australia/Sydney", "Australian Eastern time"),
}
SPAN_YEARS = (-2, 6)
NEAREST = 5
Signature = tuple[timedelta | None, tuple[tuple[datetime, timedelta | None], ...]]


def meant(name: str) -> tuple[str, str] | None:
    """(IANA zone, plain words) a zone abbreviation stands for in what people mean; None for other names."""
    return ABBREVIATIONS.get(name.strip().upper())


def equivalent(name: str, zones: Sequence[str]) -> str | None:
    """The first of `zones` with the same rules as IANA zone `name`; None when none has them."""
    mine = signature(name)
    if mine is None:
        return None
    region = name.split("/")[0]
    ordered = sorted(zones, key=lambda zone: zone.split("/")[0] != region)
    return next((zone for zone in ordered if signature(zone) == mine), None)


def nearest(name: str, zones: Sequence[str]) -> list[str]:
    """The zones closest to `name` by UTC offset in January and July, with their offsets."""
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return []
    year = datetime.now(UTC).year
    probes = [datetime(year, 1, 15, tzinfo=UTC), datetime(year, 7, 15, tzinfo=UTC)]

    def distance(candidate: str) -> float:
        other = ZoneInfo(candidate)
        return sum(
            abs(((zone.utcoffset(p) or timedelta()) - (other.utcoffset(p) or timedelta())).total_seconds())
            for p in probes
        )

    known = [z for z in zones if signature(z) is not None]
    ranked = sorted(known, key=lambda z: (distance(z), z.split("/")[0] != name.split("/")[0]))
    return [f"{z} (UTC{offset_text(ZoneInfo(z).utcoffset(probes[0]))})" for z in ranked[:NEAREST]]


def is_zone(name: str) -> bool:
    return signature(name) is not None


@cache
def signature(name: str) -> Signature | None:
    """The offset at the start of the span and every change after it (instant, new offset), to
    the hour; None for a name the tz database does not know."""
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    year = datetime.now(UTC).year
    start, end = datetime(year + SPAN_YEARS[0], 1, 1, tzinfo=UTC), datetime(year + SPAN_YEARS[1], 1, 1, tzinfo=UTC)
    changes = []
    current, day = zone.utcoffset(start), start
    while day < end:
        following = day + timedelta(days=1)
        if zone.utcoffset(following) != current:
            instant = next(
                day + timedelta(hours=h) for h in range(1, 25) if zone.utcoffset(day + timedelta(hours=h)) != current
            )
            current = zone.utcoffset(instant)
            changes.append((instant, current))
        day = following
    return zone.utcoffset(start), tuple(changes)


def offset_text(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta()).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
