# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The example execution environment (docs/execution-environment.yml) as ansible-builder makes its build context.

No container runtime is needed: `ansible-builder create` writes the context, and the collection's Python
requirements are found the way the build finds them, by the context's own introspect script run on the
collection installed from the built tarball (the build installs it from Galaxy at that step).
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import yaml

from ansible_collections.esper.mdm.tests.integration.conftest import COLLECTION_DIR

EXAMPLE = os.path.join(COLLECTION_DIR, 'docs', 'execution-environment.yml')


def tool(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def run(*command, cwd=None):
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, ' '.join(command) + '\n' + (completed.stdout + completed.stderr)[-4000:]
    return completed.stdout


def requirement_names(path):
    """The package names of a pip requirements file, comments and version specifiers left out."""
    names = []
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            line = line.split('#', 1)[0].strip()
            if line:
                names.append(line.split(';')[0].split('[')[0].split('<')[0].split('>')[0].split('=')[0].split('!')[0].split('~')[0].strip().lower())
    return names


def test_collection_metadata_points_ansible_builder_at_the_requirements():
    with open(os.path.join(COLLECTION_DIR, 'meta', 'execution-environment.yml'), encoding='utf-8') as handle:
        metadata = yaml.safe_load(handle)
    assert metadata['version'] == 1
    for kind, path in metadata['dependencies'].items():
        assert kind in ('python', 'system') and not os.path.isabs(path)
        assert os.path.isfile(os.path.join(COLLECTION_DIR, path)), path
    assert metadata['dependencies']['python'] == 'requirements.txt'


def test_ansible_builder_create_makes_a_context_that_installs_the_collection_and_its_python_requirements(tmp_path):
    context = tmp_path / 'context'
    run(tool('ansible-builder'), 'create', '-f', EXAMPLE, '--context', str(context), '--output-filename', 'Containerfile')

    containerfile = (context / 'Containerfile').read_text(encoding='utf-8')
    assert 'ansible-galaxy collection install' in containerfile and 'introspect.py introspect' in containerfile
    with open(context / '_build' / 'requirements.yml', encoding='utf-8') as handle:
        galaxy = yaml.safe_load(handle)
    assert [item['name'] for item in galaxy['collections']] == ['esper.mdm']

    # The build's galaxy step, with the built tarball for Galaxy, then its introspect step.
    run(tool('ansible-galaxy'), 'collection', 'build', COLLECTION_DIR, '--output-path', str(tmp_path))
    tarball = glob.glob(str(tmp_path / 'esper-mdm-*.tar.gz'))
    assert len(tarball) == 1, os.listdir(tmp_path)
    installed = tmp_path / 'collections'
    # --force: the laid-out tree on ANSIBLE_COLLECTIONS_PATH already holds esper.mdm, which would make this a no-op.
    run(tool('ansible-galaxy'), 'collection', 'install', '--force', tarball[0], '-p', str(installed))
    written = tmp_path / 'requirements.txt'
    output = run(sys.executable, str(context / '_build' / 'scripts' / 'introspect.py'), 'introspect', str(installed),
                 '--write-pip', str(written))

    wanted = requirement_names(os.path.join(COLLECTION_DIR, 'requirements.txt'))
    assert set(wanted) >= {'cryptography'}
    assert requirement_names(written) == wanted
    for line in written.read_text(encoding='utf-8').splitlines():
        assert line.endswith('# from collection esper.mdm'), line
    assert 'esper.mdm' in output
