# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""Validation and wire format of a command's schedule and schedule_args (CONTRACT section 2.2)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re
import time

from ansible_collections.esper.mdm.plugins.module_utils._catalogue import COMMANDS
from ansible_collections.esper.mdm.plugins.module_utils._client import parse_iso8601

IMMEDIATE = 'IMMEDIATE'
WINDOW = 'WINDOW'
RECURRING = 'RECURRING'
SCHEDULES = (IMMEDIATE, WINDOW, RECURRING)
TIME_TYPES = ('console', 'device')
ALL_DAYS = 'All days'
DAY_NAMES = ('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday')
SCHEDULE_ARG_NAMES = ('name', 'start_datetime', 'end_datetime', 'time_type', 'window_start_time', 'window_end_time', 'days')

WINDOW_ARGS = ('name', 'start_datetime', 'end_datetime', 'time_type')
RECURRING_ONLY_ARGS = ('window_start_time', 'window_end_time', 'days')
RECURRING_ARGS = WINDOW_ARGS + RECURRING_ONLY_ARGS
REQUIRED_ARGS = {WINDOW: WINDOW_ARGS, RECURRING: RECURRING_ARGS}
# Commands whose scheduled form needs more than its schedule type asks for (NOTIFY_DEVICE, section 2.2).
REQUIRED_ARGS_BY_COMMAND = {'NOTIFY_DEVICE': ('name', 'time_type', 'start_datetime', 'end_datetime')}

_UTC = datetime.timezone.utc
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=_UTC)
# With time_type device, each device reads the (UTC) wall-clock time sent as its own local time, so a window ends
# up to 12 hours later on a device at UTC-12. Local offsets span UTC-12 .. UTC+14; the widest, 14 hours, is used
# as the margin so that a window still open on some device is never refused.
DEVICE_TIME_MARGIN = datetime.timedelta(hours=14)
_TIME = re.compile(r'^(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?$')
DATETIME_HINT = 'an ISO-8601 date-time such as 2025-06-01T22:00:00Z or 2025-06-01T23:00:00+01:00'
TIME_HINT = 'a time of day HH:MM:SS or HH:MM, quoted (unquoted times in YAML become numbers)'


def parse_datetime(value):
    """Return value (an ISO-8601 string or a datetime) as an aware UTC datetime, or None when it is not one.

    'Z' and numeric offsets are accepted; a value without an offset is taken as UTC. Strings are read by the
    collection's one ISO-8601 parser, _client.parse_iso8601.
    """
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=_UTC)
        return moment.astimezone(_UTC)
    seconds = parse_iso8601(value)
    if seconds is None:
        return None
    try:
        return _EPOCH + datetime.timedelta(seconds=seconds)
    except OverflowError:
        return None


