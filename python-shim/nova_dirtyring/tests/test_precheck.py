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

"""The live-migration pre-flight check on the source (LibvirtFixture).

The decision (dr_precheck_decide) is the real library; the measurement is
the HostProbeDouble's canned document (fakelibvirt runs no guest).
"""

from unittest import mock

from nova import exception
from nova import objects
from nova.virt import fake

from nova_dirtyring import driver
from nova_dirtyring import native
from nova_dirtyring.tests import dr_fixtures
from nova_dirtyring.tests import test_driver


class PrecheckTestBase(test_driver.DriverTestBase):

    def setUp(self):
        super().setUp()
        self.parent_calls = []

        def parent_check(drvr, context, instance, dest_check_data,
                         block_device_info=None):
            # Nova's own source checks (shared storage, mdevs, NUMA) are
            # covered by nova's tests and our functional test; here they
            # only have to run first.
            self.parent_calls.append(instance.uuid)
            return dest_check_data

        self.stub_out('nova.virt.libvirt.driver.LibvirtDriver.'
                      'check_can_live_migrate_source', parent_check)
        self.decide_calls = []
        self.decide_results = []
        real_decide = native.Library.precheck_decide

        def spy(library, *args):
            self.decide_calls.append(args)
            result = real_decide(library, *args)
            self.decide_results.append(result)
            return result

        self.stub_out('nova_dirtyring.native.Library.precheck_decide', spy)
        self.drvr = self._driver()
        self.dest_data = objects.LibvirtLiveMigrateData(filename='file')

    def _guest(self, rate, extra_specs=None, memory_mib=2048):
        instance = self._instance(extra_specs=extra_specs)
        instance.flavor.memory_mb = memory_mib
        self.probe.set_measurement(instance.uuid, dr_fixtures.measurement(
            instance.uuid, rate, memory_mib=memory_mib))
        return instance

    def _check(self, instance):
        return self.drvr.check_can_live_migrate_source(
            self.context, instance, self.dest_data)

    def _refused(self, instance):
        ex = self.assertRaises(exception.MigrationPreCheckError,
                               self._check, instance)
        self.assertEqual([instance.uuid], self.parent_calls)
        return str(ex)


