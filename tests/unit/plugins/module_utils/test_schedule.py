# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of schedule and schedule_args validation and their wire format (CONTRACT section 2.2)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import types

import pytest

from ansible_collections.esper.mdm.plugins.module_utils import _schedule as schedule_module
from ansible_collections.esper.mdm.plugins.module_utils._schedule import (
    build_schedule_args,
    canonical_day,
    parse_datetime,
    parse_time_of_day,
    validate_schedule,
)

WINDOW_ARGS = {
    'name': 'ping-once',
    'start_datetime': '2025-06-01T12:00:00Z',
    'end_datetime': '2025-06-01T12:30:00Z',
    'time_type': 'console',
}
RECURRING_ARGS = dict(WINDOW_ARGS, name='nightly-reboot', time_type='device', window_start_time='02:00:00',
                      window_end_time='04:00:00', days=['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'])
VALID = {'WINDOW': WINDOW_ARGS, 'RECURRING': RECURRING_ARGS}


# The clock of these tests unless one passes now: the schedules above (June 2025) are still ahead.
TEST_NOW = 1735689600.0  # 2025-01-01T00:00:00Z


def epoch(text):
    return (parse_datetime(text) - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)).total_seconds()


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(schedule_module, 'time', types.SimpleNamespace(time=lambda: TEST_NOW))


def changed(schedule, **changes):
    args = dict(VALID[schedule])
    args.update(changes)
    return args


def without(schedule, key):
    args = dict(VALID[schedule])
    del args[key]
    return args


# --- schedule -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('schedule', ['WINDOW', 'RECURRING'])
def test_valid_schedules(schedule):
    assert validate_schedule(schedule, VALID[schedule], 'REBOOT') == []


@pytest.mark.parametrize('schedule_args', [None, {}, {'name': None, 'days': None}])
@pytest.mark.parametrize('schedule', ['IMMEDIATE', None])
def test_immediate_without_schedule_args(schedule, schedule_args):
    assert validate_schedule(schedule, schedule_args, 'VPP_APP_INSTALL') == []


@pytest.mark.parametrize('schedule', ['NOW', 'window', '', 5])
def test_unknown_schedule_names_the_allowed_values(schedule):
    problems = validate_schedule(schedule, None, 'REBOOT')
    assert len(problems) == 1
    assert problems[0].startswith('schedule must be one of IMMEDIATE, WINDOW, RECURRING, got ')


def test_immediate_refuses_schedule_args_naming_them():
    assert validate_schedule('IMMEDIATE', {'name': 'x', 'days': ['Monday'], 'time_type': None}, 'REBOOT') == [
        'schedule_args.days, schedule_args.name are not used with schedule IMMEDIATE; leave them out, or use schedule WINDOW or RECURRING']
    assert validate_schedule('IMMEDIATE', {'name': 'x'}, 'REBOOT') == [
        'schedule_args.name is not used with schedule IMMEDIATE; leave them out, or use schedule WINDOW or RECURRING']


@pytest.mark.parametrize('schedule_args', [['name'], 'nightly', 5])
def test_schedule_args_must_be_a_dict(schedule_args):
    problems = validate_schedule('WINDOW', schedule_args, 'REBOOT')
    assert len(problems) == 1
    assert problems[0].startswith('schedule_args must be a dict, got ')


@pytest.mark.parametrize('key', ['name', 'start_datetime', 'end_datetime', 'time_type'])
def test_window_requires_each_of_its_arguments(key):
    assert validate_schedule('WINDOW', without('WINDOW', key), 'REBOOT') == ['schedule_args.%s is required for schedule WINDOW' % key]


@pytest.mark.parametrize('key', ['name', 'start_datetime', 'end_datetime', 'time_type', 'window_start_time', 'window_end_time', 'days'])
def test_recurring_requires_each_of_its_arguments(key):
    assert validate_schedule('RECURRING', without('RECURRING', key), 'REBOOT') == [
        'schedule_args.%s is required for schedule RECURRING' % key]


def test_all_missing_arguments_are_reported_at_once():
    assert validate_schedule('RECURRING', {}, 'REBOOT') == [
        'schedule_args.%s is required for schedule RECURRING' % key
        for key in ('name', 'start_datetime', 'end_datetime', 'time_type', 'window_start_time', 'window_end_time', 'days')]


@pytest.mark.parametrize('key, value', [('window_start_time', '02:00:00'), ('window_end_time', '04:00:00'), ('days', ['Monday'])])
def test_window_refuses_recurring_arguments(key, value):
    assert validate_schedule('WINDOW', changed('WINDOW', **{key: value}), 'REBOOT') == [
        'schedule_args.%s is only used with schedule RECURRING' % key]


