# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""The one place that finds and hides secrets: the collector of secret values and the redactor.

collect_secrets() finds the secret values in options, command_args and request bodies; redact() and
scrub_text() replace them, their escaped forms and any slice of SLICE_LENGTH or more characters of them
by MASK in messages, warnings, problems, results, diffs and exceptions. The client, the runner and every
module use these two and nothing else.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
from urllib.parse import quote, quote_plus

MASK = '********'

# command_args keys (and Wi-Fi access point keys and module options) whose values are secrets wherever they appear.
SECRET_KEYS = frozenset([
    'cert_data_base64',
    'cert_password',
    'certificate_file_password',
    'new_lockscreen_password',
    'wifi_password',
    'password',
    'api_key',
])

# A run of this many characters of a secret is recognisable and is masked wherever it appears
# (an API error that quotes the request cut short, a server's truncated echo).
SLICE_LENGTH = 16

# Whole values shorter than this are too short to scrub from free text without mangling it
# (Ansible's no_log_values still hide them from the module's returned values).
MIN_WHOLE_LENGTH = 3


def mask_secrets(value, secret_keys=SECRET_KEYS):
    """Return a deep copy of value with every secret key's value replaced by MASK.

    Masking keeps the key, so users see that a secret was sent without seeing it.
    """
    if isinstance(value, dict):
        masked = {}
        for key, item in value.items():
            if key in secret_keys and item not in (None, ''):
                masked[key] = MASK
            else:
                masked[key] = mask_secrets(item, secret_keys)
        return masked
    if isinstance(value, (list, tuple)):
        return [mask_secrets(item, secret_keys) for item in value]
    return copy.copy(value)


def collect_secrets(value, secret_keys=SECRET_KEYS):
    """Every non-empty scalar held under a secret key anywhere inside value (dicts and lists), as strings.

    The one collector of secret values: module options, command_args and request bodies all go through it.
    """
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in secret_keys and item not in (None, '') and not isinstance(item, (dict, list, tuple, bool)):
                found.append(str(item))
            else:
                found.extend(collect_secrets(item, secret_keys))
    elif isinstance(value, (list, tuple)):
        for item in value:
            found.extend(collect_secrets(item, secret_keys))
    return found


def secret_forms(secret):
    """secret as it may appear in text: as is, without surrounding white space, JSON- and repr-escaped, URL-quoted."""
    if not isinstance(secret, str) or not secret:
        return []
    forms = [secret, secret.strip(), json.dumps(secret)[1:-1], repr(secret)[1:-1], quote(secret, safe=''),
             quote_plus(secret, safe='')]
    unique = []
    for form in forms:
        if form and form not in unique:
            unique.append(form)
    return unique


class Redactor(object):
    """Hides a fixed set of secrets: whole values, their escaped forms, and any slice of SLICE_LENGTH characters."""

    def __init__(self, secrets):
        forms = []
        for secret in secrets or ():
            for form in secret_forms(secret):
                if form not in forms:
                    forms.append(form)
        # Longest first, so a secret that contains another is replaced whole.
        self.whole = sorted((form for form in forms if len(form) >= MIN_WHOLE_LENGTH), key=len, reverse=True)
        self.grams = set()
        for form in forms:
            for start in range(len(form) - SLICE_LENGTH + 1):
                self.grams.add(form[start:start + SLICE_LENGTH])

    def text(self, text):
        """text (any object, made a string) with every secret, escaped form and slice replaced by MASK."""
        if not isinstance(text, str):
            text = str(text)
        for form in self.whole:
            if form in text:
                text = text.replace(form, MASK)
        if not self.grams or len(text) < SLICE_LENGTH:
            return text
        covered = bytearray(len(text))
        hit = False
        for start in range(len(text) - SLICE_LENGTH + 1):
            if text[start:start + SLICE_LENGTH] in self.grams:
                covered[start:start + SLICE_LENGTH] = b'\x01' * SLICE_LENGTH
                hit = True
        if not hit:
            return text
        parts = []
        index = 0
        while index < len(text):
            if covered[index]:
                while index < len(text) and covered[index]:
                    index += 1
                parts.append(MASK)
            else:
                parts.append(text[index])
                index += 1
        return ''.join(parts)

    def value(self, value):
        """A copy of value (dicts, lists, strings, exceptions) with every string redacted; dict keys too."""
        if not self.whole and not self.grams:
            return value
        if isinstance(value, dict):
            return dict((self.value(key) if isinstance(key, str) else key, self.value(item)) for key, item in value.items())
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, BaseException):
            return self.text(value)
        return value


def redact(value, secrets):
    """A copy of value (a string, an exception, or dicts and lists of them) with every secret in secrets hidden.

    Hides each secret's whole value, its escaped forms (JSON, repr, URL) and any slice of SLICE_LENGTH or more
    of its characters. The last guard before a message, warning, result or diff leaves the collection.
    """
    return Redactor(secrets).value(value)


def scrub_text(text, secrets):
    """text (any object, made a string) with every secret in secrets hidden as redact() does."""
    return Redactor(secrets).text(text)