class ActionTestCase(PrecheckTestBase):

    def _accepted(self, instance):
        self.assertIs(self.dest_data, self._check(instance))
        self.assertEqual([instance.uuid], self.parent_calls)
        return self.drvr._dr_precheck_decision(instance.uuid)

    def test_off_does_not_measure(self):
        self.flags(precheck_action='off', group='dirtyring')
        instance = self._guest(dr_fixtures.DIRTY_RATE)
        self.assertIsNone(self._accepted(instance))
        self.assertEqual([], self.drvr._dr_context.measure_calls)
        self.assertEqual([], self.decide_calls)

    def test_warn_converges(self):
        instance = self._guest(dr_fixtures.CALM_RATE)
        with mock.patch.object(driver.LOG, 'info') as info, \
                mock.patch.object(driver.LOG, 'warning') as warning:
            decision = self._accepted(instance)
        self.assertEqual(1, info.call_count)
        self.assertEqual(0, warning.call_count)
        self.assertEqual('accept', decision.verdict)
        self.assertTrue(decision.forecast['converges'])
        self.assertEqual('warn', decision.action)
        self.assertEqual('host', decision.source)
        self.assertEqual([([instance.uuid], 1, 'auto')],
                         self.drvr._dr_context.measure_calls)
        self.assertEqual('warn', self.decide_calls[0][0])

    def test_warn_would_not_converge_accepts_with_warning(self):
        instance = self._guest(dr_fixtures.DIRTY_RATE)
        with mock.patch.object(driver.LOG, 'warning') as warning:
            decision = self._accepted(instance)
        self.assertEqual('accept', decision.verdict)
        self.assertFalse(decision.forecast['converges'])
        self.assertEqual(1, warning.call_count)
        self.assertIn(decision.reason, str(warning.call_args))
        self.assertTrue(decision.reason)
        self.assertNotIn('\n', decision.reason)

    def test_throttle_converges(self):
        self.flags(precheck_action='throttle', group='dirtyring')
        decision = self._accepted(self._guest(dr_fixtures.CALM_RATE))
        self.assertEqual('accept', decision.verdict)
        self.assertEqual('throttle', decision.action)

    def test_throttle_would_not_converge_keeps_decision(self):
        self.flags(precheck_action='throttle', group='dirtyring')
        instance = self._guest(dr_fixtures.DIRTY_RATE)
        decision = self._accepted(instance)
        self.assertEqual('throttle', decision.action)
        self.assertEqual('throttle', decision.verdict)
        self.assertFalse(decision.forecast['converges'])
        self.assertIsNotNone(decision.limit_megabytes_per_second)
        self.assertLess(decision.limit_megabytes_per_second, 1250)
        self.assertEqual(decision.forecast['limit_megabytes_per_second'],
                         decision.limit_megabytes_per_second)
        self.assertEqual(
            dr_fixtures.DIRTY_RATE,
            decision.measurement['megabytes_per_second'])

    def test_reject_converges(self):
        self.flags(precheck_action='reject', group='dirtyring')
        decision = self._accepted(self._guest(dr_fixtures.CALM_RATE))
        self.assertEqual('accept', decision.verdict)

    def test_reject_would_not_converge_refuses_with_library_reason(self):
        self.flags(precheck_action='reject', group='dirtyring')
        instance = self._guest(dr_fixtures.DIRTY_RATE)
        reason = self.drvr._dr_library.precheck_decide(
            'reject', dr_fixtures.measurement(
                instance.uuid, dr_fixtures.DIRTY_RATE),
            dr_fixtures.NOVA_MIGRATION_DEFAULTS, 1250, 600)['reason']
        msg = self._refused(instance)
        self.assertIn(' '.join(reason.split()), msg)
        self.assertNotIn('\n', msg)
        self.assertIsNone(self.drvr._dr_precheck_decision(instance.uuid))

    def test_flavor_reject_over_host_warn(self):
        instance = self._guest(dr_fixtures.DIRTY_RATE, extra_specs={
            'dirtyring:precheck_action': 'reject'})
        self._refused(instance)
        self.assertEqual('reject', self.decide_calls[0][0])

    def test_flavor_off_over_host_reject(self):
        self.flags(precheck_action='reject', group='dirtyring')
        instance = self._guest(dr_fixtures.DIRTY_RATE, extra_specs={
            'dirtyring:precheck_action': 'off'})
        self.assertIsNone(self._accepted(instance))
        self.assertEqual([], self.drvr._dr_context.measure_calls)

    def test_flavor_warn_over_host_reject(self):
        self.flags(precheck_action='reject', group='dirtyring')
        instance = self._guest(dr_fixtures.DIRTY_RATE, extra_specs={
            'dirtyring:precheck_action': 'warn'})
        decision = self._accepted(instance)
        self.assertEqual('flavor', decision.source)
        self.assertEqual('warn', decision.action)

    def test_bad_flavor_value_falls_back_to_host(self):
        self.flags(precheck_action='reject', group='dirtyring')
        instance = self._guest(dr_fixtures.DIRTY_RATE, extra_specs={
            'dirtyring:precheck_action': 'bogus'})
        self._refused(instance)


