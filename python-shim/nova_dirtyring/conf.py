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

The pre-flight options (``precheck_*``, ``assumed_bandwidth``) carry no
``choices``/``min``/``max`` either, for the same single-line refusal: the
driver checks them at start against :data:`PRECHECK_LIMITS` and
:data:`PRECHECK_ACTIONS`.
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

* ``auto``: guests get the ring only while this host is qualified for a
  ring of ``ring_size`` entries: it supports the ring (KVM reports
  ``KVM_CAP_DIRTY_LOG_RING``, libvirt >= 8.0, QEMU >= 6.1) and its ring
  qualification (``dirtyring qualify``: counting, migration integrity and
  liveness checks on canary guests) passed for the current kernel, KVM
  module, CPU, libvirt and QEMU. nova-compute runs the qualification in the
  background at start when the verdict is missing or stale; until it passes,
  guests boot without the ring. The host reports the
  ``CUSTOM_KVM_DIRTY_RING`` trait only while qualified.
* ``on``: guests get the ring. At start nova-compute qualifies the host when
  the verdict is missing or stale (a few minutes, before it serves), and
  refuses to start, naming the failed check, unless the qualification
  passed.
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
single guest. Guests can only be live migrated to hosts that qualified their
ring size, and only from a host that did (see
``allow_unqualified_ring_migration``).

Related options:

* ``ring_mode``, ``canary_kernel``
"""),
    cfg.StrOpt(
        'canary_kernel',
        default='/var/lib/libvirt/boot/dirtyring-canary.elf',
        help="""
Absolute path of the canary kernel the ring qualification boots (the
nova-dirtyring test guest, a 32-bit multiboot ELF). Must be readable by
libvirt's QEMU. When it is missing the host cannot be qualified and guests
boot without the ring (``ring_mode = on`` refuses to start).

Related options:

* ``ring_mode``
"""),
    cfg.BoolOpt(
        'allow_unqualified_ring_migration',
        default=False,
        help="""
Whether a guest that runs with the dirty ring may live-migrate away from this
host although this host has not qualified its ring size (qualification
failed, never ran, or is stale).

On a host whose ring fails qualification a live migration can lose guest
writes without any error: the destination then runs with stale memory. By
default such a migration is refused before it starts, with the reason in the
instance's action events; a cold migration or a hard reboot rebuilds the
guest without the ring. Set to ``true`` only when the risk is understood.

Related options:

* ``ring_mode``
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
    cfg.StrOpt(
        'state_dir',
        default='/var/lib/nova-dirtyring',
        help="""
Absolute path of the directory where this host's dirty-ring qualification
verdicts are kept (``ring-qualification.json``, one verdict per ring size,
written by ``dirtyring qualify``, by nova-compute's qualification at start and
by the library when a dirty-ring read stalls a guest's vCPU). Guests get the
ring, and dirty-rate measurements read it, only while the verdict for its
size is ``passed`` for the current kernel, KVM module, CPU, libvirt and QEMU;
``dirtyring qualify --clear`` forgets every verdict. Must be writable by
nova-compute and the same directory the ``dirtyring`` command uses (its
``--state-dir``).
"""),
]


PRECHECK_ACTIONS = ('off', 'warn', 'throttle', 'reject')

# Allowed ranges (inclusive) of the integer pre-flight options.
PRECHECK_LIMITS = {
    'precheck_seconds': (1, 10),
    'assumed_bandwidth': (1, 1000000),
    'precheck_deadline': (1, 86400),
}

precheck_opts = [
    cfg.StrOpt(
        'precheck_action',
        default='warn',
        help="""
What the live-migration pre-flight check does with a guest that would not
converge.

Before a live migration starts, the source host measures how fast the guest
dirties its memory (for ``precheck_seconds``) and the native library
forecasts the pre-copy migration from that rate, the guest's memory, the
migration bandwidth, the maximum downtime and the deadline (see
``assumed_bandwidth`` and ``precheck_deadline``). A migration "would not
converge" when the forecast does not reach switch-over within the deadline.

Possible values:

* ``off``: no measurement, no forecast; Nova behaves as without this driver.
* ``warn``: the migration always runs; a guest that would not converge is
  logged as a WARNING with the measured rate, the forecast and what would
  make it pass.
* ``throttle``: the migration runs; when the forecast needs a dirty-rate
  limit to converge, the decision (forecast and limit) is recorded on the
  source host for the migration that follows, for the convergence
  controller (a later feature: today the decision is only recorded and
  logged).
* ``reject``: a guest that would not converge is refused with
  MigrationPreCheckError: the conductor tries the next candidate host, the
  instance stays ACTIVE on the source, the migration record ends in
  ``error`` and the reason is shown in the instance action events
  (``GET /servers/{id}/os-instance-actions/{request id}``, microversion
  2.84 or later, as admin).

A flavor extra spec ``dirtyring:precheck_action`` (same values) overrides
this option for the guests of that flavor.

The check runs inside Nova's ``check_can_live_migrate_source`` RPC call,
whose timeout is ``[DEFAULT] rpc_response_timeout`` (60 s by default): it
takes about ``precheck_seconds`` plus at most ``libvirt_call_timeout``.
"""),
    cfg.IntOpt(
        'precheck_seconds',
        default=1,
        help="""
Length, in seconds, of the dirty-rate measurement of the pre-flight check.

An integer from 1 to 10, so that the check (this period plus at most
``libvirt_call_timeout``) stays well inside the 60 s RPC timeout of
Nova's ``check_can_live_migrate_source``. Longer periods read a lower rate
for guests that keep rewriting the same small working set (unique pages
are counted), shorter ones a rate closer to what one pre-copy round sees.
"""),
    cfg.BoolOpt(
        'precheck_fail_closed',
        default=False,
        help="""
What to do when the pre-flight measurement itself fails (the guest cannot be
measured, libvirt times out, the host's dirty-ring self test failed...).

* ``False`` (default, fail open): log a WARNING with the error and let the
  migration go ahead as Nova would without this check.
* ``True`` (fail closed): refuse the migration with MigrationPreCheckError
  whose reason says that the measurement failed and why.

Has no effect when ``precheck_action`` (or the flavor's
``dirtyring:precheck_action``) is ``off``.
"""),
    cfg.IntOpt(
        'assumed_bandwidth',
        default=1250,
        help="""
Migration bandwidth, in MiB/s, that the pre-flight forecast assumes when
Nova's ``[libvirt] live_migration_bandwidth`` is 0 (unlimited, the default).

When ``[libvirt] live_migration_bandwidth`` is set, the forecast uses it
and ignores this option. Otherwise set this to the bandwidth a migration
really gets on the migration network: the default 1250 MiB/s is roughly a
10 GbE link used alone; use about 125 for 1 GbE and about 3000 for 25 GbE.
An optimistic value lets guests through that will not converge, a
pessimistic one refuses guests that would. An integer from 1 to 1000000.
"""),
    cfg.IntOpt(
        'precheck_deadline',
        default=600,
        help="""
Deadline, in seconds, that the pre-flight forecast uses when Nova's
``[libvirt] live_migration_completion_timeout`` is 0 (no timeout).

Otherwise the deadline is Nova's own completion timeout for the guest:
``live_migration_completion_timeout`` (seconds per GiB, default 800) times
the guest's memory in GiB, counted as at least 2 GiB as Nova does (disks
copied by a block migration are not counted). A migration that would not
reach switch-over before the deadline is one that "would not converge"
(see ``precheck_action``). The maximum downtime is Nova's
``[libvirt] live_migration_downtime`` (ms). An integer from 1 to 86400.
"""),
]


