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
import json
import os
import pathlib

import fixtures
import kombu

from nova_dirtyring import native


REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
# The test broker (scripts/lib/rabbitmq.sh), as a transport_url.
RABBIT_URL = os.environ.get('DIRTYRING_RABBIT_URL',
                            'rabbit://guest:guest@127.0.0.1:5672/')


def amqp_url():
    """RABBIT_URL as kombu spells it."""
    return RABBIT_URL.replace('rabbit://', 'amqp://', 1)


def delete_broker_objects(queues, exchange=None):
    """Delete a test's queues (and exchange) on the test broker."""
    with kombu.Connection(amqp_url()) as connection:
        channel = connection.channel()
        for queue in queues:
            channel.queue_delete(queue)
        if exchange:
            channel.exchange_delete(exchange)


DEFAULT_LIBRARY = REPO_ROOT / '.build' / 'debug' / 'libdirtyring.so'


# A guest writing 1 MiB/s: any migration of it converges.
CALM_RATE = 1.0
# A guest dirtying 5000 MiB/s, four times the default assumed bandwidth
# (1250 MiB/s): pre-copy never converges.
DIRTY_RATE = 5000.0


def library_path():
    """The libdirtyring.so under test: $DIRTYRING_LIBRARY or swift build's."""
    return os.environ.get('DIRTYRING_LIBRARY') or str(DEFAULT_LIBRARY)


RING_SIZES = (1024, 2048, 4096, 8192, 16384, 32768, 65536)


def qualification(state, ring_size, summary='recorded by the test'):
    """A qualification document of dirtyring.h for one ring size."""
    checks = [{'name': name,
               'state': state if name == 'counting' else 'passed',
               'summary': summary, 'evidence': []}
              for name in ('counting', 'migration_integrity', 'liveness')]
    return {
        'state': state,
        'key': {'kernel_release': '6.1.0-28-amd64', 'kvm_module': 'kvm_intel',
                'cpu_model': 'Test CPU', 'libvirt_version': '9.0.0',
                'qemu_version': '7.2.0', 'ring_size': ring_size},
        'checked_at': '2026-12-07T10:00:00Z',
        'seconds': 150.0,
        'checks': checks,
        'evidence': None if state == 'passed' else 'counting %s: %s' % (
            state, summary),
        'stale': [],
    }


def _host(usable, max_size, reasons=(), qualified=RING_SIZES,
          verdicts=()):
    """A host document; by default qualified for every ring size."""
    qualifications = [qualification('passed', size) for size in qualified
                      if usable and size <= max_size]
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
            'qualifications': qualifications + list(verdicts),
        },
    }


# Debian 12: libvirt 9.0.0, QEMU 7.2, a kernel with a 1 MiB ring (65536).
HOST_USABLE = _host(True, 65536)
# A kernel without KVM_CAP_DIRTY_LOG_RING.
HOST_UNUSABLE = _host(
    False, 0, ['KVM_CAP_DIRTY_LOG_RING is not supported by this kernel'])
# A kernel whose ring is at most 2048 entries (32 KiB).
HOST_SMALL = _host(True, 2048)
# Capable of the ring, never qualified (a fresh host).
HOST_NOT_QUALIFIED = _host(True, 65536, qualified=())
# Capable of the ring, qualification failed (the counting check, as on the
# kvm_pvm hosts this project ran on).
HOST_FAILED = _host(True, 65536, qualified=(), verdicts=[qualification(
    'failed', 4096, 'read 16.0 for 10.0 MiB/s (+60 %)')])


# Nova's [libvirt] defaults for the options that bound a live migration.
NOVA_MIGRATION_DEFAULTS = {
    'live_migration_bandwidth': 0,
    'live_migration_downtime': 500,
    'live_migration_completion_timeout': 800,
}


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


def measurement(uuid, rate, memory_mib=2048, vcpus=2, ring_size=4096,
                mode='dirty-ring', period=1):
    """A measurement document of dirtyring.h for one guest."""
    return {
        'domain': 'instance-%s' % uuid[:8],
        'uuid': uuid,
        'mode': mode,
        'period_seconds': period,
        'megabytes_per_second': rate,
        'vcpu_megabytes_per_second': (
            [rate / float(vcpus)] * vcpus if mode == 'dirty-ring' else []),
        'memory_mib': memory_mib,
        'vcpus': vcpus,
        'ring_size': ring_size,
        'measured_at': '2026-11-28T04:24:19Z',
    }


