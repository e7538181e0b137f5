# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options shared by every module that talks to the Esper API."""

    DOCUMENTATION = r'''
options:
  api_key:
    description:
      - The Esper API key, sent as a Bearer token on every request.
      - Create it in the Esper console under API Key Management. It is never shown in results, warnings or errors.
      - If not set, the value of the E(ESPER_API_KEY) environment variable is used.
      - Required, through this option or E(ESPER_API_KEY); the module fails before any request when neither is set
        or the value is blank. White space around the key (such as the newline that ends a vaulted block scalar) is removed.
    type: str
    required: false
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
      - When set, it is used instead of the URL built from O(tenant), except that O(tenant) set on the task
        beats an O(api_url) that only comes from E(ESPER_API_URL). When both are set and differ, a warning says which one is used.
      - If not set, the value of the E(ESPER_API_URL) environment variable is used.
    type: str
  enterprise_id:
    description:
      - The enterprise ID (a UUID shown next to the key list in API Key Management). A value that is not a UUID
        fails the module before any request.
      - Needed to look up devices and groups, for example to resolve names or expand groups;
        command requests themselves do not need it.
      - If not set, the value of the E(ESPER_ENTERPRISE_ID) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to validate the API server's TLS certificate.
      - Set to V(false) only for a test server with a self-signed certificate; the module then warns once.
      - If not set, the value of the E(ESPER_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle file (or a directory of certificates) to validate the server certificate against, instead of the system's.
      - It must exist and be readable; otherwise the module fails before any request.
      - Ignored when O(validate_certs=false).
      - If not set, the value of the E(ESPER_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - How many seconds to wait for each HTTP request to connect and to answer.
      - If not set, the value of the E(ESPER_TIMEOUT) environment variable is used.
    type: int
    default: 30
  max_retries:
    description:
      - How many times to retry a request after HTTP 429 (honouring C(Retry-After)), HTTP 502, 503 or 504,
        a connection error or a time-out (and HTTP 500 on a read), with a growing, jittered delay between tries
        (at most 60 seconds).
      - V(0) makes one attempt only. Each retry is reported as a warning.
      - If not set, the value of the E(ESPER_MAX_RETRIES) environment variable is used.
      - A command request is never sent twice. After a read time-out, a connection lost after sending, or HTTP 502,
        503 or 504, the module only looks for the request it may have created (for about 30 seconds) and fails saying
        it may or may not have been created if none shows up. After HTTP 500 it is sent again only when the
        module found that nothing was stored.
    type: int
    default: 5
'''
