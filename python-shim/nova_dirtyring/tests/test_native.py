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

"""The ctypes binding against the real libdirtyring.so."""

import ctypes
import shutil
import subprocess

import fixtures
from lxml import etree

from nova import test

from nova_dirtyring import native
from nova_dirtyring.tests import dr_fixtures


class LibraryTestCase(test.NoDBTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(dr_fixtures.NativeLibrary(self))
        self.lib = native.Library(dr_fixtures.library_path())

    def test_abi_version(self):
        self.assertEqual(native.ABI_VERSION, self.lib._lib.dr_abi_version())

    def test_returned_strings_are_pointers(self):
        # c_char_p would lose the pointer and leak every result.
        for name in ('dr_config_check', 'dr_ring_decide',
                     'dr_destination_check', 'dr_kvm_element',
                     'dr_host_probe'):
            self.assertIs(ctypes.c_void_p,
                          getattr(self.lib._lib, name).restype, name)

    def test_config_check_ok(self):
        result = self.lib.config_check(
            {'ring_mode': 'auto', 'ring_size': 4096})
        self.assertEqual({'ring_mode': 'auto', 'ring_size': 4096},
                         result['config'])

    def test_invalid_config_is_typed(self):
        ex = self.assertRaises(
            native.InvalidConfig, self.lib.config_check,
            {'ring_mode': 'auto', 'ring_size': 3000})
        self.assertEqual('invalid_config', ex.kind)
        self.assertEqual('[dirtyring] ring_size', ex.option)
        self.assertEqual('3000', ex.value)
        self.assertIn('3000', ex.one_line())

    def test_unsupported_is_typed(self):
        ex = self.assertRaises(
            native.Unsupported, self.lib.ring_decide,
            {'ring_mode': 'auto', 'ring_size': 4096},
            dr_fixtures.HOST_UNUSABLE, {'dirtyring:ring': 'on'}, {})
        self.assertEqual('unsupported', ex.kind)
        self.assertTrue(ex.message)

    def test_offers_ring(self):
        config = {'ring_mode': 'auto', 'ring_size': 4096}
        self.assertTrue(self.lib.config_check(
            config, dr_fixtures.HOST_USABLE)['offers_ring'])
        self.assertFalse(self.lib.config_check(
            config, dr_fixtures.HOST_UNUSABLE)['offers_ring'])

    def test_kvm_element_keeps_children(self):
        xml = self.lib.kvm_element("<kvm><hidden state='on'/></kvm>", 8192)
        kvm = etree.fromstring(xml)
        self.assertEqual('kvm', kvm.tag)
        self.assertEqual('on', kvm.find('hidden').get('state'))
        ring = kvm.findall('dirty-ring')
        self.assertEqual(1, len(ring))
        self.assertEqual('8192', ring[0].get('size'))
        self.assertEqual('on', ring[0].get('state'))

    def test_kvm_element_without_nova_kvm(self):
        kvm = etree.fromstring(self.lib.kvm_element(None, 1024))
        self.assertEqual(['dirty-ring'], [c.tag for c in kvm])
        self.assertEqual('1024', kvm[0].get('size'))


class LoadErrorTestCase(test.NoDBTestCase):

    def test_missing_library_names_option_and_path(self):
        path = '/nonexistent/dir/libdirtyring.so'
        ex = self.assertRaises(native.LibraryError, native.Library, path)
        self.assertIn('[dirtyring] library_path', str(ex))
        self.assertIn(path, str(ex))
        self.assertNotIn('\n', str(ex))

    def test_not_a_dirtyring_library(self):
        # libc is loadable but exports none of the dr_ functions.
        ex = self.assertRaises(native.LibraryError, native.Library,
                               'libc.so.6')
        self.assertIn('[dirtyring] library_path', str(ex))
        self.assertIn('dr_', str(ex))

    def test_other_abi_version_refused(self):
        cc = shutil.which('cc')
        self.assertIsNotNone(cc, 'no C compiler (scripts/test installs gcc)')
        tmp = self.useFixture(fixtures.TempDir())
        source = tmp.join('abi2.c')
        with open(source, 'w') as f:
            f.write('unsigned dr_abi_version(void) { return 2; }\n')
            for name in ('dr_context_open', 'dr_context_close',
                         'dr_host_probe', 'dr_config_check',
                         'dr_ring_decide', 'dr_destination_check',
                         'dr_kvm_element', 'dr_string_free'):
                f.write('void *%s(void) { return 0; }\n' % name)
        path = tmp.join('libabi2.so')
        subprocess.run([cc, '-shared', '-fPIC', '-o', path, source],
                       check=True)
        ex = self.assertRaises(native.LibraryError, native.Library, path)
        self.assertIn('ABI version 2', str(ex))
        self.assertIn(path, str(ex))


class ConnectionPointerTestCase(test.NoDBTestCase):

    def _capsule(self, address, name):
        new = ctypes.PYFUNCTYPE(ctypes.py_object, ctypes.c_void_p,
                                ctypes.c_char_p, ctypes.c_void_p)(
            ('PyCapsule_New', ctypes.pythonapi))
        self.name = ctypes.c_char_p(name)  # must outlive the capsule
        return new(address, self.name, None)

    def test_real_connection_capsule(self):
        class Conn(object):
            pass
        conn = Conn()
        conn._o = self._capsule(0x1234, b'virConnectPtr')
        self.assertEqual(0x1234, native.libvirt_connection_pointer(conn))

    def test_tpool_proxy_is_unwrapped(self):
        class Conn(object):
            pass

        class Proxy(object):
            pass
        conn = Conn()
        conn._o = self._capsule(0x5678, b'virConnectPtr')
        proxy = Proxy()
        proxy._obj = conn
        self.assertEqual(0x5678, native.libvirt_connection_pointer(proxy))

    def test_not_libvirt(self):
        class Conn(object):
            _o = 'not a capsule'
        self.assertIsNone(native.libvirt_connection_pointer(Conn()))
        self.assertIsNone(native.libvirt_connection_pointer(object()))
        self.assertIsNone(native.libvirt_connection_pointer(None))

    def test_python_libvirt_connection(self):
        # A real python-libvirt connection to libvirt's built-in test driver
        # (no libvirtd needed); scripts/test installs python-libvirt.
        import libvirt
        conn = libvirt.open('test:///default')
        self.addCleanup(conn.close)
        pointer = native.libvirt_connection_pointer(conn)
        self.assertIsInstance(pointer, int)
        self.assertNotEqual(0, pointer)

    def test_wrong_capsule_name(self):
        class Conn(object):
            pass
        conn = Conn()
        conn._o = self._capsule(0x1234, b'virDomainPtr')
        self.assertIsNone(native.libvirt_connection_pointer(conn))
