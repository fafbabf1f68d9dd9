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

"""LibvirtDriver under nova 34's LibvirtFixture (fakelibvirt)."""

from unittest import mock

from lxml import etree
import os_vif

from nova import context as nova_context
from nova import exception
from nova import objects
from nova import test
from nova.tests import fixtures as nova_fixtures
from nova.tests.fixtures import libvirt as fakelibvirt
from nova.tests.unit.objects import test_vcpu_model
from nova.tests.unit.virt.libvirt import test_driver as nova_test_driver
from nova.virt import fake
from nova.virt.libvirt import blockinfo
from nova.virt.libvirt import config as vconfig
from nova.virt.libvirt import driver as nova_libvirt_driver

from nova_dirtyring import driver
from nova_dirtyring.tests import dr_fixtures


class DriverTestBase(test.NoDBTestCase):
    """Our driver under LibvirtFixture with the real native library.

    HOST is the host document the probe double returns; None runs the real
    probe (real /dev/kvm and the real libvirtd at qemu:///system).
    """

    REQUIRES_LOCKING = True
    HOST = dr_fixtures.HOST_USABLE

    def setUp(self):
        super().setUp()
        self.context = nova_context.get_admin_context()
        temp_dir = self.useFixture(nova_fixtures.fixtures.TempDir()).path
        self.flags(instances_path=temp_dir)
        self.flags(virt_type='kvm', group='libvirt')
        os_vif.initialize()
        self.libvirt = self.useFixture(nova_fixtures.LibvirtFixture())
        self.useFixture(nova_fixtures.CGroupsFixture())
        self.stub_out(
            'nova.objects.InstanceList.get_by_host',
            lambda *a, **k: objects.InstanceList(objects=[]))
        self.library = self.useFixture(dr_fixtures.NativeLibrary(self))
        if self.HOST is not None:
            self.probe = self.useFixture(
                dr_fixtures.HostProbeDouble(self.HOST))

    def _driver(self, host=None):
        if host is not None:
            self.probe.set_host(host)
        drvr = driver.LibvirtDriver(fake.FakeVirtAPI(), False)
        drvr.init_host('compute1')
        return drvr

    def _instance(self, extra_specs=None, image_props=None):
        sysmeta = {'image_base_image_ref': 'b7e9a4a7-6b8c-4e0e-9b7c-1f1e2f',
                   'image_disk_format': 'raw'}
        for key, value in (image_props or {}).items():
            sysmeta['image_' + key] = value
        instance = objects.Instance(
            **nova_test_driver._create_test_instance(system_metadata=sysmeta))
        instance.flavor.extra_specs = dict(extra_specs or {})
        return instance

    def _guest_config(self, drvr, instance, image_props=None):
        image_meta = objects.ImageMeta.from_dict(
            {'disk_format': 'raw', 'properties': image_props or {}})
        disk_info = blockinfo.get_disk_info(
            'kvm', instance, image_meta)
        return drvr._get_guest_config(instance, [], image_meta, disk_info)

    @staticmethod
    def _kvm_elements(cfg):
        return [f.format_dom() for f in cfg.features
                if f.format_dom().tag == 'kvm']

    def _ring(self, cfg):
        kvm = self._kvm_elements(cfg)
        self.assertLessEqual(len(kvm), 1)
        if not kvm:
            return None
        rings = kvm[0].findall('dirty-ring')
        self.assertLessEqual(len(rings), 1)
        return rings[0] if rings else None