def test_unknown_schedule_argument():
    assert validate_schedule('WINDOW', changed('WINDOW', timezone='UTC'), 'REBOOT') == [
        'schedule_args.timezone is not a schedule argument (allowed: name, start_datetime, end_datetime, time_type, '
        'window_start_time, window_end_time, days)']


@pytest.mark.parametrize('name', ['', '  ', 5, ['x']])
def test_name_must_be_a_non_empty_string(name):
    problems = validate_schedule('WINDOW', changed('WINDOW', name=name), 'REBOOT')
    assert len(problems) == 1
    assert problems[0].startswith('schedule_args.name must be a non-empty string, got ')


# --- commands ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize('command', ['VPP_APP_INSTALL', 'CLEAR_PASSCODE', 'RUN_SHELL_SCRIPT', 'COLLECT_LOGS', 'INSTALL_PROFILE'])
@pytest.mark.parametrize('schedule', ['WINDOW', 'RECURRING'])
def test_commands_that_do_not_run_on_android_cannot_be_scheduled(command, schedule):
    problems = validate_schedule(schedule, VALID[schedule], command)
    assert len(problems) == 1
    assert problems[0].startswith('%s cannot use schedule %s: Esper runs scheduled commands only on Android' % (command, schedule))
    assert problems[0].endswith('use schedule IMMEDIATE')


@pytest.mark.parametrize('command', ['REBOOT', 'LOCK', 'WIPE', 'SET_BRIGHTNESS_SCALE', 'UPDATE_DEVICE_CONFIG', 'NOTIFY_DEVICE'])
@pytest.mark.parametrize('schedule', ['WINDOW', 'RECURRING'])
def test_android_commands_can_be_scheduled(command, schedule):
    assert validate_schedule(schedule, VALID[schedule], command) == []


def test_unknown_command_is_left_to_the_catalogue():
    assert validate_schedule('WINDOW', WINDOW_ARGS, 'FOO') == []


@pytest.mark.parametrize('key', ['name', 'time_type', 'start_datetime', 'end_datetime'])
@pytest.mark.parametrize('schedule', ['WINDOW', 'RECURRING'])
def test_scheduled_notify_device_needs_name_time_type_start_and_end(schedule, key):
    assert validate_schedule(schedule, without(schedule, key), 'NOTIFY_DEVICE') == [
        'schedule_args.%s is required for schedule %s' % (key, schedule)]


# --- date-times ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('2025-06-01T22:00:00Z', '2025-06-01T22:00:00Z'),
    ('2025-06-01t22:00:00z', '2025-06-01T22:00:00Z'),
    ('2025-06-01T22:00:00+00:00', '2025-06-01T22:00:00Z'),
    ('2025-06-01T23:30:00+01:30', '2025-06-01T22:00:00Z'),
    ('2025-06-01T17:00:00-05:00', '2025-06-01T22:00:00Z'),
    ('2025-06-01T17:00:00-0500', '2025-06-01T22:00:00Z'),
    ('2025-06-01T17:00:00-05', '2025-06-01T22:00:00Z'),
    ('2025-06-02T00:00:00+02:00', '2025-06-01T22:00:00Z'),
    ('2025-06-01 22:00:00', '2025-06-01T22:00:00Z'),
    ('2025-06-01T22:00', '2025-06-01T22:00:00Z'),
    ('2025-06-01T22:00:00.999Z', '2025-06-01T22:00:00Z'),
    ('2025-06-01T22:00:00.123456789+00:00', '2025-06-01T22:00:00Z'),
])
def test_date_times_are_normalised_to_utc(text, expected):
    assert parse_datetime(text).strftime('%Y-%m-%dT%H:%M:%SZ') == expected
    assert build_schedule_args({'start_datetime': text}) == {'start_datetime': expected}


