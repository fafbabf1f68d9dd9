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

"""The driver qualifies this host's dirty ring for real at start.

The real library, /dev/kvm and libvirtd (qemu:///system): init_host finds
no verdict, qualifies in the background (canary guests under libvirt, live
migrations between two QEMU processes), and the ring is offered exactly
when the verdict is "passed". Whichever verdict this host earns, the test
checks that the driver acts on it; it never assumes the kind of host.
"""

import json
import os
import subprocess

import fixtures

from nova_dirtyring import driver
from nova_dirtyring.tests import dr_fixtures
from nova_dirtyring.tests import test_driver
from nova_dirtyring.tests import test_real_kvm

# The qualification's own steps are bounded (dirtyring.h: about 10 min).
QUALIFY_TIMEOUT = 900


class RealQualificationTest(test_driver.DriverTestBase):

    HOST = None  # the real probe: real /dev/kvm, real libvirtd

    def setUp(self):
        super().setUp()
        self.state_dir = self.useFixture(fixtures.TempDir()).path
        self.flags(state_dir=self.state_dir, group='dirtyring')
        # scripts/guest kernel installs the canary where the option's
        # default points.
        test_real_kvm.guest('kernel')
        self.log = self.useFixture(fixtures.FakeLogger(level='INFO'))

    def test_driver_qualifies_and_offers_the_ring_only_if_it_passed(self):
        drvr = self._driver()
        # Until it passes, guests boot without the ring.
        thread = drvr._dr_qualification_thread
        self.assertIsNotNone(thread, self.log.output)
        self.assertIsNone(self._ring(self._guest_config(
            drvr, self._instance())))
        thread.join(QUALIFY_TIMEOUT)
        self.assertFalse(thread.is_alive(), 'qualification still running')

        with open(os.path.join(self.state_dir,
                               'ring-qualification.json')) as f:
            recorded = json.load(f)
        self.assertEqual(1, len(recorded))
        verdict = recorded[0]
        print('ring qualification on this host: %s: %s'
              % (verdict['state'], verdict['evidence']))
        self.assertEqual(4096, verdict['key']['ring_size'])
        self.assertEqual(['counting', 'migration_integrity', 'liveness'],
                         [c['name'] for c in verdict['checks']])
        passed = verdict['state'] == 'passed'
        self.assertEqual(passed, all(c['state'] == 'passed'
                                     for c in verdict['checks']))
        self.assertIs(passed, drvr._dr_offers_ring)
        self.assertIs(passed, drvr.static_traits[driver.TRAIT])
        ring = self._ring(self._guest_config(drvr, self._instance()))
        self.assertEqual('4096' if passed else None,
                         None if ring is None else ring.get('size'))
        self.assertIn('qualification=%s' % verdict['state'],
                      self.log.output)
        if not passed:
            # The reason is logged, with the evidence.
            self.assertIn(verdict['evidence'], self.log.output)

        # The operator's view agrees: dirtyring probe --json.
        cli = os.environ.get('DIRTYRING_CLI') or str(
            dr_fixtures.REPO_ROOT / '.build' / 'debug' / 'dirtyring-cli')
        probe = json.loads(subprocess.run(
            [cli, 'probe', '--json', '--state-dir', self.state_dir],
            check=True, capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL).stdout)
        self.assertIs(passed, probe['dirty_ring']['offered'])
        self.assertEqual(verdict['state'],
                         probe['dirty_ring']['qualification']['state'])

        # A restart with the same kernel, CPU, libvirt and QEMU does not
        # qualify again.
        again = self._driver()
        self.assertIsNone(again._dr_qualification_thread)
        self.assertIs(passed, again._dr_offers_ring)
