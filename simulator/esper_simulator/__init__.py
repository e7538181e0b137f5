# -*- coding: utf-8 -*-
# Copyright: esper.mdm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local HTTP simulator of the Esper MDM API, used as the oracle of esper.mdm's integration tests.

Run it with ``python3 -m esper_simulator --port 0`` from the ``simulator/`` directory; see README.md.
Standard library only; it is not part of the collection build.
"""

__version__ = '0.1.0'
