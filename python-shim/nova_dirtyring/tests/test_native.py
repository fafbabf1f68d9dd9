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
import json
import shutil
import subprocess

import fixtures
from lxml import etree

from nova import test

from nova_dirtyring import native
from nova_dirtyring.tests import dr_fixtures


class LibraryTestBase(test.NoDBTestCase):
    """The real libdirtyring.so, loaded as the driver loads it."""

    def setUp(self):
        super().setUp()
        self.useFixture(dr_fixtures.NativeLibrary(self))
        self.lib = native.Library(dr_fixtures.library_path())


class LibraryTestCase(LibraryTestBase):

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


class PrecheckFunctionsTestCase(LibraryTestBase):
    """dr_migration_forecast, dr_precheck_decide: the real library."""

    def test_returned_strings_are_pointers(self):
        for name in ('dr_dirty_rate_measure', 'dr_migration_forecast',
                     'dr_precheck_decide'):
            self.assertIs(ctypes.c_void_p,
                          getattr(self.lib._lib, name).restype, name)

    def test_forecast(self):
        calm = self.lib.migration_forecast(2048, 1.0, 1250, 500, 1600)
        self.assertTrue(calm['converges'])
        dirty = self.lib.migration_forecast(2048, 5000.0, 1250, 500, 1600)
        self.assertFalse(dirty['converges'])

    def test_decide(self):
        uuid = 'a0a0a0a0-0000-4000-8000-000000000001'
        for rate, verdict in ((dr_fixtures.CALM_RATE, 'accept'),
                              (dr_fixtures.DIRTY_RATE, 'reject')):
            result = self.lib.precheck_decide(
                'reject', dr_fixtures.measurement(uuid, rate),
                dr_fixtures.NOVA_MIGRATION_DEFAULTS, 1250, 600)
            self.assertEqual(verdict, result['verdict'])
            self.assertTrue(result['reason'])
            self.assertNotIn('\n', result['reason'])

    def test_invalid_request_is_an_error(self):
        self.assertRaises(native.NativeError, self.lib.migration_forecast,
                          2048, 1.0, 0, 500, 1600)


class MeasureBindingTestCase(test.NoDBTestCase):
    """Context.measure: per-domain results and errors, through run_blocking.

    The measurement needs a running guest under a real libvirtd (see
    test_real_kvm); here the exported function is a stand-in returning the
    documented shape, to test the binding's handling of it.
    """

    def _context(self, document):
        calls = []
        buffers = []

        class Lib(object):
            def dr_dirty_rate_measure(self, handle, request):
                calls.append((handle, request))
                buf = ctypes.create_string_buffer(
                    json.dumps(document).encode('utf-8'))
                buffers.append(buf)
                return ctypes.addressof(buf)

            def dr_string_free(self, pointer):
                pass

        library = native.Library.__new__(native.Library)
        library._lib = Lib()
        return native.Context(library, 1234), calls

    def test_results_and_errors_in_order(self):
        context, calls = self._context({'ok': {'measurements': [
            {'ok': {'uuid': 'u1', 'megabytes_per_second': 3.0}},
            {'error': {'kind': 'no_domain', 'message': 'no domain u2'}}]}})
        first, second = context.measure(['u1', 'u2'], 2)
        self.assertEqual(3.0, first['megabytes_per_second'])
        self.assertIsInstance(second, native.NativeError)
        self.assertEqual('no_domain', second.kind)
        [(handle, request)] = calls
        self.assertEqual(1234, handle)
        self.assertEqual({'domains': ['u1', 'u2'], 'seconds': 2,
                          'mode': 'auto'}, json.loads(request))

    def test_whole_call_error_raises(self):
        context, _ = self._context(
            {'error': {'kind': 'timeout', 'message': 'libvirt timed out'}})
        ex = self.assertRaises(native.NativeError, context.measure, ['u1'], 1)
        self.assertEqual('timeout', ex.kind)

    def test_wrong_count_is_internal(self):
        context, _ = self._context({'ok': {'measurements': []}})
        ex = self.assertRaises(native.NativeError, context.measure, ['u1'], 1)
        self.assertEqual('internal', ex.kind)

    def test_closed_context(self):
        context, calls = self._context({'ok': {'measurements': []}})
        context._handle = None
        self.assertRaises(native.NativeError, context.measure, ['u1'], 1)
        self.assertEqual([], calls)


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
        source = tmp.join('abi1.c')
        with open(source, 'w') as f:
            f.write('unsigned dr_abi_version(void) { return 1; }\n')
            for name in native.REQUIRED_FUNCTIONS[1:]:
                f.write('void *%s(void) { return 0; }\n' % name)
        path = tmp.join('libabi1.so')
        subprocess.run([cc, '-shared', '-fPIC', '-o', path, source],
                       check=True)
        ex = self.assertRaises(native.LibraryError, native.Library, path)
        self.assertIn('ABI version 1', str(ex))
        self.assertIn(path, str(ex))

    def test_missing_function_named(self):
        cc = shutil.which('cc')
        self.assertIsNotNone(cc, 'no C compiler (scripts/test installs gcc)')
        tmp = self.useFixture(fixtures.TempDir())
        source = tmp.join('partial.c')
        with open(source, 'w') as f:
            f.write('unsigned dr_abi_version(void) { return 2; }\n')
            for name in native.REQUIRED_FUNCTIONS[1:]:
                if name not in ('dr_precheck_decide',
                                'dr_dirty_rate_measure'):
                    f.write('void *%s(void) { return 0; }\n' % name)
        path = tmp.join('libpartial.so')
        subprocess.run([cc, '-shared', '-fPIC', '-o', path, source],
                       check=True)
        ex = self.assertRaises(native.LibraryError, native.Library, path)
        msg = str(ex)
        self.assertIn('dr_dirty_rate_measure, dr_precheck_decide', msg)
        self.assertIn('[dirtyring] library_path', msg)
        self.assertIn(path, msg)
        self.assertNotIn('\n', msg)


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
