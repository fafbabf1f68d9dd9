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

"""The ring qualification in the driver: gating, start-up, migrations.

The verdicts come from the probe double (dr_fixtures.HostProbeDouble), the
decisions from the real library; test_real_qualification runs the real
qualification on this host.
"""

import threading

import fixtures

from nova import exception
from nova import objects
from nova.virt import fake

from nova_dirtyring import driver
from nova_dirtyring.tests import dr_fixtures
from nova_dirtyring.tests import test_driver

QUALIFY_WAIT = 10


class QualificationTestBase(test_driver.DriverTestBase):

    HOST = dr_fixtures.HOST_NOT_QUALIFIED

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level='INFO'))

    def _started(self, host=None, finds='failed'):
        """A driver after init_host and its background qualification."""
        self.probe.set_qualification(finds)
        drvr = self._driver(host)
        if drvr._dr_qualification_thread is not None:
            drvr._dr_qualification_thread.join(QUALIFY_WAIT)
            self.assertFalse(drvr._dr_qualification_thread.is_alive())
        return drvr

    def _qualify_calls(self):
        return [call for _, _, context in self.probe.contexts
                for call in context.qualify_calls]

    def _ring_size(self, drvr, instance=None):
        """The ring size of the guest ``drvr`` builds, or None."""
        cfg = self._guest_config(drvr, instance or self._instance())
        ring = self._ring(cfg)
        return None if ring is None else ring.get('size')


class StartTestCase(QualificationTestBase):

    def test_unqualified_host_qualifies_at_start_then_offers(self):
        drvr = self._started(finds='passed')
        self.assertEqual(
            [('/var/lib/libvirt/boot/dirtyring-canary.elf', 4096)],
            self._qualify_calls())
        # On a context of its own, closed afterwards: the main context
        # stays free for pre-flight checks meanwhile.
        own = [c for _, pointer, c in self.probe.contexts if c.qualify_calls]
        self.assertEqual(1, len(own))
        self.assertTrue(own[0].closed)
        self.assertIs(True, drvr._dr_offers_ring)
        self.assertIs(True, drvr.static_traits[driver.TRAIT])
        self.assertEqual('4096', self._ring_size(drvr))
        self.assertIn('qualification=passed', self.log.output)

    def test_guests_boot_without_ring_until_the_qualification_passes(self):
        self.probe.set_qualification('passed')
        drvr = driver.LibvirtDriver(fake.FakeVirtAPI(), False)
        started = []
        real_start = threading.Thread.start

        def start(thread):
            if thread.name == 'dirtyring-qualify':
                started.append(thread)
            else:
                real_start(thread)
        self.stub_out('threading.Thread.start', start)
        drvr.init_host('compute1')
        # init_host returned with the qualification not yet run.
        self.assertEqual(1, len(started))
        self.assertEqual([], self._qualify_calls())
        self.assertIsNone(self._ring_size(drvr))
        self.assertIs(False, drvr.static_traits[driver.TRAIT])
        started[0].run()
        self.assertEqual('4096', self._ring_size(drvr))
        self.assertIs(True, drvr.static_traits[driver.TRAIT])

    def test_failed_qualification_keeps_the_ring_off_and_says_why(self):
        drvr = self._started(finds='failed')
        self.assertEqual(1, len(self._qualify_calls()))
        self.assertIs(False, drvr._dr_offers_ring)
        self.assertIs(False, drvr.static_traits[driver.TRAIT])
        self.assertIsNone(self._ring_size(drvr))
        self.assertIn('qualification=failed (counting failed', self.log.output)

    def test_recorded_verdict_is_not_run_again(self):
        drvr = self._started(dr_fixtures.HOST_FAILED)
        self.assertEqual([], self._qualify_calls())
        self.assertIsNone(drvr._dr_qualification_thread)
        self.assertIsNone(self._ring_size(drvr))
        self.assertIn('read 16.0 for 10.0 MiB/s (+60 %)', self.log.output)
        drvr = self._started(dr_fixtures.HOST_USABLE)
        self.assertEqual([], self._qualify_calls())
        self.assertEqual('4096', self._ring_size(drvr))

    def test_no_qualification_where_the_ring_cannot_run_or_is_off(self):
        self._started(dr_fixtures.HOST_UNUSABLE)
        self.flags(ring_mode='off', group='dirtyring')
        self._started(dr_fixtures.HOST_NOT_QUALIFIED)
        self.assertEqual([], self._qualify_calls())

    def test_qualification_that_cannot_run_leaves_the_ring_off(self):
        def broken(context, kernel_path, ring_size):
            raise driver.native.NativeError(
                'invalid_request', 'the canary kernel %s is not readable'
                % kernel_path)
        self.stub_out('nova_dirtyring.tests.dr_fixtures.FakeContext.qualify',
                      broken)
        drvr = self._started()
        self.assertIs(False, drvr._dr_offers_ring)
        self.assertIn('qualification could not run: the canary kernel',
                      self.log.output)

    def test_flavor_requiring_the_ring_fails_boot_on_an_unqualified_host(self):
        drvr = self._started(dr_fixtures.HOST_FAILED)
        instance = self._instance(extra_specs={'dirtyring:ring': 'on'})
        ex = self.assertRaises(driver.DirtyRingUnsupported,
                               self._guest_config, drvr, instance)
        self.assertIn('not proven', str(ex))

    def test_unprobed_host_builds_novas_guest(self):
        drvr = driver.LibvirtDriver(fake.FakeVirtAPI(), False)
        self.assertIsNone(self._ring_size(drvr))