class GuestConfigTestCase(DriverTestBase):

    def test_spawn_xml_one_kvm_with_hidden_and_ring(self):
        drvr = self._driver()
        instance = self._instance(extra_specs={'hide_hypervisor_id': 'true'})
        image_meta = objects.ImageMeta.from_dict(
            {'disk_format': 'raw',
             'properties': {'img_hide_hypervisor_id': 'true'}})
        disk_info = blockinfo.get_disk_info('kvm', instance, image_meta)
        xml = drvr._get_guest_xml(
            self.context, instance, [], disk_info, image_meta)
        doc = etree.fromstring(xml)
        kvm = doc.findall('./features/kvm')
        self.assertEqual(1, len(kvm), xml)
        hidden = kvm[0].findall('hidden')
        self.assertEqual(1, len(hidden))
        self.assertEqual('on', hidden[0].get('state'))
        ring = kvm[0].findall('dirty-ring')
        self.assertEqual(1, len(ring))
        self.assertEqual('on', ring[0].get('state'))
        self.assertEqual('4096', ring[0].get('size'))
        # The other features nova set are still there.
        self.assertIsNotNone(doc.find('./features/acpi'))
        self.assertEqual('4096',
                         instance.system_metadata['dirtyring_ring_size'])

    def test_ring_without_hidden(self):
        drvr = self._driver()
        instance = self._instance()
        cfg = self._guest_config(drvr, instance)
        self.assertFalse(any(
            isinstance(f, vconfig.LibvirtConfigGuestFeatureKvmHidden)
            for f in cfg.features))
        kvm = self._kvm_elements(cfg)
        self.assertEqual(1, len(kvm))
        self.assertEqual([], kvm[0].findall('hidden'))
        self.assertEqual('4096', self._ring(cfg).get('size'))

    def test_flavor_opt_out(self):
        drvr = self._driver()
        instance = self._instance(extra_specs={'dirtyring:ring': 'off',
                                               'hide_hypervisor_id': 'true'})
        cfg = self._guest_config(drvr, instance)
        self.assertIsNone(self._ring(cfg))
        # nova's own <kvm><hidden/></kvm> is left alone.
        self.assertTrue(any(
            isinstance(f, vconfig.LibvirtConfigGuestFeatureKvmHidden)
            for f in cfg.features))
        self.assertEqual('0', instance.system_metadata['dirtyring_ring_size'])

    def test_image_opt_out(self):
        drvr = self._driver()
        instance = self._instance(image_props={'dirtyring_ring': 'off'})
        cfg = self._guest_config(drvr, instance)
        self.assertIsNone(self._ring(cfg))
        self.assertEqual('0', instance.system_metadata['dirtyring_ring_size'])

    def test_flavor_over_image(self):
        drvr = self._driver()
        instance = self._instance(extra_specs={'dirtyring:ring': 'on'},
                                  image_props={'dirtyring_ring': 'off'})
        cfg = self._guest_config(drvr, instance)
        self.assertEqual('4096', self._ring(cfg).get('size'))

    def test_flavor_ring_size(self):
        drvr = self._driver()
        instance = self._instance(
            extra_specs={'dirtyring:ring_size': '16384'},
            image_props={'dirtyring_ring_size': '2048'})
        cfg = self._guest_config(drvr, instance)
        self.assertEqual('16384', self._ring(cfg).get('size'))
        self.assertEqual('16384',
                         instance.system_metadata['dirtyring_ring_size'])

    def test_image_ring_size(self):
        drvr = self._driver()
        instance = self._instance(image_props={'dirtyring_ring_size': '2048'})
        cfg = self._guest_config(drvr, instance)
        self.assertEqual('2048', self._ring(cfg).get('size'))

    def test_ring_mode_off_host(self):
        self.flags(ring_mode='off', group='dirtyring')
        drvr = self._driver()
        instance = self._instance(extra_specs={'hide_hypervisor_id': 'true'})
        cfg = self._guest_config(drvr, instance)
        self.assertIsNone(self._ring(cfg))
        self.assertEqual(1, len(self._kvm_elements(cfg)))
        self.assertEqual('0', instance.system_metadata['dirtyring_ring_size'])

    def test_ring_mode_off_host_flavor_requires_ring_fails_boot(self):
        self.flags(ring_mode='off', group='dirtyring')
        drvr = self._driver()
        instance = self._instance(extra_specs={'dirtyring:ring': 'on'})
        self.assertRaises(driver.DirtyRingUnsupported,
                          self._guest_config, drvr, instance)

    def test_ring_mode_on_host_flavor_opt_out(self):
        self.flags(ring_mode='on', group='dirtyring')
        drvr = self._driver()
        instance = self._instance(extra_specs={'dirtyring:ring': 'off'})
        cfg = self._guest_config(drvr, instance)
        self.assertIsNone(self._ring(cfg))

    def test_invalid_flavor_value_aborts_build(self):
        # A flavor created before the validators were installed: the build
        # is aborted (InvalidInput), not rescheduled, since no host can boot
        # it.
        drvr = self._driver()
        instance = self._instance(
            extra_specs={'dirtyring:ring_size': '3000'})
        ex = self.assertRaises(exception.InvalidInput,
                               self._guest_config, drvr, instance)
        self.assertIn('3000', str(ex))

    def test_auto_on_unusable_host_boots_without_ring(self):
        drvr = self._driver(dr_fixtures.HOST_UNUSABLE)
        instance = self._instance()
        cfg = self._guest_config(drvr, instance)
        self.assertIsNone(self._ring(cfg))
        self.assertEqual('0', instance.system_metadata['dirtyring_ring_size'])

    def test_explicit_on_unsupported_host_fails_boot(self):
        drvr = self._driver(dr_fixtures.HOST_UNUSABLE)
        instance = self._instance(extra_specs={'dirtyring:ring': 'on'})
        ex = self.assertRaises(driver.DirtyRingUnsupported,
                               self._guest_config, drvr, instance)
        self.assertIn('dirty ring', str(ex))
        self.assertNotIn('\n', str(ex))
        self.assertNotIn('dirtyring_ring_size', instance.system_metadata)

    def test_flavor_size_over_host_max_fails_boot(self):
        self.flags(ring_size=1024, group='dirtyring')
        drvr = self._driver(dr_fixtures.HOST_SMALL)
        instance = self._instance(extra_specs={'dirtyring:ring': 'on',
                                               'dirtyring:ring_size': '8192'})
        ex = self.assertRaises(driver.DirtyRingUnsupported,
                               self._guest_config, drvr, instance)
        self.assertIn('8192', str(ex))

    def test_not_kvm_virt_type_no_ring(self):
        drvr = self._driver()
        self.flags(virt_type='qemu', group='libvirt')
        instance = self._instance()
        image_meta = objects.ImageMeta.from_dict({'disk_format': 'raw'})
        disk_info = blockinfo.get_disk_info('qemu', instance, image_meta)
        cfg = drvr._get_guest_config(instance, [], image_meta, disk_info)
        self.assertIsNone(self._ring(cfg))
        self.assertEqual('0', instance.system_metadata['dirtyring_ring_size'])


