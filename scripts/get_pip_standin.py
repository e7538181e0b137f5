"""Offline stand-in for the get-pip script that ansible-test downloads to bootstrap its virtualenvs.

ansible-test runs this file with pip's arguments. Installing pip from the interpreter's own ensurepip
and then the requested packages through the configured package index works without internet.
ensurepip runs as a subprocess: in-process it sets PIP_CONFIG_FILE=/dev/null, which would hide the
machine's configured index.
"""

import subprocess
import sys

SKIPPED = ('--no-setuptools', '--no-wheel')


def main():
    """Bootstrap pip, then install the packages ansible-test asked for."""
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'], stdout=subprocess.DEVNULL)
    args = [arg for arg in sys.argv[1:] if arg not in SKIPPED]
    if any(not arg.startswith('-') for arg in args):
        subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    main()
