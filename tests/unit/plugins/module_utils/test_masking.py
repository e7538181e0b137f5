# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _masking.py: the one collector of secret values and the one redactor."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.esper.mdm.plugins.module_utils._masking import (
    MASK,
    SLICE_LENGTH,
    Redactor,
    collect_secrets,
    mask_secrets,
    redact,
    scrub_text,
)

CERT_B64 = base64.b64encode(bytes(range(256)) * 8).decode('ascii')
PASSWORD = 'Correct-Horse-77'
API_KEY = 'ak_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0'


def test_whole_values_are_masked_in_text_and_nested_values():
    value = {'msg': 'rejected %s' % PASSWORD, 'list': ['x', 'pw=%s' % PASSWORD], 'n': 3}
    assert redact(value, [PASSWORD]) == {'msg': 'rejected %s' % MASK, 'list': ['x', 'pw=%s' % MASK], 'n': 3}


def test_escaped_forms_are_masked():
    key = API_KEY + '\n'
    # requests' InvalidHeader quotes the header value with repr(): the newline shows as a backslash and an n.
    text = "Invalid return character or leading space in header: Authorization: %r" % ('Bearer ' + key)
    assert API_KEY not in scrub_text(text, [key])
    assert 'Bearer %s' % MASK in scrub_text(text, [key])
    quoted = 'p@ss word/with&chars!'
    assert scrub_text('url ?password=p%40ss+word%2Fwith%26chars%21', [quoted]) == 'url ?password=%s' % MASK
    assert scrub_text(json.dumps({'pw': 'a"quoted"secret'}), ['a"quoted"secret']) == '{"pw": "%s"}' % MASK


@pytest.mark.parametrize('start,length', [(0, 120), (37, 16), (1000, 200), (len(CERT_B64) - 16, 16)])
def test_any_slice_of_sixteen_or_more_characters_is_masked(start, length):
    piece = CERT_B64[start:start + length]
    text = "400: cert_data_base64: '%s...' is not valid" % piece
    scrubbed = scrub_text(text, [CERT_B64])
    assert piece not in scrubbed
    assert scrubbed == "400: cert_data_base64: '%s...' is not valid" % MASK


def test_a_shorter_slice_is_left_alone():
    piece = CERT_B64[40:40 + SLICE_LENGTH - 1]
    assert scrub_text('echo %s end' % piece, [CERT_B64]) == 'echo %s end' % piece


def test_exceptions_and_dict_keys_are_redacted():
    error = ValueError('bad value %s' % PASSWORD)
    assert redact(error, [PASSWORD]) == 'bad value %s' % MASK
    assert redact({PASSWORD: 1}, [PASSWORD]) == {MASK: 1}


def test_no_secrets_changes_nothing():
    value = {'a': ['b', 1, None]}
    assert redact(value, []) == value
    assert Redactor([None, '']).text('plain') == 'plain'


def test_collect_secrets_reads_every_secret_key_at_any_depth():
    params = {'api_key': API_KEY, 'command_args': {'new_lockscreen_password': PASSWORD},
              'access_points': [{'ssid': 'Corp', 'password': 'wifi-pass-1'}, {'ssid': 'Open', 'password': None}],
              'timeout': 30, 'wait': True}
    assert sorted(collect_secrets(params)) == sorted([API_KEY, PASSWORD, 'wifi-pass-1'])
    assert collect_secrets(params, {'ssid'}) == ['Corp', 'Open']


def test_mask_secrets_keeps_the_keys():
    assert mask_secrets({'wifi_password': 'x', 'wifi_ssid': 'Corp'}) == {'wifi_password': MASK, 'wifi_ssid': 'Corp'}