def format_datetime(moment):
    """Return an aware datetime as the UTC wire form YYYY-MM-DDTHH:MM:SSZ (fractions of seconds dropped)."""
    return moment.astimezone(_UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def parse_time_of_day(value):
    """Return value ('HH:MM:SS' or 'HH:MM') as 'HH:MM:SS', or None when it is not a valid time of day."""
    if not isinstance(value, str):
        return None
    match = _TIME.match(value.strip())
    if not match:
        return None
    hour, minute, second = int(match.group('hour')), int(match.group('minute')), int(match.group('second') or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return '%02d:%02d:%02d' % (hour, minute, second)


def canonical_day(value):
    """Return the canonical spelling of a day name (Monday..Sunday or All days, any case), or None."""
    if not isinstance(value, str):
        return None
    wanted = ' '.join(value.split()).lower()
    for day in DAY_NAMES + (ALL_DAYS,):
        if day.lower() == wanted:
            return day
    return None


def _show(value):
    if isinstance(value, str):
        return '"%s"' % value if len(value) <= 60 else '"%s..."' % value[:57]
    if isinstance(value, (dict, list, tuple)):
        return 'a %s' % ('dict' if isinstance(value, dict) else 'list')
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return 'null' if value is None else str(value)


def _given_args(schedule_args):
    return dict((key, value) for key, value in (schedule_args or {}).items() if value is not None)


def _days_problems(days):
    if not isinstance(days, list) or not days:
        return ['schedule_args.days must be a non-empty list of day names (%s, or %s), got %s'
                % (', '.join(DAY_NAMES), ALL_DAYS, _show(days))]
    problems = []
    seen = []
    for index, day in enumerate(days):
        canonical = canonical_day(day)
        if canonical is None:
            problems.append('schedule_args.days[%d] must be one of %s, %s, got %s' % (index, ', '.join(DAY_NAMES), ALL_DAYS, _show(day)))
        elif canonical in seen:
            problems.append('schedule_args.days lists %s more than once' % canonical)
        else:
            seen.append(canonical)
    if ALL_DAYS in seen and len(seen) > 1:
        problems.append('schedule_args.days: %s cannot be combined with other days' % ALL_DAYS)
    return problems


def _format_epoch(seconds):
    return format_datetime(_EPOCH + datetime.timedelta(seconds=seconds))


def _ended_problem(given, now):
    """The problem of a window whose end_datetime has passed on every device, or None."""
    end = parse_datetime(given.get('end_datetime'))
    if end is None:
        return None
    time_type = given.get('time_type')
    device_time = isinstance(time_type, str) and time_type.strip().lower() == 'device'
    latest_end = end + DEVICE_TIME_MARGIN if device_time else end
    if (latest_end - _EPOCH).total_seconds() > now:
        return None
    where = ' on every device, whatever its time zone (time_type device)' if device_time else ''
    return ('schedule_args.end_datetime (%s) is already in the past%s (now %s), so the schedule would never run; '
            'give an end_datetime later than now' % (format_datetime(end), where, _format_epoch(now)))


def _value_problems(given):
    """Problems with the format of each given schedule argument."""
    problems = []
    if 'name' in given and (not isinstance(given['name'], str) or not given['name'].strip()):
        problems.append('schedule_args.name must be a non-empty string, got %s' % _show(given['name']))
    for key in ('start_datetime', 'end_datetime'):
        if key in given and parse_datetime(given[key]) is None:
            problems.append('schedule_args.%s must be %s, got %s' % (key, DATETIME_HINT, _show(given[key])))
    start, end = parse_datetime(given.get('start_datetime')), parse_datetime(given.get('end_datetime'))
    if start is not None and end is not None and end <= start:
        problems.append('schedule_args.end_datetime (%s) must be later than schedule_args.start_datetime (%s)'
                        % (format_datetime(end), format_datetime(start)))
    if 'time_type' in given and (not isinstance(given['time_type'], str) or given['time_type'].strip().lower() not in TIME_TYPES):
        problems.append('schedule_args.time_type must be one of %s, got %s' % (', '.join(TIME_TYPES), _show(given['time_type'])))
    for key in ('window_start_time', 'window_end_time'):
        if key in given and parse_time_of_day(given[key]) is None:
            problems.append('schedule_args.%s must be %s, got %s' % (key, TIME_HINT, _show(given[key])))
    window_start, window_end = parse_time_of_day(given.get('window_start_time')), parse_time_of_day(given.get('window_end_time'))
    if window_start is not None and window_start == window_end:
        problems.append('schedule_args.window_end_time must differ from schedule_args.window_start_time (both %s)' % window_start)
    if 'days' in given:
        problems.extend(_days_problems(given['days']))
    return problems


def _schedulable_problem(schedule, command):
    spec = COMMANDS.get(command) if isinstance(command, str) else None
    # An unknown command is reported by catalogue.validate_command_args; saying it twice would not help.
    if spec is None or spec.schedulable:
        return None
    return ('%s cannot use schedule %s: Esper runs scheduled commands only on Android, and %s runs on %s; use schedule %s'
            % (command, schedule, command, ', '.join(spec.platforms), IMMEDIATE))


def validate_schedule(schedule, schedule_args, command, now=None):
    """Return every problem with schedule and schedule_args for command ([] when fine); None values count as not given.

    schedule None means IMMEDIATE. IMMEDIATE takes no schedule_args; WINDOW needs name, start_datetime,
    end_datetime and time_type; RECURRING also needs window_start_time, window_end_time and days.
    A WINDOW or RECURRING schedule whose end_datetime has passed is refused; with time_type device the end is a
    device-local time, so it counts as passed only DEVICE_TIME_MARGIN (14 h) later. now: epoch seconds (tests);
    defaults to time.time().
    """
    if schedule is None:
        schedule = IMMEDIATE
    if schedule not in SCHEDULES:
        return ['schedule must be one of %s, got %s' % (', '.join(SCHEDULES), _show(schedule))]
    if schedule_args is not None and not isinstance(schedule_args, dict):
        return ['schedule_args must be a dict, got %s' % _show(schedule_args)]
    given = _given_args(schedule_args)
    if schedule == IMMEDIATE:
        if given:
            return ['%s %s not used with schedule IMMEDIATE; leave them out, or use schedule WINDOW or RECURRING'
                    % (', '.join('schedule_args.%s' % key for key in sorted(given, key=str)), 'is' if len(given) == 1 else 'are')]
        return []
    problems = []
    schedulable_problem = _schedulable_problem(schedule, command)
    if schedulable_problem:
        problems.append(schedulable_problem)
    required = list(REQUIRED_ARGS[schedule])
    required.extend(key for key in REQUIRED_ARGS_BY_COMMAND.get(command, ()) if key not in required)
    for key in required:
        if key not in given:
            problems.append('schedule_args.%s is required for schedule %s' % (key, schedule))
    for key in sorted(given, key=str):
        if key not in SCHEDULE_ARG_NAMES:
            problems.append('schedule_args.%s is not a schedule argument (allowed: %s)' % (key, ', '.join(SCHEDULE_ARG_NAMES)))
        elif schedule == WINDOW and key in RECURRING_ONLY_ARGS:
            problems.append('schedule_args.%s is only used with schedule %s' % (key, RECURRING))
    problems.extend(_value_problems(given))
    start, end = parse_datetime(given.get('start_datetime')), parse_datetime(given.get('end_datetime'))
    if start is None or end is None or end > start:
        # An end before the start is reported as such; saying it is also past would not help.
        ended = _ended_problem(given, time.time() if now is None else now)
        if ended:
            problems.append(ended)
    return problems


def build_schedule_args(schedule_args):
    """Return the schedule_args to send: None values dropped, date-times as UTC 'YYYY-MM-DDTHH:MM:SSZ',
    window times as 'HH:MM:SS', time_type in lower case and day names in their canonical spelling.

    Call it after validate_schedule; an argument that cannot be read raises ValueError. None gives {}.
    """
    wire = {}
    for key, value in _given_args(schedule_args).items():
        if key in ('start_datetime', 'end_datetime'):
            moment = parse_datetime(value)
            if moment is None:
                raise ValueError('schedule_args.%s must be %s' % (key, DATETIME_HINT))
            value = format_datetime(moment)
        elif key in ('window_start_time', 'window_end_time'):
            value = parse_time_of_day(value)
            if value is None:
                raise ValueError('schedule_args.%s must be %s' % (key, TIME_HINT))
        elif key == 'time_type' and isinstance(value, str):
            value = value.strip().lower()
        elif key == 'days' and isinstance(value, list):
            value = [canonical_day(day) or day for day in value]
        wire[key] = value
    return wire
