# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Validators for the ``dirtyring:`` flavor extra specs.

Registered on the ``nova.api.extra_spec_validators`` entry point, so that
nova-api rejects a bad value with HTTP 400 (microversion >= 2.86) instead of
the guest failing to boot later. Registering the namespace also makes nova-api
reject unknown ``dirtyring:`` keys (typos).
"""

from nova.api.validation.extra_specs import base

RING_SIZES = tuple(str(1 << n) for n in range(10, 17))  # 1024 .. 65536

EXTRA_SPEC_VALIDATORS = [
    base.ExtraSpecValidator(
        name='dirtyring:ring',
        description=(
            'Whether guests of this flavor boot with the KVM dirty ring: '
            '``on`` (required: the boot fails on a host that cannot provide '
            'it, so pair it with ``trait:CUSTOM_KVM_DIRTY_RING=required``), '
            '``off`` (never), or ``auto`` (when the host offers it). '
            'Overrides the image property ``dirtyring_ring`` and the host\'s '
            '``[dirtyring] ring_mode``.'
        ),
        value={
            'type': str,
            'description': 'The dirty ring mode.',
            'enum': ('on', 'off', 'auto'),
        },
    ),
    base.ExtraSpecValidator(
        name='dirtyring:ring_size',
        description=(
            'Number of entries of each vCPU\'s KVM dirty ring: a power of two '
            'from 1024 to 65536. Overrides the image property '
            '``dirtyring_ring_size`` and the host\'s ``[dirtyring] '
            'ring_size``.'
        ),
        value={
            'type': str,
            'description': 'A power of two from 1024 to 65536.',
            'pattern': '|'.join(RING_SIZES),
        },
    ),
    base.ExtraSpecValidator(
        name='dirtyring:precheck_action',
        description=(
            'What the live-migration pre-flight check does with guests of '
            'this flavor that would not converge: ``off`` (no check), '
            '``warn`` (log a warning and migrate), ``throttle`` (migrate and '
            'record the dirty-rate limit for the convergence controller) or '
            '``reject`` (refuse the migration with MigrationPreCheckError). '
            'Overrides the host\'s ``[dirtyring] precheck_action``.'
        ),
        value={
            'type': str,
            'description': 'The pre-flight action.',
            'enum': ('off', 'warn', 'throttle', 'reject'),
        },
    ),
]


def register():
    return EXTRA_SPEC_VALIDATORS