CONVERGE_STRATEGIES = ('auto-converge', 'force-complete', 'dirty-limit-only',
                       'off')

converge_opts = [
    cfg.StrOpt(
        'converge_strategy',
        default='auto-converge',
        help="""
How a live migration that will not converge in time is made to converge.

While a migration runs, the driver reads its progress every 0.5 s (remaining
memory, QEMU's dirty rate and transfer rate, round) and forecasts it against
Nova's ``[libvirt] live_migration_downtime`` and completion timeout. When the
forecast says it will not switch over in time, the least intrusive throttle
is applied: the dirty-limit (QEMU's per-vCPU dirty-rate limit, at the rate
the forecast needs, lowered while it still does not converge) where the
guest has a dirty ring, the host's ring self-test passed and QEMU is 7.1 or
later. Otherwise this option decides:

* ``auto-converge``: the migration starts with QEMU's auto-converge, its
  first step sized from the pre-flight measurement and its second at QEMU's
  maximum (99 %); QEMU throttles all vCPUs only when a round dirties more
  than half of what it sent.
* ``force-complete``: Nova's force-complete (the guest is paused until the
  rest is copied; Nova resumes it on the source if the migration fails).
* ``dirty-limit-only``: no other throttle; the migration is only watched.
* ``off``: no watch and no throttle at all; Nova behaves as without this
  driver.

Every throttle is lifted when the migration completes, fails or is aborted,
and a dirty-limit left by a crash is lifted when nova-compute starts. Each
throttle change is sent as ``instance.live_migration_throttle.start`` and its
end as ``instance.live_migration_throttle.end``.
"""),
]


# Allowed range (inclusive) of notification_spool_max_mb.
SPOOL_MAX_MB_LIMITS = (1, 4096)

notification_opts = [
    cfg.StrOpt(
        'notification_spool_dir',
        help="""
Absolute path of the directory where notifications wait until RabbitMQ
confirms them. Default: ``notification-spool/<host>`` under ``state_dir``.

The driver publishes its notifications (``instance.dirty_rate.measure``,
``instance.live_migration_precheck.*``, ``compute.dirty_ring.fault``...) with
Nova's own notification settings (``[oslo_messaging_notifications]``,
``[notifications]``, ``[oslo_messaging_rabbit]``, ``transport_url``): nothing
is sent when Nova sends no notifications. Publishing never blocks
nova-compute: each notification is written here first and sent by a
background thread, which keeps it until the broker confirms it, through
broker outages and nova-compute restarts (it is sent again, in order, with
the same ``_unique_id`` so that oslo consumers drop duplicates). The
directory is created when missing and must be writable by nova-compute;
only one process may use it (nova-compute refuses to start otherwise).
"""),
    cfg.IntOpt(
        'notification_spool_max_mb',
        default=16,
        help="""
Upper bound, in MiB, of the notifications kept in
``notification_spool_dir`` while the broker is unreachable (a measure
notification takes about 1 KiB per topic and format). When it is reached,
the oldest notifications are dropped and a WARNING says how many. An
integer from 1 to 4096; the directory may use one more MiB of disk.
"""),
]


def register_opts(conf):
    conf.register_group(dirtyring_group)
    conf.register_opts(
        dirtyring_opts + precheck_opts + converge_opts + notification_opts,
        group=dirtyring_group)


def list_opts():
    """Entry point for oslo-config-generator (namespace nova_dirtyring)."""
    return [(dirtyring_group,
             dirtyring_opts + precheck_opts + converge_opts +
             notification_opts)]