class RingModeOnTestCase(QualificationTestBase):

    def setUp(self):
        super().setUp()
        self.flags(ring_mode='on', group='dirtyring')

    def test_on_qualifies_before_serving_and_starts_when_it_passes(self):
        drvr = self._started(finds='passed')
        self.assertEqual(1, len(self._qualify_calls()))
        self.assertIsNone(drvr._dr_qualification_thread)
        self.assertEqual('4096', self._ring_size(drvr))

    def test_on_refuses_to_start_naming_the_failed_check(self):
        self.probe.set_qualification('failed')
        drvr = driver.LibvirtDriver(fake.FakeVirtAPI(), False)
        ex = self.assertRaises(exception.InvalidConfiguration,
                               drvr.init_host, 'compute1')
        msg = str(ex)
        self.assertNotIn('\n', msg)
        self.assertIn('[dirtyring] ring_mode = on', msg)
        self.assertIn('counting failed', msg)
        self.assertEqual(1, len(self._qualify_calls()))

    def test_on_refuses_a_recorded_failure_without_running_again(self):
        drvr = driver.LibvirtDriver(fake.FakeVirtAPI(), False)
        self.probe.set_host(dr_fixtures.HOST_FAILED)
        ex = self.assertRaises(exception.InvalidConfiguration,
                               drvr.init_host, 'compute1')
        self.assertIn('read 16.0 for 10.0 MiB/s (+60 %)', str(ex))
        self.assertEqual([], self._qualify_calls())


class RingMigrationTestCase(QualificationTestBase):

    def setUp(self):
        super().setUp()
        self.stub_out('nova.virt.libvirt.driver.LibvirtDriver.'
                      'check_can_live_migrate_source',
                      lambda drvr, ctxt, instance, data, **kw: data)
        self.flags(precheck_action='off', group='dirtyring')
        self.flags(host='src-host')

    def _instance_with_ring(self, size):
        instance = self._instance()
        instance.system_metadata['dirtyring_ring_size'] = str(size)
        return instance

    def _check_source(self, drvr, instance):
        data = objects.LibvirtLiveMigrateData(filename='file')
        return drvr.check_can_live_migrate_source(self.context, instance,
                                                  data)

    def test_ring_guest_refused_from_unqualified_source(self):
        drvr = self._started(dr_fixtures.HOST_FAILED)
        ex = self.assertRaises(exception.MigrationPreCheckError,
                               self._check_source, drvr,
                               self._instance_with_ring(4096))
        msg = str(ex)
        self.assertIn('source src-host has not proven', msg)
        self.assertIn('could silently corrupt', msg)
        self.assertIn('cold migration or a hard reboot', msg)
        self.assertIn('allow_unqualified_ring_migration', msg)

    def test_guest_without_ring_leaves_unqualified_source(self):
        drvr = self._started(dr_fixtures.HOST_FAILED)
        data = self._check_source(drvr, self._instance_with_ring(0))
        self.assertIsInstance(data, objects.LibvirtLiveMigrateData)

    def test_operator_may_allow_it_and_it_is_logged(self):
        self.flags(allow_unqualified_ring_migration=True, group='dirtyring')
        drvr = self._started(dr_fixtures.HOST_FAILED)
        data = self._check_source(drvr, self._instance_with_ring(4096))
        self.assertIsInstance(data, objects.LibvirtLiveMigrateData)
        self.assertIn('migrating anyway', self.log.output)

    def test_ring_guest_leaves_qualified_source(self):
        drvr = self._started(dr_fixtures.HOST_USABLE)
        data = self._check_source(drvr, self._instance_with_ring(4096))
        self.assertIsInstance(data, objects.LibvirtLiveMigrateData)

    def test_destination_must_be_qualified_for_the_ring_size(self):
        drvr = self._started(dr_fixtures.HOST_FAILED)
        reason = drvr._dr_destination_refusal(self._instance_with_ring(4096))
        self.assertIn('has not proven that a dirty ring of 4096 entries',
                      reason)
        self.assertIsNone(
            drvr._dr_destination_refusal(self._instance_with_ring(0)))
        drvr = self._started(dr_fixtures.HOST_USABLE)
        self.assertIsNone(
            drvr._dr_destination_refusal(self._instance_with_ring(4096)))