class HostTestCase(DriverTestBase):

    def test_init_host_probes_once_on_novas_connection(self):
        drvr = self._driver()
        self.assertEqual(1, len(self.probe.contexts))
        config, pointer, context = self.probe.contexts[0]
        self.assertEqual(1, context.probes)
        self.assertEqual(1, context.leftover_checks)
        self.assertEqual(10, config['timeout_seconds'])
        # fakelibvirt has no virConnectPtr: the library opens its own.
        self.assertIsNone(pointer)
        self._guest_config(drvr, self._instance())
        self.assertEqual(1, context.probes)

    def test_context_uses_configured_state_dir(self):
        self.flags(state_dir='/srv/dirtyring-state', libvirt_call_timeout=4,
                   group='dirtyring')
        self._driver()
        config, _, _ = self.probe.contexts[0]
        self.assertEqual('/srv/dirtyring-state', config['state_dir'])
        self.assertEqual(4, config['timeout_seconds'])

    def test_trait_reported_when_offered(self):
        drvr = self._driver()
        self.assertIs(True, drvr.static_traits[driver.TRAIT])

    def test_trait_not_reported_unusable_host(self):
        drvr = self._driver(dr_fixtures.HOST_UNUSABLE)
        self.assertIs(False, drvr.static_traits[driver.TRAIT])

    def test_trait_not_reported_ring_mode_off(self):
        self.flags(ring_mode='off', group='dirtyring')
        drvr = self._driver()
        self.assertIs(False, drvr.static_traits[driver.TRAIT])

    def test_trait_reaches_provider_tree(self):
        from nova.compute import provider_tree
        drvr = self._driver()
        self.assertIn(driver.TRAIT, drvr.static_traits)
        ptree = provider_tree.ProviderTree()
        ptree.new_root('compute1', 'a0d0c8f5-8f7e-4b11-9a2e-000000000001')
        traits = drvr.static_traits
        ptree.add_traits('compute1', *[t for t in traits if traits[t]])
        self.assertTrue(ptree.has_traits('compute1', [driver.TRAIT]))

    def _init_host_error(self, host):
        """init_host's refusal on ``host``: one line."""
        drvr = driver.LibvirtDriver(fake.FakeVirtAPI(), False)
        self.probe.set_host(host)
        ex = self.assertRaises(exception.InvalidConfiguration,
                               drvr.init_host, 'compute1')
        msg = str(ex)
        self.assertNotIn('\n', msg)
        return msg

    def test_ring_mode_on_unusable_host_refuses_start(self):
        self.flags(ring_mode='on', group='dirtyring')
        msg = self._init_host_error(dr_fixtures.HOST_UNUSABLE)
        self.assertIn('ring_mode', msg)

    def test_ring_size_over_kernel_max_refuses_start(self):
        self.flags(ring_size=8192, group='dirtyring')
        msg = self._init_host_error(dr_fixtures.HOST_SMALL)
        self.assertIn('ring_size', msg)
        self.assertIn('8192', msg)
        self.assertIn('2048', msg)