class FakeContext(object):
    """Stands in for native.Context: the probe and the measurement.

    ``measurements`` maps an instance uuid to the document (or the
    NativeError) that a measurement of that guest returns. The guests of
    fakelibvirt do not run anywhere, so a migration watch finds no domain
    (as the library answers for a guest that is not on the host) and no
    throttle is ever left to lift; test_convergence runs both for real.
    """

    def __init__(self, host):
        self.host = host
        # What qualify() finds: its verdict, recorded as the library does.
        self.qualification_state = 'failed'
        self.qualify_calls = []
        self.probes = 0
        self.closed = False
        self.measurements = {}
        self.measure_calls = []
        self.watch_requests = []
        self.leftover_checks = 0

    def probe(self):
        self.probes += 1
        return copy.deepcopy(self.host)

    def measure(self, domains, seconds, mode='auto'):
        self.measure_calls.append((list(domains), seconds, mode))
        out = []
        for domain in domains:
            result = self.measurements.get(domain)
            if result is None:
                result = native.NativeError(
                    'no_domain', 'no running domain %s' % domain)
            if isinstance(result, BaseException):
                out.append(result)
            else:
                out.append(copy.deepcopy(result))
        return out

    def watch_migration(self, request, notifier=None):
        self.watch_requests.append(copy.deepcopy(request))
        raise native.NativeError(
            'no_domain', 'no domain with UUID %s here'
            % request['instance']['uuid'])

    def lift_leftover_throttles(self, notifier=None):
        self.leftover_checks += 1
        return []

    def qualify(self, kernel_path, ring_size):
        self.qualify_calls.append((kernel_path, ring_size))
        verdict = qualification(self.qualification_state, ring_size)
        ring = self.host['dirty_ring']
        ring['qualifications'] = [
            q for q in ring.get('qualifications') or ()
            if q['key']['ring_size'] != ring_size] + [verdict]
        return copy.deepcopy(verdict)

    def close(self):
        self.closed = True


class HostProbeDouble(fixtures.Fixture):
    """Replaces the host probe and the measurement with canned documents.

    Why a double: dr_context_open/dr_host_probe read the real /dev/kvm
    (KVM_CHECK_EXTENSION) and ask a real libvirtd for its versions, and
    dr_dirty_rate_measure asks a real libvirtd/QEMU to measure a running
    guest. Under nova's LibvirtFixture there is no libvirtd (fakelibvirt has
    no virConnectPtr to share and no dirty-rate API) and no guest runs, and
    the test host's KVM is not the one under test. Every other library
    function (config check, ring decision, destination check, <kvm>
    element, pre-flight decision and forecast) is the real library, fed with
    these documents, which have the shapes documented in dirtyring.h.
    """

    def __init__(self, host):
        super().__init__()
        # One host document for every context, as one state_dir on a host.
        self.host = copy.deepcopy(host)
        self.contexts = []

    def _setUp(self):
        self.measurements = {}
        self.qualification_state = 'failed'

        def open_context(library, config, libvirt_connection=None):
            context = FakeContext(self.host)
            context.measurements = self.measurements
            context.qualification_state = self.qualification_state
            self.contexts.append((config, libvirt_connection, context))
            return context

        self.useFixture(fixtures.MonkeyPatch(
            'nova_dirtyring.native.Library.open_context', open_context))

    def set_measurement(self, uuid, result):
        """What measuring the guest ``uuid`` returns (or raises)."""
        self.measurements[uuid] = result

    def set_host(self, host):
        self.host = copy.deepcopy(host)
        for _, _, context in self.contexts:
            context.host = self.host

    def set_qualification(self, state):
        """What the next qualification finds (recorded into the host)."""
        self.qualification_state = state


class RecordedQualification(fixtures.Fixture):
    """A ring qualification verdict recorded in ``state_dir`` for this host.

    For tests on the real host whose subject is not the qualification (the
    driver's XML reaching QEMU, the convergence watch): the verdict keeps
    init_host from qualifying in the background (minutes of canary guests)
    and fixes whether the ring is offered. The key is this host's, read by
    the real probe, so the library holds the verdict as current.
    test_real_qualification runs the real qualification instead.
    """

    def __init__(self, state_dir, state, ring_sizes=RING_SIZES):
        super().__init__()
        self.state_dir = state_dir
        self.state = state
        self.ring_sizes = ring_sizes

    def _setUp(self):
        library = native.Library(library_path())
        context = library.open_context({'state_dir': self.state_dir})
        try:
            host = context.probe()
        finally:
            context.close()
        verdicts = []
        for size in self.ring_sizes:
            verdict = qualification(self.state, size)
            verdict['key'] = {
                'kernel_release': host['kernel_release'],
                'kvm_module': host['kvm'].get('module') or 'unknown',
                'cpu_model': host['cpu_model'],
                'libvirt_version': host['libvirt_version'] or 'unknown',
                'qemu_version': host['qemu_version'] or 'unknown',
                'ring_size': size,
            }
            verdicts.append(verdict)
        path = pathlib.Path(self.state_dir) / 'ring-qualification.json'
        path.write_text(json.dumps(verdicts))
