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

"""The driver's convergence control against real guests on the real libvirtd.

The guest is the test guest of scripts/guest with the instance's UUID, so
that the library finds the instance's domain as it does under nova-compute.
The driver runs under nova's LibvirtFixture (for Nova's side), the library
on the real libvirtd (qemu:///system), as in test_real_kvm.
"""

import json
import os
import subprocess
import tempfile
import time

from unittest import mock

import fixtures

from nova.virt.libvirt import driver as libvirt_driver
from nova.virt.libvirt import guest as libvirt_guest

from nova_dirtyring import convergence
from nova_dirtyring import driver
from nova_dirtyring.tests import dr_fixtures
from nova_dirtyring.tests import test_driver
from nova_dirtyring.tests import test_real_kvm

# LIVE | PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE
NOVA_FLAGS = 1 | 2 | 8 | 16


def virsh(*args):
    result = subprocess.run(
        ['virsh', '-c', 'qemu:///system', *args], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(
            'virsh %s failed: %s' % (' '.join(args), result.stdout))
    return result.stdout


def qmp(name, command):
    return json.loads(virsh('qemu-monitor-command', name, json.dumps(command)))


class MigrateToURI3Recorder(object):
    """A libvirt domain that records the migrateToURI3 call Nova makes."""

    def __init__(self):
        self.calls = []

    def migrateToURI3(self, dconnuri, params, flags=0):
        self.calls.append((dconnuri, dict(params), flags))


class ConvergenceRealGuestTest(test_driver.DriverTestBase):

    HOST = None  # the real probe: real /dev/kvm, real libvirtd

    def setUp(self):
        super().setUp()
        self.name = 'dr-conv-%d' % os.getpid()
        test_real_kvm.guest('destroy', self.name)
        self.state_dir = self.useFixture(fixtures.TempDir()).path
        self.flags(state_dir=self.state_dir, group='dirtyring')
        # Not qualified (as on the kvm_pvm hosts this ran on): the plan falls
        # back to the strategy and init_host runs no qualification.
        self.useFixture(dr_fixtures.RecordedQualification(
            self.state_dir, 'failed'))
        self.log = self.useFixture(fixtures.FakeLogger(level='INFO'))

    def _boot_instance(self, instance, ring=None):
        """Boot the test guest as the instance's domain (its UUID)."""
        args = ['xml', self.name, '--mb', '64', '--rate', '10']
        if ring:
            args += ['--ring', str(ring)]
        xml = '\n'.join(test_real_kvm.guest(*args))
        xml = xml.replace('<name>', '<uuid>%s</uuid><name>' % instance.uuid, 1)
        with tempfile.NamedTemporaryFile('w', suffix='.xml',
                                         delete=False) as f:
            f.write(xml)
        self.addCleanup(os.unlink, f.name)
        self.addCleanup(test_real_kvm.guest, 'destroy', self.name)
        virsh('create', f.name)
        test_real_kvm.guest('wait-up', self.name)

    def _keep_decision(self, drvr, instance, rate, bandwidth):
        drvr._dr_keep_decision(driver.PrecheckDecision(
            instance.uuid, 'warn', 'host', 'accept', {}, 'r',
            {'megabytes_per_second': rate},
            {'bandwidth_megabytes_per_second': bandwidth}, time.monotonic()))

    def test_auto_converge_added_to_novas_migration(self):
        self.flags(converge_strategy='auto-converge', group='dirtyring')
        drvr = self._driver()
        instance = self._instance()
        self._boot_instance(instance)
        self._keep_decision(drvr, instance, 100.0, 40.0)
        run = drvr._dr_start_convergence(instance)
        self.assertIsNotNone(run)
        self.addCleanup(run.finish, 'failed')
        # No ring: the fallback, sized from the pre-flight reading.
        self.assertEqual('auto-converge', run.plan['method'])
        self.assertIn('the guest has no dirty ring', run.plan['reason'])
        self.assertEqual({'initial_percent': 80, 'increment_percent': 19},
                         run.plan['auto_converge'])
        # Nothing may follow auto-converge without effect: pausing was not
        # chosen.
        self.assertEqual('none', run.plan['fallback'])
        self.assertIn('pause', run.plan['fallback_reason'])

        # Nova's own Guest.migrate, through the guest the driver hands it.
        recorder = MigrateToURI3Recorder()
        guest = convergence.guest_with_additions(
            libvirt_guest.Guest(recorder), run)
        guest.migrate('qemu+tcp://dst/system', migrate_uri='tcp://dst',
                      flags=NOVA_FLAGS, destination_xml='<domain/>',
                      bandwidth=40)
        [(uri, params, flags)] = recorder.calls
        self.assertEqual('qemu+tcp://dst/system', uri)
        self.assertEqual(NOVA_FLAGS | convergence.VIR_MIGRATE_AUTO_CONVERGE,
                         flags)
        self.assertEqual(80, params['auto_converge.initial'])
        self.assertEqual(19, params['auto_converge.increment'])
        self.assertEqual(40, params['bandwidth'])
        # Post-copy (Nova's force-complete switches to it): nothing added.
        post_copy = NOVA_FLAGS | convergence.VIR_MIGRATE_POSTCOPY
        self.assertEqual((post_copy, {}),
                         run.migration_additions(post_copy, {}))

        report = run.finish('completed')
        self.assertEqual('none', report['method'])
        self.assertTrue(report['removed'])
        self.assertEqual([], report['commands'])
        self.assertIs(report, run.finish('failed'))
        self.assertRaises(ValueError, run.finish, 'maybe')
        self.assertIn('convergence plan: auto-converge', self.log.output)

    def test_every_end_lifts_before_nova_goes_on(self):
        """Each end stops the watch first, with its result.

        completed, aborted, failed: the watch stops before Nova's
        post_method or recover_method runs.

        Nova's _live_migration is replaced by what its monitor does at the
        end of a job (it calls post_method after a completed job and
        recover_method, with migration_status='cancelled' after an abort);
        the watch is the library's, on the instance's real guest.
        """
        self.flags(converge_strategy='force-complete', group='dirtyring')
        drvr = self._driver()
        instance = self._instance()
        self._boot_instance(instance)
        runs = []
        start = drvr._dr_start_convergence

        def start_and_keep(inst):
            runs.append(start(inst))
            return runs[-1]
        drvr._dr_start_convergence = start_and_keep

        for end, kwargs, result in (
                ('post', {}, 'completed'),
                ('recover', {'migration_status': 'cancelled'}, 'aborted'),
                ('recover', {'migration_status': 'error'}, 'failed')):
            seen = []

            def nova_callback(*args, **kw):
                seen.append(runs[-1]._report)  # None unless finished

            def novas_monitor(self_, context, inst, dest, post_method,
                              recover_method, block_migration, data):
                self.assertIs(runs[-1], drvr._dr_convergence_runs[inst.uuid])
                method = post_method if end == 'post' else recover_method
                method(context, inst, dest, data, **kwargs)

            with mock.patch.object(libvirt_driver.LibvirtDriver,
                                   '_live_migration', novas_monitor):
                drvr._live_migration(self.context, instance, 'dst',
                                     nova_callback, nova_callback, False,
                                     None)
            self.assertEqual(1, len(seen))
            self.assertIsNotNone(seen[0], 'Nova went on before the stop')
            self.assertEqual(result, seen[0]['result'])
            self.assertTrue(seen[0]['removed'])
            self.assertNotIn(instance.uuid, drvr._dr_convergence_runs)
        self.assertEqual(3, len(runs))

    def test_off_and_unknown_domain_leave_nova_alone(self):
        self.flags(converge_strategy='off', group='dirtyring')
        drvr = self._driver()
        instance = self._instance()
        self.assertIsNone(drvr._dr_start_convergence(instance))
        self.flags(converge_strategy='force-complete', group='dirtyring')
        # No domain with that UUID here: a WARNING, and Nova migrates alone.
        self.assertIsNone(drvr._dr_start_convergence(instance))
        self.assertIn('Live migration runs without convergence control',
                      self.log.output)
        self.assertIn(instance.uuid, self.log.output)

    def test_init_host_lifts_a_dirty_limit_left_by_a_crash(self):
        instance = self._instance()
        self._boot_instance(instance, ring=4096)
        # What a nova-compute that crashed mid-migration left: the record
        # and the limit. (The limit livelocks vCPU 0 on this host, BRIEF 5:
        # the monitor keeps answering.)
        os.makedirs(os.path.join(self.state_dir, 'throttles'))
        with open(os.path.join(self.state_dir, 'throttles',
                               instance.uuid + '.json'), 'w') as f:
            json.dump({'instance': {'uuid': instance.uuid,
                                    'tenant_id': instance.project_id,
                                    'user_id': instance.user_id},
                       'method': 'dirty-limit',
                       'dirty_limit_megabytes_per_second': 10,
                       'applied_at': '2026-11-28T10:00:00Z'}, f)
        qmp(self.name, {'execute': 'set-vcpu-dirty-limit',
                        'arguments': {'dirty-rate': 10}})
        self.assertEqual([10], [v['limit-rate'] for v in qmp(
            self.name, {'execute': 'query-vcpu-dirty-limit'})['return']])

        self._driver()  # init_host

        self.assertEqual([], qmp(
            self.name, {'execute': 'query-vcpu-dirty-limit'})['return'])
        self.assertEqual([], os.listdir(os.path.join(self.state_dir,
                                                     'throttles')))
        self.assertIn('Throttle left by an earlier run on instance %s: '
                      'lifted' % instance.uuid, self.log.output)
