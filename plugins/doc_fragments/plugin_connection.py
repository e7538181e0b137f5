# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options of the esper.mdm plugins (inventory): the modules' options, read from the same ESPER_* variables."""

    DOCUMENTATION = r'''
options:
  api_key:
    description:
      - The Esper API key, sent as a Bearer token on every request. It is never shown in host variables, warnings or errors.
      - Required, here or in E(ESPER_API_KEY) (the variable the modules read too, so one AWX credential serves both).
        White space around the key is removed; a blank key is an error before any request.
    type: str
    env:
      - name: ESPER_API_KEY
  tenant:
    description:
      - The Esper tenant (endpoint) name; the API base URL is then C(https://<tenant>-api.esper.cloud/api).
      - One of O(tenant) and O(api_url) is required.
    type: str
    env:
      - name: ESPER_TENANT
  api_url:
    description:
      - The full API base URL, ending in C(/api), for example V(https://acme-api.esper.cloud/api).
      - Takes precedence over O(tenant), except that O(tenant) set in the configuration file beats an O(api_url)
        that only comes from E(ESPER_API_URL); when both are set and differ, a warning says which one is used.
    type: str
    env:
      - name: ESPER_API_URL
  enterprise_id:
    description:
      - The enterprise ID (a UUID shown in API Key Management). Required to list groups and tags.
    type: str
    env:
      - name: ESPER_ENTERPRISE_ID
  validate_certs:
    description:
      - Whether to validate the API server's TLS certificate; V(false) warns once.
    type: bool
    default: true
    env:
      - name: ESPER_VALIDATE_CERTS
  ca_path:
    description:
      - A CA bundle file (or directory) to validate the server certificate against, instead of the system's.
    type: path
    env:
      - name: ESPER_CA_PATH
  timeout:
    description:
      - How many seconds to wait for each HTTP request to connect and to answer.
    type: int
    default: 30
    env:
      - name: ESPER_TIMEOUT
  max_retries:
    description:
      - How many times to retry a read after HTTP 429 (honouring C(Retry-After)), 500, 502, 503 or 504, a connection
        error or a time-out, with a growing, jittered delay (at most 60 seconds). Each retry is reported as a warning.
    type: int
    default: 5
    env:
      - name: ESPER_MAX_RETRIES
'''
