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

"""Live migration end to end through nova 34's in-process services.

nova-api, conductor, scheduler, the placement fixture and two nova-compute
services (``src`` and ``dest``) on fakelibvirt, both loading
``compute_driver = dirtyring.LibvirtDriver`` through nova's own
``load_compute_driver`` with the real libdirtyring.so.

Doubles: the host probe and the dirty-rate measurement (HostProbeDouble):
fakelibvirt runs no guest and has no dirty-rate API, so each guest's
measurement is a canned document. The pre-flight decision
(dr_precheck_decide) is the real library.
"""

import json
import os
import subprocess
import sys
import tempfile
import uuid

from nova.tests.functional import integrated_helpers
from nova.tests.functional.libvirt import base as libvirt_base

from nova_dirtyring import driver
from nova_dirtyring.tests import dr_fixtures


MEMORY_MIB = 4096
RABBIT_URL = dr_fixtures.RABBIT_URL
OSLO_LISTENER = str(dr_fixtures.REPO_ROOT / 'Tests' /
                    'NotificationPublisherTests' / 'oslo_listener.py')


class PrecheckLiveMigrationTest(
    libvirt_base.LibvirtMigrationMixin,
    libvirt_base.ServersTestBase,
    integrated_helpers.InstanceHelperMixin,
):
    # 2.84: instance action events show their ``details``.
    microversion = '2.84'
    ADMIN_API = True
    # As in production: the API casts to the conductor and answers 202; the
    # refusal happens asynchronously (with CastAsCallFixture nova's own
    # tests get the MigrationPreCheckError as an API error 500 instead).
    CAST_AS_CALL = False

    def setUp(self):
        super().setUp()
        self.useFixture(dr_fixtures.NativeLibrary(self))
        self.probe = self.useFixture(
            dr_fixtures.HostProbeDouble(dr_fixtures.HOST_USABLE))
        self.flags(precheck_action='reject', group='dirtyring')
        self.src_hostname = self.start_compute(hostname='src')
        self.dest_hostname = self.start_compute(hostname='dest')
        self.src = self.computes[self.src_hostname]
        self.dest = self.computes[self.dest_hostname]
        for compute in (self.src, self.dest):
            self.assertIs(driver.LibvirtDriver, type(compute.driver))

    def _setup_services(self):
        # nova's functional tests run from a nova checkout and find
        # etc/nova/api-paste.ini next to the package; the wheel installs it
        # under the environment's prefix instead.
        paste = os.path.join(sys.prefix, 'etc', 'nova', 'api-paste.ini')
        if os.path.exists(paste):
            self.flags(api_paste_config=paste, group='wsgi')
        super()._setup_services()

    def _setup_compute_service(self):
        # ServersTestBase sets compute_driver = libvirt.LibvirtDriver here
        # (and starts the computes later, in each test): load ours instead,
        # by its nova.virt name as an operator would configure it.
        self.flags(compute_driver='dirtyring.LibvirtDriver')

    def _server(self, rate, extra_spec=None):
        # 4 GiB: more than the 625 MiB that 1250 MiB/s sends in Nova's
        # default 500 ms downtime, so a dirty guest cannot switch over at
        # once.
        flavor = self._create_flavor(memory_mb=MEMORY_MIB, vcpu=2,
                                     extra_spec=extra_spec)
        server = self._create_server(host=self.src_hostname, networks='none',
                                     flavor_id=flavor)
        self.assertEqual(self.src_hostname,
                         server['OS-EXT-SRV-ATTR:host'])
        self.probe.set_measurement(server['id'], dr_fixtures.measurement(
            server['id'], rate, memory_mib=MEMORY_MIB, vcpus=2))
        return server

    def test_dirty_guest_rejected(self):
        self.server = self._server(dr_fixtures.DIRTY_RATE)
        server = self._live_migrate(
            self.server, migration_expected_state='error',
            server_expected_state='ACTIVE')
        # Still on the source, never migrated.
        self.assertEqual(self.src_hostname, server['OS-EXT-SRV-ATTR:host'])
        self.assertFalse(self.migrate_stub_ran)
        [migration] = self.api.api_get(
            '/os-migrations?instance_uuid=%s' % self.server['id']
        ).body['migrations']
        self.assertEqual('error', migration['status'])
        # The library's reason is in the source check's event.
        expected = self.src.driver._dr_library.precheck_decide(
            'reject', dr_fixtures.measurement(
                self.server['id'], dr_fixtures.DIRTY_RATE,
                memory_mib=MEMORY_MIB, vcpus=2),
            dr_fixtures.NOVA_MIGRATION_DEFAULTS, 1250, 600)['reason']
        event = self._wait_for_action_fail_completion(
            self.server, 'live-migration',
            'compute_check_can_live_migrate_source')
        # Nova keeps at most 255 characters of an event's details: the
        # library's refusal fits in them whole.
        self.assertEqual(
            'Migration pre-check error: %s' % expected, event['details'])
        self.assertIsNone(
            self.src.driver._dr_precheck_decision(self.server['id']))

    def test_calm_guest_migrates(self):
        self.server = self._server(dr_fixtures.CALM_RATE)
        seen = []
        orig = self.src.driver._live_migration_monitor

        def monitor(context, instance, *args, **kwargs):
            # What the convergence controller will read.
            seen.append(self.src.driver._dr_precheck_decision(instance.uuid))
            return orig(context, instance, *args, **kwargs)

        self.src.driver._live_migration_monitor = monitor
        server = self._live_migrate(self.server)
        self.assertEqual(self.dest_hostname, server['OS-EXT-SRV-ATTR:host'])
        self.assertTrue(self.migrate_stub_ran)
        [migration] = self.api.api_get(
            '/os-migrations?instance_uuid=%s' % self.server['id']
        ).body['migrations']
        self.assertEqual('completed', migration['status'])
        [decision] = seen
        self.assertEqual('accept', decision.verdict)
        self.assertTrue(decision.forecast['converges'])
        # Forgotten once the migration ended.
        self.assertIsNone(
            self.src.driver._dr_precheck_decision(self.server['id']))

    def test_flavor_warn_over_host_reject_migrates_dirty_guest(self):
        self.server = self._server(
            dr_fixtures.DIRTY_RATE,
            extra_spec={'dirtyring:precheck_action': 'warn'})
        server = self._live_migrate(self.server)
        self.assertEqual(self.dest_hostname, server['OS-EXT-SRV-ATTR:host'])
        self.assertTrue(self.migrate_stub_ran)


