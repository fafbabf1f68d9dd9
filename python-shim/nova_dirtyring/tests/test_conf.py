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

"""Configuration: the committed sample and driver loading."""

import filecmp
import subprocess
import sys

import fixtures

from nova import test
from nova.tests import fixtures as nova_fixtures
from nova.virt import driver as virt_driver
from nova.virt import fake

from nova_dirtyring import conf
from nova_dirtyring import driver
from nova_dirtyring.tests import dr_fixtures

GENERATOR_CONF = (dr_fixtures.REPO_ROOT / 'etc' /
                  'dirtyring-config-generator.conf')
SAMPLE = (dr_fixtures.REPO_ROOT / 'etc' / 'nova' / 'nova.conf.d' /
          'dirtyring.conf.sample')


class SampleConfigTestCase(test.NoDBTestCase):

    def test_sample_is_up_to_date(self):
        output = self.useFixture(
            fixtures.TempDir()).join('dirtyring.conf.sample')
        # Runs oslo-config-generator exactly as a developer would, from the
        # repository root, so the namespace comes from the installed
        # oslo.config.opts entry point.
        subprocess.run(
            [sys.executable, '-m', 'oslo_config.generator',
             '--config-file', str(GENERATOR_CONF), '--output-file', output],
            check=True, cwd=str(dr_fixtures.REPO_ROOT),
            capture_output=True)
        self.assertTrue(
            filecmp.cmp(output, str(SAMPLE), shallow=False),
            '%s is out of date: run `oslo-config-generator --config-file '
            'etc/dirtyring-config-generator.conf` at the repository root'
            % SAMPLE)

    def test_list_opts_has_every_option(self):
        [(group, opts)] = conf.list_opts()
        self.assertEqual('dirtyring', group.name)
        self.assertEqual(
            ['library_path', 'ring_mode', 'ring_size', 'canary_kernel',
             'allow_unqualified_ring_migration',
             'libvirt_call_timeout', 'state_dir', 'precheck_action',
             'precheck_seconds',
             'precheck_fail_closed', 'assumed_bandwidth',
             'precheck_deadline', 'converge_strategy',
             'notification_spool_dir',
             'notification_spool_max_mb'], [o.name for o in opts])
        for opt in opts:
            self.assertTrue(opt.help.strip(), opt.name)
        defaults = {o.name: o.default for o in opts}
        self.assertEqual(conf.DEFAULT_LIBRARY_PATH, defaults['library_path'])
        self.assertEqual('auto', defaults['ring_mode'])
        self.assertEqual(4096, defaults['ring_size'])
        self.assertEqual('/var/lib/libvirt/boot/dirtyring-canary.elf',
                         defaults['canary_kernel'])
        self.assertIs(False, defaults['allow_unqualified_ring_migration'])
        self.assertEqual(10, defaults['libvirt_call_timeout'])
        self.assertEqual('/var/lib/nova-dirtyring', defaults['state_dir'])
        self.assertEqual('warn', defaults['precheck_action'])
        self.assertEqual(1, defaults['precheck_seconds'])
        self.assertFalse(defaults['precheck_fail_closed'])
        self.assertEqual(1250, defaults['assumed_bandwidth'])
        self.assertEqual(600, defaults['precheck_deadline'])
        self.assertEqual('auto-converge', defaults['converge_strategy'])
        self.assertIsNone(defaults['notification_spool_dir'])
        self.assertEqual(16, defaults['notification_spool_max_mb'])
        for name, (low, high) in conf.PRECHECK_LIMITS.items():
            self.assertTrue(low <= defaults[name] <= high, name)


class LoadDriverTestCase(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(nova_fixtures.LibvirtFixture())
        self.useFixture(dr_fixtures.NativeLibrary(self))

    def test_load_compute_driver(self):
        self.flags(compute_driver='dirtyring.LibvirtDriver')
        drvr = virt_driver.load_compute_driver(fake.FakeVirtAPI())
        self.assertIs(driver.LibvirtDriver, type(drvr))

    def test_nova_virt_dirtyring_exposes_the_driver(self):
        import nova.virt.dirtyring
        self.assertIs(driver.LibvirtDriver,
                      nova.virt.dirtyring.LibvirtDriver)
