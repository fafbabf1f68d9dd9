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

"""Fixtures: the real native library and a double of the host probe."""

import copy
import os
import pathlib

import fixtures


REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
DEFAULT_LIBRARY = REPO_ROOT / '.build' / 'debug' / 'libdirtyring.so'


def library_path():
    """The libdirtyring.so under test: $DIRTYRING_LIBRARY or swift build's."""
    return os.environ.get('DIRTYRING_LIBRARY') or str(DEFAULT_LIBRARY)


def _host(usable, max_size, reasons=()):
    return {
        'kvm': {
            'device': '/dev/kvm',
            'available': True,
            'module': 'kvm_intel',
            'dirty_ring_max_bytes': max_size * 16,
            'dirty_ring_max_entries': max_size,
            'dirty_ring_acq_rel': usable,
            'error': None,
        },
        'kernel_release': '6.1.0-28-amd64',
        'libvirt_version': '9.0.0',
        'qemu_version': '7.2.0',
        'dirty_ring': {
            'usable': usable,
            'max_size': max_size,
            'reasons': list(reasons),
        },
    }


# Debian 12: libvirt 9.0.0, QEMU 7.2, a kernel with a 1 MiB ring (65536).
HOST_USABLE = _host(True, 65536)
# A kernel without KVM_CAP_DIRTY_LOG_RING.
HOST_UNUSABLE = _host(
    False, 0, ['KVM_CAP_DIRTY_LOG_RING is not supported by this kernel'])
# A kernel whose ring is at most 2048 entries (32 KiB).
HOST_SMALL = _host(True, 2048)


class NativeLibrary(fixtures.Fixture):
    """Points [dirtyring] library_path at the real libdirtyring.so.

    The library is never mocked: a missing build is a test failure.
    """

    def __init__(self, test):
        super().__init__()
        self.test = test

    def _setUp(self):
        self.path = library_path()
        if not os.path.exists(self.path):
            self.test.fail(
                'libdirtyring.so not found at %s: run `swift build` at the '
                'repository root or set DIRTYRING_LIBRARY' % self.path)
        self.test.flags(library_path=self.path, group='dirtyring')


class FakeContext(object):
    """Stands in for native.Context; its only operation is the probe."""

    def __init__(self, host):
        self.host = host
        self.probes = 0
        self.closed = False

    def probe(self):
        self.probes += 1
        return copy.deepcopy(self.host)

    def close(self):
        self.closed = True


class HostProbeDouble(fixtures.Fixture):
    """Replaces the host probe, and only it, with a canned host document.

    Why a double: dr_context_open/dr_host_probe read the real /dev/kvm
    (KVM_CHECK_EXTENSION) and ask a real libvirtd for its versions. Under
    nova's LibvirtFixture there is no libvirtd (fakelibvirt has no
    virConnectPtr to share) and the test host's KVM is not the one under
    test. Every other library function (config check, ring decision,
    destination check, <kvm> element) is the real library, fed with this
    host document, which has the shape documented in dirtyring.h.
    """

    def __init__(self, host):
        super().__init__()
        self.host = host
        self.contexts = []

    def _setUp(self):
        def open_context(library, config, libvirt_connection=None):
            context = FakeContext(self.host)
            self.contexts.append((config, libvirt_connection, context))
            return context

        self.useFixture(fixtures.MonkeyPatch(
            'nova_dirtyring.native.Library.open_context', open_context))

    def set_host(self, host):
        self.host = host
        for _, _, context in self.contexts:
            context.host = host