def test_datetime_objects_are_accepted():
    aware = datetime.datetime(2025, 6, 1, 23, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    naive = datetime.datetime(2025, 6, 1, 22, 0)
    assert build_schedule_args({'start_datetime': aware, 'end_datetime': naive}) == {
        'start_datetime': '2025-06-01T22:00:00Z', 'end_datetime': '2025-06-01T22:00:00Z'}


@pytest.mark.parametrize('text', ['2025-06-01', '2025-13-01T00:00:00Z', '2025-02-30T00:00:00Z', '2025-06-01T24:00:00Z',
                                  '01/06/2025 22:00', 'tomorrow', '2025-06-01T22:00:00+25:00', '2025-06-01T22:00:00 UTC', '', 1748815200])
@pytest.mark.parametrize('key', ['start_datetime', 'end_datetime'])
def test_invalid_date_times(key, text):
    args = changed('WINDOW', **{key: text})
    problems = validate_schedule('WINDOW', args, 'REBOOT')
    assert len(problems) == 1
    assert problems[0].startswith('schedule_args.%s must be an ISO-8601 date-time such as 2025-06-01T22:00:00Z' % key)


@pytest.mark.parametrize('start, end', [
    ('2025-06-01T12:30:00Z', '2025-06-01T12:00:00Z'),
    ('2025-06-01T12:00:00Z', '2025-06-01T12:00:00Z'),
    ('2025-06-01T12:00:00Z', '2025-06-01T13:00:00+01:00'),
])
def test_end_must_be_after_start(start, end):
    problems = validate_schedule('WINDOW', changed('WINDOW', start_datetime=start, end_datetime=end), 'REBOOT')
    assert len(problems) == 1
    assert problems[0].startswith('schedule_args.end_datetime (')
    assert problems[0].endswith(') must be later than schedule_args.start_datetime (%s)' % parse_datetime(start).strftime('%Y-%m-%dT%H:%M:%SZ'))


def test_end_one_second_after_start_is_fine():
    assert validate_schedule('WINDOW', changed('WINDOW', start_datetime='2025-06-01T12:00:00Z', end_datetime='2025-06-01T12:00:01Z'),
                             'REBOOT') == []


def test_offsets_are_compared_in_utc():
    # 13:00+02:00 is 11:00Z, before 12:00Z, although the wall-clock time is later.
    problems = validate_schedule('WINDOW', changed('WINDOW', start_datetime='2025-06-01T12:00:00Z',
                                                   end_datetime='2025-06-01T13:00:00+02:00'), 'REBOOT')
    assert problems == ['schedule_args.end_datetime (2025-06-01T11:00:00Z) must be later than schedule_args.start_datetime '
                        '(2025-06-01T12:00:00Z)']


# --- time_type, window times, days ----------------------------------------------------------------------------

@pytest.mark.parametrize('time_type, expected', [('console', 'console'), ('device', 'device'), ('Device', 'device'), ('CONSOLE', 'console')])
def test_time_types(time_type, expected):
    assert validate_schedule('WINDOW', changed('WINDOW', time_type=time_type), 'REBOOT') == []
    assert build_schedule_args({'time_type': time_type}) == {'time_type': expected}


@pytest.mark.parametrize('time_type, shown', [('utc', '"utc"'), ('local', '"local"'), (1, '1')])
def test_invalid_time_types(time_type, shown):
    assert validate_schedule('WINDOW', changed('WINDOW', time_type=time_type), 'REBOOT') == [
        'schedule_args.time_type must be one of console, device, got %s' % shown]


@pytest.mark.parametrize('text, expected', [('02:00:00', '02:00:00'), ('02:00', '02:00:00'), ('2:05', '02:05:00'),
                                            ('23:59:59', '23:59:59'), ('00:00', '00:00:00')])
def test_window_times_are_normalised(text, expected):
    assert parse_time_of_day(text) == expected
    assert build_schedule_args({'window_start_time': text}) == {'window_start_time': expected}


@pytest.mark.parametrize('key', ['window_start_time', 'window_end_time'])
@pytest.mark.parametrize('value, shown', [('24:00:00', '"24:00:00"'), ('12:60', '"12:60"'), ('12:00:60', '"12:00:60"'),
                                          ('noon', '"noon"'), ('1200', '"1200"'), (7200, '7200'), ('', '""')])
def test_invalid_window_times(key, value, shown):
    problems = validate_schedule('RECURRING', changed('RECURRING', **{key: value}), 'REBOOT')
    assert problems == ['schedule_args.%s must be a time of day HH:MM:SS or HH:MM, quoted (unquoted times in YAML become numbers), '
                        'got %s' % (key, shown)]


def test_window_start_and_end_must_differ():
    problems = validate_schedule('RECURRING', changed('RECURRING', window_start_time='02:00', window_end_time='02:00:00'), 'REBOOT')
    assert problems == ['schedule_args.window_end_time must differ from schedule_args.window_start_time (both 02:00:00)']


def test_window_may_cross_midnight():
    assert validate_schedule('RECURRING', changed('RECURRING', window_start_time='22:00', window_end_time='02:00'), 'REBOOT') == []


@pytest.mark.parametrize('days, expected', [
    (['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
     ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday']),
    (['monday', 'FRIDAY'], ['Monday', 'Friday']),
    (['all days'], ['All days']),
    (['ALL  DAYS'], ['All days']),
    (['Sunday'], ['Sunday']),
])
def test_days_are_normalised(days, expected):
    assert validate_schedule('RECURRING', changed('RECURRING', days=days), 'REBOOT') == []
    assert build_schedule_args({'days': days}) == {'days': expected}


@pytest.mark.parametrize('days, expected', [
    ([], ['schedule_args.days must be a non-empty list of day names (Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday, '
          'or All days), got a list']),
    ('Monday', ['schedule_args.days must be a non-empty list of day names (Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, '
                'Sunday, or All days), got "Monday"']),
    (['Mon', 'Funday', 1], [
        'schedule_args.days[0] must be one of Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday, All days, got "Mon"',
        'schedule_args.days[1] must be one of Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday, All days, got "Funday"',
        'schedule_args.days[2] must be one of Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday, All days, got 1',
    ]),
    (['Monday', 'monday'], ['schedule_args.days lists Monday more than once']),
    (['All days', 'Monday'], ['schedule_args.days: All days cannot be combined with other days']),
])
def test_invalid_days(days, expected):
    assert validate_schedule('RECURRING', changed('RECURRING', days=days), 'REBOOT') == expected


@pytest.mark.parametrize('value, expected', [('Monday', 'Monday'), ('sunday', 'Sunday'), (' All Days ', 'All days'),
                                             ('Mondays', None), (None, None), (1, None)])
def test_canonical_day(value, expected):
    assert canonical_day(value) == expected


def test_several_problems_are_reported_together():
    problems = validate_schedule('RECURRING', {'name': 'n', 'start_datetime': 'soon', 'end_datetime': '2025-06-01T00:00:00Z',
                                               'time_type': 'local', 'window_start_time': '25:00', 'days': ['Mon']}, 'REBOOT')
    assert problems == [
        'schedule_args.window_end_time is required for schedule RECURRING',
        'schedule_args.start_datetime must be an ISO-8601 date-time such as 2025-06-01T22:00:00Z or 2025-06-01T23:00:00+01:00, '
        'got "soon"',
        'schedule_args.time_type must be one of console, device, got "local"',
        'schedule_args.window_start_time must be a time of day HH:MM:SS or HH:MM, quoted (unquoted times in YAML become numbers), '
        'got "25:00"',
        'schedule_args.days[0] must be one of Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday, All days, got "Mon"',
    ]


# --- build_schedule_args -------------------------------------------------------------------------------------

def test_build_schedule_args_produces_the_wire_form():
    assert build_schedule_args({
        'name': 'nightly-reboot', 'start_datetime': '2025-06-01T04:00:00+02:00', 'end_datetime': '2025-07-01T04:00:00Z',
        'time_type': 'Device', 'window_start_time': '02:00', 'window_end_time': '04:00:00', 'days': ['monday', 'Friday'],
    }) == {
        'name': 'nightly-reboot', 'start_datetime': '2025-06-01T02:00:00Z', 'end_datetime': '2025-07-01T04:00:00Z',
        'time_type': 'device', 'window_start_time': '02:00:00', 'window_end_time': '04:00:00', 'days': ['Monday', 'Friday'],
    }


def test_build_schedule_args_drops_none_values():
    assert build_schedule_args(dict(WINDOW_ARGS, window_start_time=None, window_end_time=None, days=None)) == WINDOW_ARGS


@pytest.mark.parametrize('schedule_args', [None, {}, {'name': None}])
def test_build_schedule_args_of_nothing_is_empty(schedule_args):
    assert build_schedule_args(schedule_args) == {}


def test_build_schedule_args_does_not_change_its_input():
    args = dict(RECURRING_ARGS, days=['monday'])
    build_schedule_args(args)
    assert args['days'] == ['monday']


@pytest.mark.parametrize('key, value', [('start_datetime', 'soon'), ('window_end_time', '25:00')])
def test_build_schedule_args_refuses_unreadable_values(key, value):
    with pytest.raises(ValueError, match='schedule_args.%s must be ' % key):
        build_schedule_args({key: value})


# --- a window that has already ended (issue 8 item 13) ---------------------------------------------------

NOW = '2025-06-10T12:00:00Z'


@pytest.mark.parametrize('schedule', ['WINDOW', 'RECURRING'])
def test_a_console_window_that_ended_is_refused(schedule):
    args = changed(schedule, time_type='console', start_datetime='2025-06-01T12:00:00Z', end_datetime='2025-06-10T11:59:59Z')
    assert validate_schedule(schedule, args, 'REBOOT', now=epoch(NOW)) == [
        'schedule_args.end_datetime (2025-06-10T11:59:59Z) is already in the past (now 2025-06-10T12:00:00Z), so the '
        'schedule would never run; give an end_datetime later than now']


def test_a_window_ending_exactly_now_is_refused_and_one_second_later_is_fine():
    ending_now = changed('WINDOW', start_datetime='2025-06-01T00:00:00Z', end_datetime=NOW)
    assert len(validate_schedule('WINDOW', ending_now, 'REBOOT', now=epoch(NOW))) == 1
    later = changed('WINDOW', start_datetime='2025-06-01T00:00:00Z', end_datetime='2025-06-10T12:00:01Z')
    assert validate_schedule('WINDOW', later, 'REBOOT', now=epoch(NOW)) == []


def test_a_window_that_started_in_the_past_but_is_still_open_is_fine():
    args = changed('WINDOW', start_datetime='2020-01-01T00:00:00Z', end_datetime='2025-06-11T00:00:00+02:00')
    assert validate_schedule('WINDOW', args, 'REBOOT', now=epoch(NOW)) == []


def test_offsets_count_when_deciding_that_a_window_ended():
    # 13:30+02:00 is 11:30Z: ended at 12:00Z although the wall-clock time is later.
    args = changed('WINDOW', start_datetime='2025-06-10T08:00:00Z', end_datetime='2025-06-10T13:30:00+02:00')
    problems = validate_schedule('WINDOW', args, 'REBOOT', now=epoch(NOW))
    assert len(problems) == 1 and problems[0].startswith('schedule_args.end_datetime (2025-06-10T11:30:00Z) is already in the past')


@pytest.mark.parametrize('schedule', ['WINDOW', 'RECURRING'])
def test_a_device_time_window_is_refused_only_when_it_ended_in_every_time_zone(schedule):
    start = '2025-06-01T00:00:00Z'
    # Read as device-local time, 23:00 is still ahead on a device at UTC-12 at 12:00Z the next morning.
    still_open = changed(schedule, time_type='device', start_datetime=start, end_datetime='2025-06-09T22:00:01Z')
    assert validate_schedule(schedule, still_open, 'REBOOT', now=epoch(NOW)) == []
    ended = changed(schedule, time_type='Device', start_datetime=start, end_datetime='2025-06-09T22:00:00Z')
    assert validate_schedule(schedule, ended, 'REBOOT', now=epoch(NOW)) == [
        'schedule_args.end_datetime (2025-06-09T22:00:00Z) is already in the past on every device, whatever its time zone '
        '(time_type device) (now 2025-06-10T12:00:00Z), so the schedule would never run; give an end_datetime later than now']
    # The same end with time_type console is simply past.
    console = changed(schedule, time_type='console', start_datetime=start, end_datetime='2025-06-10T11:00:00Z')
    assert len(validate_schedule(schedule, console, 'REBOOT', now=epoch(NOW))) == 1


def test_the_clock_defaults_to_time_time():
    args = changed('WINDOW', start_datetime='2025-06-01T12:00:00Z', end_datetime='2025-06-02T12:00:00Z')
    assert validate_schedule('WINDOW', args, 'REBOOT') == []  # the fixed test clock says 2025-01-01
    assert len(validate_schedule('WINDOW', args, 'REBOOT', now=epoch('2025-06-03T00:00:00Z'))) == 1


def test_an_end_before_the_start_is_not_also_reported_as_past():
    args = changed('WINDOW', start_datetime='2025-06-02T12:00:00Z', end_datetime='2025-06-01T12:00:00Z')
    problems = validate_schedule('WINDOW', args, 'REBOOT', now=epoch(NOW))
    assert len(problems) == 1 and 'must be later than schedule_args.start_datetime' in problems[0]


def test_a_past_end_is_reported_with_the_other_problems():
    args = changed('WINDOW', start_datetime='2025-06-01T12:00:00Z', end_datetime='2025-06-02T12:00:00Z', time_type='sometimes')
    problems = validate_schedule('WINDOW', args, 'REBOOT', now=epoch(NOW))
    assert [problem.split(' ')[0] for problem in problems] == ['schedule_args.time_type', 'schedule_args.end_datetime']


def test_parse_datetime_uses_the_one_iso8601_parser():
    assert schedule_module.parse_iso8601.__module__.endswith('_client')
    assert epoch('2025-06-01T22:00:00.5+02:00') == epoch('2025-06-01T20:00:00Z') + 0.5
