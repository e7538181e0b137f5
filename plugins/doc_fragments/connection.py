# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options shared by every module that talks to the Esper API."""

    DOCUMENTATION = r'''
requirements:
  - python requests
options:
  api_key:
    description:
      - The Esper API key, sent as a Bearer token on every request.
      - Create it in the Esper console under API Key Management. It is never shown in results, warnings or errors.
      - If not set, the value of the E(ESPER_API_KEY) environment variable is used.
    type: str
    required: true
  tenant:
    description:
      - The Esper tenant (endpoint) name, as in the console URL; the API base URL is then
        C(https://<tenant>-api.esper.cloud/api).
      - Give only the name, for example V(acme); use O(api_url) for a full URL.
      - If not set, the value of the E(ESPER_TENANT) environment variable is used.
      - One of O(tenant) and O(api_url) is required (directly or through their environment variables).
    type: str
  api_url:
    description:
      - The full API base URL, ending in C(/api), for example V(https://acme-api.esper.cloud/api).
        It must start with C(http://) or C(https://).
      - When set, it is used instead of the URL built from O(tenant).
      - If not set, the value of the E(ESPER_API_URL) environment variable is used.
    type: str
  enterprise_id:
    description:
      - The enterprise ID (a UUID shown next to the key list in API Key Management).
      - Needed to look up devices and groups, for example to resolve names or expand groups;
        command requests themselves do not need it.
      - If not set, the value of the E(ESPER_ENTERPRISE_ID) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to validate the API server's TLS certificate.
      - Set to V(false) only for a test server with a self-signed certificate.
      - If not set, the value of the E(ESPER_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle file to validate the server certificate against, instead of the system's.
      - Ignored when O(validate_certs=false).
    type: path
  timeout:
    description:
      - How many seconds to wait for each HTTP request to connect and to answer.
    type: int
    default: 30
  max_retries:
    description:
      - How many times to retry a request after HTTP 429 (honouring C(Retry-After)), HTTP 502, 503 or 504,
        a connection error or a time-out, with a growing, jittered delay between tries (at most 60 seconds).
      - V(0) makes one attempt only. Each retry is reported as a warning.
      - A command request whose response was lost is never sent twice; the module first checks whether it was created.
    type: int
    default: 5
'''
