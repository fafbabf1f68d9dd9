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

"""The ``[dirtyring]`` configuration group.

Every option of the group is registered here and nowhere else.

``ring_mode`` and ``ring_size`` deliberately carry no oslo.config
``choices``/``min``/``max``: they are validated by the native library
(``dr_config_check``), which knows the allowed values and the host's limits,
so that nova-compute refuses to start with a single line naming the option,
the value and the allowed range.
"""

from oslo_config import cfg

DEFAULT_LIBRARY_PATH = '/usr/local/lib/nova-dirtyring/libdirtyring.so'

dirtyring_group = cfg.OptGroup(
    'dirtyring',
    title='KVM dirty ring options',
    help="""
Options for ``compute_driver = dirtyring.LibvirtDriver``, the libvirt driver
that boots guests with the KVM dirty ring:
``<features><kvm><dirty-ring state='on' size='N'/></kvm></features>``.

The dirty ring replaces KVM's dirty bitmap for tracking the guest memory
written during a live migration. It is chosen when a guest boots (it cannot
be switched on or off for a running guest) and a guest that has it can only
be live migrated to hosts that support a ring of the same size.

Flavors and images can override the host default:

* flavor extra specs ``dirtyring:ring`` (``on``, ``off`` or ``auto``) and
  ``dirtyring:ring_size`` (a power of two from 1024 to 65536);
* image properties ``dirtyring_ring`` and ``dirtyring_ring_size``.

The flavor wins over the image, the image over this host's configuration. A
flavor that requires the ring (``dirtyring:ring=on``) should also carry
``trait:CUSTOM_KVM_DIRTY_RING=required`` so that the scheduler only picks
hosts that offer it.
""")

dirtyring_opts = [
    cfg.StrOpt(
        'library_path',
        default=DEFAULT_LIBRARY_PATH,
        help="""
Path of the native library ``libdirtyring.so``.

The library probes the host (``/dev/kvm`` and libvirt), validates this
configuration and builds the guest's ``<kvm>`` element. nova-compute refuses
to start when the library cannot be loaded or reports a different ABI
version than this driver expects.
"""),
    cfg.StrOpt(
        'ring_mode',
        default='auto',
        help="""
Whether guests booted on this host get the KVM dirty ring.

Possible values:

* ``auto``: guests get the ring when this host supports it (KVM reports
  ``KVM_CAP_DIRTY_LOG_RING``, libvirt >= 8.0, QEMU >= 6.1); otherwise they
  boot without it. The host reports the ``CUSTOM_KVM_DIRTY_RING`` trait only
  when it supports the ring.
* ``on``: guests get the ring. nova-compute refuses to start when this host
  cannot provide a ring of ``ring_size`` entries.
* ``off``: guests boot without the ring and the host does not report
  ``CUSTOM_KVM_DIRTY_RING``. A guest whose flavor or image requires the ring
  (``on``) fails to boot here and is rescheduled to another host.

A flavor extra spec ``dirtyring:ring`` or an image property
``dirtyring_ring`` decides for a single guest: ``off`` opts the guest out
on any host, ``on`` requires the ring, ``auto`` follows this option.
"""),
    cfg.IntOpt(
        'ring_size',
        default=4096,
        help="""
Number of entries of each vCPU's dirty ring for guests booted on this host.

Must be a power of two from 1024 to 65536, and no larger than the maximum
the host kernel supports (reported by ``KVM_CAP_DIRTY_LOG_RING``). Every
entry takes 16 bytes per vCPU. A flavor extra spec ``dirtyring:ring_size``
or an image property ``dirtyring_ring_size`` overrides this value for a
single guest. Guests can only be live migrated to hosts that support their
ring size.
"""),
    cfg.IntOpt(
        'libvirt_call_timeout',
        default=10,
        min=1,
        help="""
Upper bound, in seconds, of every call the native library makes into libvirt
or ``/dev/kvm`` (for example the host probe at nova-compute start). A call
that takes longer fails with a timeout error instead of blocking nova-
compute.
"""),
]


def register_opts(conf):
    conf.register_group(dirtyring_group)
    conf.register_opts(dirtyring_opts, group=dirtyring_group)


def list_opts():
    """Entry point for oslo-config-generator (namespace nova_dirtyring)."""
    return [(dirtyring_group, dirtyring_opts)]