class PrecheckNotificationTest(PrecheckLiveMigrationTest):
    """The pre-flight check's notifications reach a real oslo listener.

    The computes publish through the real RabbitMQ (started by
    scripts/test) with Nova's own notification options, in both formats;
    a real oslo.messaging notification listener (a subprocess) receives
    them.
    """

    def _setup_compute_service(self):
        super()._setup_compute_service()
        suffix = uuid.uuid4().hex[:8]
        self.topic = 'drnotif_%s' % suffix
        self.versioned_topic = 'drvnotif_%s' % suffix
        self.exchange = 'drexchange_%s' % suffix
        self.flags(driver=['messagingv2'], topics=[self.topic],
                   transport_url=RABBIT_URL,
                   group='oslo_messaging_notifications')
        self.flags(notification_format='both',
                   versioned_notifications_topics=[self.versioned_topic],
                   group='notifications')
        self.flags(control_exchange=self.exchange)
        self.addCleanup(self._delete_broker_objects)
        spool = tempfile.mkdtemp(prefix='dirtyring-functional-')
        self.addCleanup(subprocess.run, ['rm', '-rf', spool])
        self.flags(state_dir=spool, group='dirtyring')

    def _delete_broker_objects(self):
        dr_fixtures.delete_broker_objects(
            ['%s.%s' % (topic, priority)
             for topic in (self.topic, self.versioned_topic)
             for priority in ('info', 'warn')], self.exchange)

    def _listen(self, count):
        listener = subprocess.Popen(
            [sys.executable, OSLO_LISTENER, RABBIT_URL, self.exchange,
             str(count), '60', self.topic, self.versioned_topic],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(listener.kill)
        return listener

    def test_dirty_guest_rejected(self):
        # The listener declares its queues before anything is published.
        listener = self._listen(4)
        super().test_dirty_guest_rejected()
        out, err = listener.communicate(timeout=90)
        self.assertEqual(0, listener.returncode, err)
        received = [json.loads(line) for line in out.splitlines()]
        by_kind = {(n['event_type'], n['publisher_id']): n for n in received}
        self.assertEqual(4, len(by_kind), received)
        uid = self.server['id']
        measure = by_kind[('instance.dirty_rate.measure', 'compute.src')]
        self.assertEqual('INFO', measure['priority'])
        self.assertEqual(uid, measure['payload']['instance_uuid'])
        self.assertEqual(self.server['tenant_id'],
                         measure['payload']['tenant_id'])
        self.assertEqual('src', measure['payload']['host'])
        self.assertEqual(float(dr_fixtures.DIRTY_RATE),
                         measure['payload']['megabytes_per_second'])
        self.assertEqual(MEMORY_MIB, measure['payload']['memory_mib'])
        reject = by_kind[('instance.live_migration_precheck.reject',
                          'compute.src')]
        self.assertEqual('WARN', reject['priority'])
        self.assertEqual('reject', reject['payload']['verdict'])
        self.assertEqual('host', reject['payload']['action_source'])
        self.assertFalse(reject['payload']['forecast']['converges'])
        self.assertEqual(measure['payload'], reject['payload']['measurement'])
        versioned = by_kind[('instance.live_migration_precheck.reject',
                             'nova-compute:src')]['payload']
        self.assertEqual('LiveMigrationPrecheckPayload',
                         versioned['nova_object.name'])
        self.assertEqual('nova-dirtyring', versioned['nova_object.namespace'])
        self.assertEqual(reject['payload'], versioned['nova_object.data'])
        self.assertIn(('instance.dirty_rate.measure', 'nova-compute:src'),
                      by_kind)
        status = self.src.driver._dr_publisher.status()
        self.assertEqual(4, status['accepted'])
        self.assertTrue(status['enabled'])

    # The other scenarios are PrecheckLiveMigrationTest's.
    test_calm_guest_migrates = None
    test_flavor_warn_over_host_reject_migrates_dirty_guest = None