class StartupConfigTestCase(DriverTestBase):

    def _start_error(self):
        ex = self.assertRaises(driver.DirtyRingConfigError,
                               driver.LibvirtDriver, fake.FakeVirtAPI(), False)
        self.assertIsInstance(ex, exception.InvalidConfiguration)
        msg = str(ex)
        self.assertNotIn('\n', msg)
        return msg

    def test_ring_size_not_power_of_two(self):
        self.flags(ring_size=3000, group='dirtyring')
        msg = self._start_error()
        self.assertIn('ring_size', msg)
        self.assertIn('3000', msg)
        self.assertIn('1024', msg)
        self.assertIn('65536', msg)

    def test_ring_size_too_large(self):
        self.flags(ring_size=131072, group='dirtyring')
        msg = self._start_error()
        self.assertIn('131072', msg)
        self.assertIn('65536', msg)

    def test_ring_mode_bogus(self):
        self.flags(ring_mode='bogus', group='dirtyring')
        msg = self._start_error()
        self.assertIn('ring_mode', msg)
        self.assertIn('bogus', msg)
        for value in ('auto', 'on', 'off'):
            self.assertIn(value, msg)

    def test_missing_library(self):
        path = '/nonexistent/libdirtyring.so'
        self.flags(library_path=path, group='dirtyring')
        msg = self._start_error()
        self.assertIn('[dirtyring] library_path', msg)
        self.assertIn(path, msg)

    def test_valid_config_starts(self):
        self.flags(ring_mode='on', ring_size=65536, group='dirtyring')
        drvr = driver.LibvirtDriver(fake.FakeVirtAPI(), False)
        self.assertIsInstance(drvr, driver.LibvirtDriver)


class LiveMigrationTestCase(DriverTestBase):

    def _check(self, drvr, instance):
        # As nova's own tests of this method: no neutron, no shared storage
        # test file, and a CPU that compares as compatible.
        compute_info = {'disk_available_least': 400, 'cpu_info': 'asdf'}
        self.stub_out(
            'nova.network.neutron.API.has_port_binding_extension',
            lambda *a, **k: False)
        self.stub_out(
            'nova.virt.libvirt.driver.LibvirtDriver.'
            '_create_shared_storage_test_file', lambda *a, **k: 'file')
        self.stub_out(
            'nova.tests.fixtures.libvirt.Connection.compareHypervisorCPU',
            lambda *a, **k: 1)
        self.cleanups = []
        self.stub_out(
            'nova.virt.libvirt.driver.LibvirtDriver.'
            'cleanup_live_migration_destination_check',
            lambda s, ctxt, data: self.cleanups.append(data))
        instance.vcpu_model = test_vcpu_model.fake_vcpumodel
        return drvr.check_can_live_migrate_destination(
            self.context, instance, None, compute_info, False)

    def _instance_with_ring(self, size):
        instance = self._instance()
        if size is not None:
            instance.system_metadata['dirtyring_ring_size'] = str(size)
        return instance

    def test_refuses_ring_larger_than_host_max(self):
        self.flags(host='dest-host')
        self.flags(ring_size=2048, group='dirtyring')
        drvr = self._driver(dr_fixtures.HOST_SMALL)
        instance = self._instance_with_ring(8192)
        ex = self.assertRaises(exception.MigrationPreCheckError,
                               self._check, drvr, instance)
        msg = str(ex)
        self.assertIn('dest-host', msg)
        self.assertIn('8192', msg)
        self.assertIn('2048', msg)
        # The refusal removed the shared storage test file itself.
        self.assertEqual(['file'], [d.filename for d in self.cleanups])

    def test_refuses_ring_on_unusable_host(self):
        self.flags(host='dest-host')
        drvr = self._driver(dr_fixtures.HOST_UNUSABLE)
        instance = self._instance_with_ring(4096)
        ex = self.assertRaises(exception.MigrationPreCheckError,
                               self._check, drvr, instance)
        self.assertIn('dest-host', str(ex))
        self.assertIn('4096', str(ex))
        self.assertEqual(1, len(self.cleanups))

    def test_allows_ring_that_fits(self):
        drvr = self._driver()
        data = self._check(drvr, self._instance_with_ring(4096))
        self.assertIsInstance(data, objects.LibvirtLiveMigrateData)
        # The compute manager cleans up after the source check.
        self.assertEqual([], self.cleanups)

    def test_allows_instance_without_ring_on_unusable_host(self):
        drvr = self._driver(dr_fixtures.HOST_UNUSABLE)
        data = self._check(drvr, self._instance_with_ring(0))
        self.assertIsInstance(data, objects.LibvirtLiveMigrateData)

    def test_instance_booted_before_driver_counts_as_no_ring(self):
        drvr = self._driver(dr_fixtures.HOST_UNUSABLE)
        instance = self._instance_with_ring(None)
        self.assertNotIn('dirtyring_ring_size', instance.system_metadata)
        data = self._check(drvr, instance)
        self.assertIsInstance(data, objects.LibvirtLiveMigrateData)