class MeasurementFailureTestCase(PrecheckTestBase):

    def _failing(self, error):
        instance = self._instance()
        self.probe.set_measurement(instance.uuid, error)
        return instance

    def test_fail_open_goes_ahead(self):
        self.flags(precheck_action='reject', group='dirtyring')
        instance = self._failing(native.NativeError(
            'timeout', 'libvirt did not answer within 10 s'))
        with mock.patch.object(driver.LOG, 'warning') as warning:
            self.assertIs(self.dest_data, self._check(instance))
        self.assertIn('libvirt did not answer', str(warning.call_args))
        self.assertIsNone(self.drvr._dr_precheck_decision(instance.uuid))
        self.assertEqual([], self.decide_calls)

    def test_fail_closed_refuses_with_why(self):
        self.flags(precheck_action='warn', precheck_fail_closed=True,
                   group='dirtyring')
        instance = self._failing(native.NativeError(
            'stall', 'vCPU 0 stopped progressing after the ring was read'))
        msg = self._refused(instance)
        self.assertIn('measurement failed', msg)
        self.assertIn('stall', msg)
        self.assertIn('vCPU 0 stopped progressing', msg)

    def test_unexpected_exception_fail_open(self):
        instance = self._instance()
        self.stub_out('nova_dirtyring.driver.LibvirtDriver._dr_measure',
                      mock.Mock(side_effect=KeyError('boom')))
        self.assertIs(self.dest_data, self._check(instance))

    def test_unexpected_exception_fail_closed(self):
        self.flags(precheck_fail_closed=True, group='dirtyring')
        instance = self._instance()
        self.stub_out('nova_dirtyring.driver.LibvirtDriver._dr_measure',
                      mock.Mock(side_effect=KeyError('boom')))
        msg = self._refused(instance)
        self.assertIn('KeyError', msg)

    def test_decide_error_fail_open(self):
        instance = self._guest(dr_fixtures.CALM_RATE)
        self.stub_out('nova_dirtyring.native.Library.precheck_decide',
                      mock.Mock(side_effect=native.NativeError(
                          'invalid_request', 'bad measurement')))
        self.assertIs(self.dest_data, self._check(instance))

    def test_no_context_fail_open(self):
        instance = self._guest(dr_fixtures.CALM_RATE)
        self.drvr._dr_context = None
        self.assertIs(self.dest_data, self._check(instance))

    def test_nova_check_failure_is_not_swallowed(self):
        self.stub_out('nova.virt.libvirt.driver.LibvirtDriver.'
                      'check_can_live_migrate_source',
                      mock.Mock(side_effect=exception.InvalidSharedStorage(
                          reason='x', path='y')))
        self.assertRaises(exception.InvalidSharedStorage,
                          self._check, self._guest(dr_fixtures.CALM_RATE))


class LimitsTestCase(PrecheckTestBase):

    def _limits(self, memory_mib=2048):
        # Nova's options go to the library as they are; the bounds it
        # used come back with the decision.
        self._check(self._guest(dr_fixtures.CALM_RATE,
                                memory_mib=memory_mib))
        bounds = self.decide_results[-1]['bounds']
        return (bounds['bandwidth_megabytes_per_second'],
                bounds['max_downtime_ms'], bounds['deadline_seconds'])

    def test_nova_defaults(self):
        # bandwidth 0 (unlimited) -> assumed_bandwidth; downtime 500 ms;
        # completion timeout 800 s/GiB x 2 GiB.
        self.assertEqual((1250, 500, 1600), self._limits())

    def test_nova_options(self):
        self.flags(live_migration_bandwidth=300, live_migration_downtime=200,
                   live_migration_completion_timeout=100, group='libvirt')
        self.assertEqual((300, 200, 800), self._limits(memory_mib=8192))

    def test_small_guest_counts_two_gib_as_nova(self):
        self.assertEqual(1600, self._limits(memory_mib=512)[2])

    def test_assumed_bandwidth(self):
        self.flags(assumed_bandwidth=125, group='dirtyring')
        self.assertEqual(125, self._limits()[0])

    def test_no_completion_timeout_uses_precheck_deadline(self):
        self.flags(live_migration_completion_timeout=0, group='libvirt')
        self.flags(precheck_deadline=300, group='dirtyring')
        self.assertEqual(300, self._limits()[2])

    def test_precheck_seconds(self):
        self.flags(precheck_seconds=7, group='dirtyring')
        self._limits()
        self.assertEqual(7, self.drvr._dr_context.measure_calls[-1][1])


