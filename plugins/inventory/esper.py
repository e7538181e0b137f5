# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: esper
short_description: Esper devices and groups as an Ansible inventory
version_added: 0.1.0
description:
  - Reads the devices of an Esper tenant (Android, iOS, Windows and Linux, from C(/v2/devices/)) and makes each
    one a host, with its details in C(esper_*) host variables.
  - Each Esper device group becomes an Ansible group, and the Esper hierarchy becomes Ansible parent and child
    groups, so a play on a parent group reaches the devices of its subgroups. There are also groups per platform
    and per device state.
  - Device hosts are not reached over SSH. Each gets C(ansible_connection=local) and
    C(ansible_python_interpreter={{ ansible_playbook_python }}), so its tasks run on the controller (or in the
    execution environment) and talk to the Esper API. Override them with O(compose) if needed.
  - To send a command to the devices of a play, run one task with C(run_once=true) and the play's C(esper_id)
    values as O(esper.mdm.esper_command#module:devices); that sends one request per 1,000 devices, not one per host.
  - "Cost: C(ceil(devices/1000)) device listing requests (one listing per state when O(states) has several), one
    group listing, one tag listing when tag names are needed, and the legacy Android listing only with
    O(android_details). With O(cache) on, a run within O(cache_timeout) makes no request."
  - "Configuration files must end in C(esper.yml) or C(esper.yaml) and contain C(plugin: esper.mdm.esper)."
author:
  - esper.mdm contributors (@esper-mdm)
extends_documentation_fragment:
  - esper.mdm.plugin_connection
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin; it marks the file as a source of this plugin.
    required: true
    type: str
    choices: ['esper.mdm.esper']
  device_groups:
    description:
      - Only devices of these Esper groups, subgroups included. Each is a group UUID, name, or path
        (V(All devices/Retail/Store-017)); a name shared by several groups is an error that lists their paths.
      - Sent to the API as the C(group_multi) filter.
      - Named O(device_groups) because O(groups) is the constructed groups option.
    type: list
    elements: str
    default: []
  states:
    description:
      - Only devices in one of these states, by name (V(online), V(offline), V(disabled), V(registered), ...,
        also V(active) and V(inactive)) or by code (V(1), V(60)), as in the Esper API's state table.
      - Sent to the API as the C(state) filter, one listing per state.
    type: list
    elements: str
    default: []
  platforms:
    description:
      - Only devices of these platforms, V(ANDROID), V(APPLE), V(WINDOWS) or V(LINUX), in any case.
      - Sent to the API as the C(platform) filter.
    type: list
    elements: str
    default: []
  tags:
    description:
      - Only devices that carry at least one of these tags, each a tag UUID or a tag name.
      - Names are resolved through the tag listing; the API's C(tags) filter takes the ids.
    type: list
    elements: str
    default: []
  search:
    description:
      - Only devices that the API's C(search) filter matches (name, serial, IMEI, model, Wi-Fi SSID, MAC and more).
    type: str
  android_details:
    description:
      - Also read the legacy Android device listing, for the exact C(esper_api_level) and C(esper_timezone) of
        Android devices (the C(/v2/devices/) listing has neither). This costs C(ceil(android devices/1000)) more
        requests (one request per Android device when there are 20 or fewer).
      - Without it, C(esper_api_level) of an Android device comes from its Android version and C(esper_timezone) is null.
    type: bool
    default: false
  hostnames:
    description:
      - Where host names come from, in order of preference; each device takes the first that has a value, else its id.
      - One of V(device_name) (alias V(name)), V(alias_name) (alias V(alias)), V(serial), V(imei), V(id).
      - A name wanted by several devices goes to the one that wanted it with the earliest preference; devices that
        tie, and the others, fall to their next preference and last to their id. One warning lists the collisions.
        Two devices never share a host.
    type: list
    elements: str
    default: [device_name, alias_name, serial, id]
  include_filters:
    description:
      - Jinja2 conditionals over the C(esper_*) host variables, such as V(esper_os_version is version('12', '>=')).
        When given, a device is kept only if one of them holds.
      - With O(strict=true), a conditional that fails to evaluate is an error; otherwise it counts as false.
    type: list
    elements: str
    default: []
  exclude_filters:
    description:
      - Jinja2 conditionals over the C(esper_*) host variables; a device is left out when any of them holds.
    type: list
    elements: str
    default: []
  group_prefix:
    description:
      - Prefix of the groups this plugin creates, C(<prefix>group_<name>), C(<prefix>platform_<platform>) and
        C(<prefix>state_<state>).
      - A group name is the Esper group's name with every character other than letters, digits and C(_) made C(_);
        when several groups would get the same name (nested groups may share names), each of them is named by
        its path below the root instead, then by path and the first 8 characters of its id.
    type: str
    default: esper_
notes:
  - "Host variables: C(esper_id), C(esper_name), C(esper_alias), C(esper_serial), C(esper_imei), C(esper_platform),
    C(esper_os), C(esper_os_version), C(esper_api_level), C(esper_model), C(esper_state) (the state name, or
    V(unknown) for a code the API's state table does not list), C(esper_state_code), C(esper_group_id),
    C(esper_group_name), C(esper_group_path), C(esper_tags) (names where the tag listing gives them, else ids),
    C(esper_tag_ids), C(esper_timezone), C(esper_last_seen). M(esper.mdm.esper_device_info) returns the same keys
    without the prefix."
  - The tag listing is not in Esper's public API manifest; when it answers 404, tags are shown by id and O(tags)
    accepts ids only.
seealso:
  - module: esper.mdm.esper_device_info
  - module: esper.mdm.esper_group_info
  - module: esper.mdm.esper_command
'''

EXAMPLES = r'''
# esper.yml: every device; credentials from ESPER_API_KEY, ESPER_TENANT (or ESPER_API_URL), ESPER_ENTERPRISE_ID.
# The whole file is one line:
#   plugin: esper.mdm.esper

# store_esper.yml: online Android devices of one store, cached for an hour, grouped by OS version
plugin: esper.mdm.esper
device_groups:
  - All devices/Retail/Store-017
states: [online]
platforms: [android]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /tmp/esper_inventory
cache_timeout: 3600
keyed_groups:
  - key: esper_os_version
    prefix: android
exclude_filters:
  - "'lab' in esper_tags"
compose:
  esper_store: esper_group_name
'''

import hashlib
import json

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display
from ansible.utils.unsafe_proxy import wrap_var

try:
    # ansible-core 2.19+: inventory values are never templated unless marked trusted, so API text needs no wrapping,
    # and the one template this plugin sets (the Python interpreter) must be marked.
    from ansible.template import trust_as_template
except ImportError:  # older ansible-core: API text must be marked unsafe, templates work as they are
    trust_as_template = None

from ansible_collections.esper.mdm.plugins.module_utils._client import EsperApiError, EsperConfigError, client_from_options
from ansible_collections.esper.mdm.plugins.module_utils._inventory import (
    FACT_KEYS,
    ancestor_ids,
    ansible_group_names,
    assign_hostnames,
    empty_reference_problems,
    hostname_problems,
    parse_platforms,
    parse_states,
    read_fleet,
    safe_group_name,
)
from ansible_collections.esper.mdm.plugins.module_utils._masking import scrub_text
from ansible_collections.esper.mdm.plugins.module_utils._targets import TargetError

display = Display()

CONNECTION_OPTIONS = ('api_key', 'tenant', 'api_url', 'enterprise_id', 'validate_certs', 'ca_path', 'timeout', 'max_retries')
# Bumped when the cached data changes shape, so an old cache entry is read again.
CACHE_FORMAT = 1
# What makes tasks on a device host run on the controller; set before compose, which can override them.
LOCAL_CONNECTION_VARS = {
    'ansible_connection': 'local',
    'ansible_python_interpreter': '{{ ansible_playbook_python }}',
}


def _from_api(value):
    """A value read from the API, never to be templated (device names could hold '{{')."""
    return value if trust_as_template is not None else wrap_var(value)


def _template(text):
    """A template this plugin sets on purpose."""
    return trust_as_template(text) if trust_as_template is not None else text


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """The esper.mdm.esper inventory: Esper devices as hosts, Esper groups as (nested) groups."""

    NAME = 'esper.mdm.esper'

    def verify_file(self, path):
        """Only files whose names end in esper.yml or esper.yaml."""
        return super(InventoryModule, self).verify_file(path) and path.endswith(('esper.yml', 'esper.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path)
        config = self._read_config_data(path)
        unknown = sorted(str(key) for key in (config or {}) if key not in self._options)
        if unknown:
            # ansible-core ignores unknown keys of a plugin configuration; a mistyped filter would silently widen the inventory.
            self._fail('unknown option%s %s; the options are %s'
                       % ('' if len(unknown) == 1 else 's', ', '.join(unknown), ', '.join(sorted(self._options))))
        selection = self._selection()
        # The tenant is part of what was read: another api_url or enterprise_id must not be served from the cache.
        selection['source'] = [self.get_option(name) for name in ('tenant', 'api_url', 'enterprise_id')]
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache')
        fleet = None
        cache_needs_update = use_cache and not cache
        if use_cache and cache:
            try:
                cached = self._cache[cache_key]
            except KeyError:
                cached = None
            if isinstance(cached, dict) and cached.get('format') == CACHE_FORMAT and cached.get('selection') == _fingerprint(selection):
                fleet = cached
            else:
                cache_needs_update = True
        if fleet is None:
            fleet = self._read(selection)
        if cache_needs_update:
            self._cache[cache_key] = fleet
        self._populate(fleet)

    # Configuration

    def _fail(self, message):
        """An AnsibleParserError of one line, with the API key scrubbed out."""
        text = ' '.join(to_native(message).split())
        raise AnsibleParserError('esper.mdm.esper inventory: %s' % scrub_text(text, [self.get_option('api_key')]))

    def _selection(self):
        """The checked filters; AnsibleParserError naming each bad option before any request."""
        problems = []
        states, state_problems = parse_states(self.get_option('states'))
        platforms, platform_problems = parse_platforms(self.get_option('platforms'))
        problems.extend(state_problems + platform_problems)
        problems.extend(empty_reference_problems('device_groups', self.get_option('device_groups')))
        problems.extend(empty_reference_problems('tags', self.get_option('tags')))
        hostnames = list(self.get_option('hostnames') or [])
        problems.extend(hostname_problems(hostnames))
        for option in ('include_filters', 'exclude_filters'):
            for index, condition in enumerate(self.get_option(option) or []):
                if not isinstance(condition, str) or not condition.strip():
                    problems.append('%s[%d] must be a non-empty Jinja2 conditional' % (option, index))
        prefix = self.get_option('group_prefix')
        if prefix is None or safe_group_name(prefix) != prefix or prefix[:1].isdigit():
            problems.append('group_prefix must be letters, digits and _ only, not starting with a digit, got %r' % (prefix,))
        if problems:
            self._fail('; '.join(problems))
        return {
            'device_groups': [str(item).strip() for item in self.get_option('device_groups') or []],
            'states': states,
            'platforms': platforms,
            'tags': [str(item).strip() for item in self.get_option('tags') or []],
            'search': self.get_option('search'),
            'android_details': bool(self.get_option('android_details')),
        }

    def _client(self):
        params = dict((name, self.get_option(name)) for name in CONNECTION_OPTIONS)
        try:
            return client_from_options(params, warn=display.warning)
        except EsperConfigError as error:
            self._fail(error.message)
        return None

    # Reading

    def _read(self, selection):
        """The fleet as cacheable data: {format, selection, devices: [device facts], groups: [group records]}."""
        client = self._client()
        try:
            devices, groups, dummy = read_fleet(
                client, device_groups=selection['device_groups'], states=selection['states'],
                platforms=selection['platforms'], tags=selection['tags'], search=selection['search'],
                android_details=selection['android_details'])
        except TargetError as error:
            self._fail('; '.join(error.problems))
        except EsperApiError as error:
            self._fail(str(error))
        return {'format': CACHE_FORMAT, 'selection': _fingerprint(selection), 'devices': devices, 'groups': groups}

    # Building the inventory

    def _populate(self, fleet):
        prefix = self.get_option('group_prefix')
        strict = self.get_option('strict')
        kept = []
        for facts in fleet['devices']:
            host_vars = dict(('esper_%s' % key, _from_api(facts.get(key))) for key in FACT_KEYS)
            if self._is_kept(host_vars, strict):
                kept.append((facts, host_vars))
        hostnames, collisions = assign_hostnames([facts for facts, dummy in kept], self.get_option('hostnames'))
        if collisions:
            self._warn_collisions(collisions, dict((str(facts.get('id')), name) for (facts, dummy), name in zip(kept, hostnames)))
        records = fleet['groups']
        records_by_id = dict((record['id'], record) for record in records)
        group_names = ansible_group_names(records, prefix + 'group_')
        for (facts, host_vars), hostname in zip(kept, hostnames):
            self.inventory.add_host(hostname)
            for name, value in host_vars.items():
                self.inventory.set_variable(hostname, name, value)
            for name, value in LOCAL_CONNECTION_VARS.items():
                self.inventory.set_variable(hostname, name, _template(value))
            group_id = facts.get('group_id')
            if group_id in records_by_id:
                self._add_group_chain(records_by_id, group_names, group_id)
                self.inventory.add_child(group_names[group_id], hostname)
            platform = self.inventory.add_group('%splatform_%s' % (prefix, safe_group_name(str(facts.get('platform') or 'unknown').lower())))
            self.inventory.add_child(platform, hostname)
            state = self.inventory.add_group('%sstate_%s' % (prefix, safe_group_name(facts.get('state') or 'unknown')))
            self.inventory.add_child(state, hostname)
            self._set_composite_vars(self.get_option('compose'), host_vars, hostname, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), host_vars, hostname, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), host_vars, hostname, strict=strict)

    def _add_group_chain(self, records_by_id, group_names, group_id):
        """Add the Ansible group of group_id and of each of its ancestors, each the child of its parent's."""
        chain = [group_id] + ancestor_ids(records_by_id, group_id)
        for child_id, parent_id in zip(chain, chain[1:] + [None]):
            child = self.inventory.add_group(group_names[child_id])
            if parent_id is not None:
                parent = self.inventory.add_group(group_names[parent_id])
                self.inventory.add_child(parent, child)

    def _is_kept(self, host_vars, strict):
        """Whether a device passes include_filters (one holds, when given) and exclude_filters (none holds)."""
        includes = self.get_option('include_filters') or []
        excludes = self.get_option('exclude_filters') or []
        if includes and not any(self._holds('include_filters', condition, host_vars, strict) for condition in includes):
            return False
        return not any(self._holds('exclude_filters', condition, host_vars, strict) for condition in excludes)

    def _holds(self, option, condition, host_vars, strict):
        self.templar.available_variables = host_vars
        try:
            if hasattr(self.templar, 'evaluate_conditional'):
                return bool(self.templar.evaluate_conditional(condition))
            template = '{%% if %s %%}True{%% else %%}False{%% endif %%}' % condition
            return boolean(self.templar.template(template))
        except Exception as error:  # pylint: disable=broad-except  # any templating failure of a user's conditional
            if strict:
                self._fail('%s %r could not be evaluated for device %s: %s' % (option, condition, host_vars.get('esper_id'), error))
            return False

    @staticmethod
    def _warn_collisions(collisions, hostnames_by_id):
        parts = []
        for collision in collisions:
            moves = ', '.join('%s -> %s' % (device_id, hostnames_by_id.get(device_id)) for device_id in collision['devices'])
            parts.append('%r (%s)' % (collision['name'], moves))
        display.warning('esper.mdm.esper inventory: %d host name%s wanted by more than one device, so devices fell to '
                        'their next hostnames preference (device id -> host name): %s'
                        % (len(collisions), ' was' if len(collisions) == 1 else 's were', '; '.join(parts)))


def _fingerprint(selection):
    """A short digest of the filters, stored with the cache so that a changed configuration reads the API again."""
    return hashlib.sha256(json.dumps(selection, sort_keys=True).encode('utf-8')).hexdigest()[:16]