class AbortTestCase(DriverTestBase):
    """An aborted live migration ends as aborted, not as Nova 34's ERROR.

    Nova's own _live_migration_operation runs against the fake libvirt;
    only the domain's migrateToURI3 answers as libvirt does when the job
    is cancelled by its client.
    """

    def _migrate(self, drvr, instance, error_code):
        error = fakelibvirt.make_libvirtError(
            fakelibvirt.libvirtError,
            "operation aborted: job 'migration out' canceled by client",
            error_code=error_code)
        guest = mock.Mock()
        guest.migrate.side_effect = error
        self.stub_out('nova.virt.libvirt.migration.get_updated_guest_xml',
                      lambda *a, **k: '<domain/>')
        data = objects.LibvirtLiveMigrateData(
            graphics_listen_addr_vnc='127.0.0.1', target_connect_addr=None,
            bdms=[], block_migration=False, serial_listen_addr=None,
            dst_wants_file_backed_memory=False, vifs=[])
        return drvr._live_migration_operation(
            self.context, instance, 'dst', False, data, guest, [])

    def _aborted(self):
        """A driver and an instance whose migration an operator aborted."""
        drvr = self._driver()
        instance = self._instance()
        self.stub_out('nova.virt.libvirt.driver.LibvirtDriver.'
                      'live_migration_abort', lambda s, inst: None)
        drvr.live_migration_abort(instance)
        return drvr, instance

    def test_aborted_migration_returns(self):
        drvr, instance = self._aborted()
        self.assertIsNone(self._migrate(drvr, instance,
                                        driver.VIR_ERR_OPERATION_ABORTED))

    def test_failure_without_abort_is_raised(self):
        drvr = self._driver()
        instance = self._instance()
        self.assertRaises(fakelibvirt.libvirtError, self._migrate, drvr,
                          instance, driver.VIR_ERR_OPERATION_ABORTED)

    def test_other_error_after_abort_is_raised(self):
        drvr, instance = self._aborted()
        self.assertRaises(fakelibvirt.libvirtError, self._migrate, drvr,
                          instance, fakelibvirt.VIR_ERR_OPERATION_INVALID)

    def test_an_abort_ends_with_its_migration(self):
        # Unwatched (converge_strategy off), as watched: the next migration
        # of the instance does not inherit the abort.
        self.flags(converge_strategy='off', group='dirtyring')
        drvr, instance = self._aborted()
        with mock.patch.object(nova_libvirt_driver.LibvirtDriver,
                               '_live_migration'):
            drvr._live_migration(self.context, instance, 'dst', None, None,
                                 False, None)
        self.assertRaises(fakelibvirt.libvirtError, self._migrate, drvr,
                          instance, driver.VIR_ERR_OPERATION_ABORTED)
