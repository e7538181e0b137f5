# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
#
# Private to the esper.mdm collection: the interfaces in this file may change in any release, without
# notice or deprecation. Other collections and playbooks must not import it.
"""Masking of secret values in anything a module returns, warns or raises."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

MASK = '********'

# command_args keys (and Wi-Fi access point keys) whose values are secrets wherever they appear.
SECRET_KEYS = frozenset([
    'cert_data_base64',
    'cert_password',
    'certificate_file_password',
    'new_lockscreen_password',
    'wifi_password',
    'password',
    'api_key',
])


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


def scrub_text(text, secrets):
    """Replace every occurrence of each secret string in text by MASK (for error messages)."""
    if not isinstance(text, str):
        text = str(text)
    for secret in secrets:
        if secret and isinstance(secret, str) and len(secret) >= 3:
            text = text.replace(secret, MASK)
    return text
