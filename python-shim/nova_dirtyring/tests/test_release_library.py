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

"""The release libdirtyring.so loads on a host without a Swift toolchain.

The toolchain is hidden from the loader by mounting an empty tmpfs over
/opt/swift in a private mount namespace (unshare, as root). The debug build,
which links the Swift runtime dynamically, must fail there: that proves the
toolchain really was out of reach.
"""

import os
import subprocess
import sys

import testtools

from nova_dirtyring import native
from nova_dirtyring.tests import dr_fixtures

SWIFT_ROOT = '/opt/swift'
PROBE = r'''
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
lib.dr_config_check.restype = ctypes.c_void_p
lib.dr_config_check.argtypes = [ctypes.c_char_p]
lib.dr_string_free.argtypes = [ctypes.c_void_p]
raw = lib.dr_config_check(b'{"config": {"ring_size": 3000}}')
text = ctypes.string_at(raw).decode()
lib.dr_string_free(raw)
print(lib.dr_abi_version(), json.loads(text)["error"]["option"])
'''


def release_library():
    return os.environ.get('DIRTYRING_RELEASE_LIBRARY') or str(
        dr_fixtures.REPO_ROOT / '.build' / 'release' / 'libdirtyring.so')


class WithoutToolchainTestCase(testtools.TestCase):

    def _load_without_toolchain(self, library):
        if not os.path.exists(library):
            self.fail('%s not built: scripts/test builds it with '
                      '`swift build -c release -Xswiftc -static-stdlib`'
                      % library)
        script = ('mount -t tmpfs dirtyring-hidden %s && '
                  'test ! -e %s/usr/lib/swift && exec "$0" -c "$1" "$2"'
                  % (SWIFT_ROOT, SWIFT_ROOT))
        return subprocess.run(
            ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
             script, sys.executable, PROBE, library],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=60, env={'PATH': '/usr/bin:/bin:/usr/sbin:/sbin'})

    def test_release_library_needs_no_swift_runtime(self):
        result = self._load_without_toolchain(release_library())
        self.assertEqual(0, result.returncode, result.stdout)
        self.assertEqual('%d [dirtyring] ring_size' % native.ABI_VERSION,
                         result.stdout.strip())

    def test_debug_library_does_need_it(self):
        result = self._load_without_toolchain(dr_fixtures.library_path())
        self.assertNotEqual(0, result.returncode, result.stdout)
        self.assertIn('libswift', result.stdout)