class DecisionLifetimeTestCase(PrecheckTestBase):

    def _decided(self, uuid=None):
        instance = self._instance()
        if uuid:
            instance.uuid = uuid
        self.probe.set_measurement(instance.uuid, dr_fixtures.measurement(
            instance.uuid, dr_fixtures.DIRTY_RATE))
        self._check(instance)
        self.assertIsNotNone(self.drvr._dr_precheck_decision(instance.uuid))
        return instance

    def test_removed_after_live_migration(self):
        instance = self._decided()
        seen = []

        def parent(drvr, context, inst, *args, **kwargs):
            seen.append(self.drvr._dr_precheck_decision(inst.uuid))

        self.stub_out('nova.virt.libvirt.driver.LibvirtDriver.'
                      'live_migration', parent)
        self.drvr.live_migration(self.context, instance, 'dest', None, None)
        # Available while the migration runs, gone when it ended.
        self.assertIsNotNone(seen[0])
        self.assertIsNone(self.drvr._dr_precheck_decision(instance.uuid))

    def test_removed_when_live_migration_raises(self):
        instance = self._decided()
        self.stub_out('nova.virt.libvirt.driver.LibvirtDriver.'
                      'live_migration',
                      mock.Mock(side_effect=exception.InvalidHostname(
                          hostname='x')))
        self.assertRaises(exception.InvalidHostname, self.drvr.live_migration,
                          self.context, instance, 'dest', None, None)
        self.assertIsNone(self.drvr._dr_precheck_decision(instance.uuid))

    def test_removed_at_rollback(self):
        instance = self._decided()
        self.stub_out('nova.virt.libvirt.driver.LibvirtDriver.'
                      'rollback_live_migration_at_source',
                      lambda *a, **k: None)
        self.drvr.rollback_live_migration_at_source(
            self.context, instance, objects.LibvirtLiveMigrateData())
        self.assertIsNone(self.drvr._dr_precheck_decision(instance.uuid))

    def test_refused_check_drops_older_decision(self):
        instance = self._decided()
        self.flags(precheck_action='reject', group='dirtyring')
        self.assertRaises(exception.MigrationPreCheckError,
                          self._check, instance)
        self.assertIsNone(self.drvr._dr_precheck_decision(instance.uuid))

    def test_expires(self):
        instance = self._decided()
        with mock.patch('time.monotonic', return_value=10.0 ** 9):
            self.assertIsNone(
                self.drvr._dr_precheck_decision(instance.uuid))

    def test_old_entries_dropped_on_insert(self):
        first = self._decided()
        decision = self.drvr._dr_precheck_decisions[first.uuid]
        decision.decided_at -= driver.PRECHECK_DECISION_TTL + 1
        self._decided(uuid='7a9d4c8e-41f2-4f6b-9f0a-2b1c3d4e5f60')
        self.assertNotIn(first.uuid, self.drvr._dr_precheck_decisions)
        self.assertEqual(1, len(self.drvr._dr_precheck_decisions))


class PrecheckStartupTestCase(test_driver.DriverTestBase):

    def _start_error(self, **flags):
        self.flags(group='dirtyring', **flags)
        ex = self.assertRaises(driver.DirtyRingConfigError,
                               driver.LibvirtDriver, fake.FakeVirtAPI(), False)
        msg = str(ex)
        self.assertNotIn('\n', msg)
        return msg

    def test_bad_action(self):
        msg = self._start_error(precheck_action='refuse')
        self.assertIn('[dirtyring] precheck_action', msg)
        self.assertIn('refuse', msg)
        for value in ('off', 'warn', 'throttle', 'reject'):
            self.assertIn(value, msg)

    def test_bad_converge_strategy(self):
        msg = self._start_error(converge_strategy='pause')
        self.assertIn('[dirtyring] converge_strategy', msg)
        self.assertIn('pause', msg)
        for value in ('auto-converge', 'force-complete', 'dirty-limit-only',
                      'off'):
            self.assertIn(value, msg)

    def test_precheck_seconds_range(self):
        for value in (0, 11):
            msg = self._start_error(precheck_seconds=value)
            self.assertIn('[dirtyring] precheck_seconds = %d' % value, msg)
            self.assertIn('from 1 to 10', msg)

    def test_assumed_bandwidth_zero(self):
        msg = self._start_error(assumed_bandwidth=0)
        self.assertIn('[dirtyring] assumed_bandwidth = 0', msg)

    def test_precheck_deadline_zero(self):
        msg = self._start_error(precheck_deadline=0)
        self.assertIn('[dirtyring] precheck_deadline = 0', msg)

    def test_valid_values_start(self):
        self.flags(precheck_action='reject', precheck_seconds=10,
                   assumed_bandwidth=125, precheck_deadline=60,
                   group='dirtyring')
        self.assertIsInstance(driver.LibvirtDriver(fake.FakeVirtAPI(), False),
                              driver.LibvirtDriver)

    def test_warns_when_check_can_outlast_rpc_timeout(self):
        self.flags(precheck_seconds=10, libvirt_call_timeout=55,
                   group='dirtyring')
        with mock.patch.object(driver.LOG, 'warning') as warning:
            driver.LibvirtDriver(fake.FakeVirtAPI(), False)
        self.assertIn('rpc_response_timeout', str(warning.call_args))

    def test_no_rpc_warning_by_default(self):
        with mock.patch.object(driver.LOG, 'warning') as warning:
            driver.LibvirtDriver(fake.FakeVirtAPI(), False)
        self.assertNotIn('rpc_response_timeout', str(warning.call_args_list))
