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

"""Nova's libvirt driver, booting guests with the KVM dirty ring.

Use with ``compute_driver = dirtyring.LibvirtDriver``.
"""

import threading
import time

from lxml import etree
from oslo_log import log as logging

import nova.conf
from nova import exception
from nova.virt.libvirt import config as vconfig
from nova.virt.libvirt import driver as libvirt_driver

from nova_dirtyring import conf as dr_conf
from nova_dirtyring import convergence
from nova_dirtyring import native
from nova_dirtyring import notifications

LOG = logging.getLogger(__name__)

# libvirt's error code for a job cancelled by its client (virterror.h).
VIR_ERR_OPERATION_ABORTED = 78
CONF = nova.conf.CONF
dr_conf.register_opts(CONF)

TRAIT = 'CUSTOM_KVM_DIRTY_RING'
EXTRA_SPEC_PREFIX = 'dirtyring:'
IMAGE_PROPERTIES = ('dirtyring_ring', 'dirtyring_ring_size')
SYSMETA_RING_SIZE = 'dirtyring_ring_size'
PRECHECK_EXTRA_SPEC = 'dirtyring:precheck_action'
# Pre-flight decisions older than this are dropped: the migration they were
# made for never started on this host (the conductor picked another host or
# failed after the source check).
PRECHECK_DECISION_TTL = 3600

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class DirtyRingConfigError(exception.InvalidConfiguration):
    """The [dirtyring] configuration cannot work; nova-compute stops."""


class DirtyRingUnsupported(exception.NovaException):
    msg_fmt = 'KVM dirty ring not available on this host: %(reason)s'


class LibvirtConfigGuestFeatureKvm(vconfig.LibvirtConfigGuestFeature):
    """The guest's one ``<kvm>`` feature element, built by the library."""

    def __init__(self, kvm_xml, **kwargs):
        super().__init__('kvm', **kwargs)
        self.kvm_xml = kvm_xml

    def format_dom(self):
        return etree.fromstring(self.kvm_xml, _XML_PARSER)


def _refuse_start(error):
    """Stop nova-compute with one line naming option, value and range.

    Called outside of the ``except`` block on purpose: oslo.log would
    otherwise append the native exception to the ERROR line, and Python
    would print the chained traceback.
    """
    msg = error.one_line()
    LOG.error('%s', msg)
    raise DirtyRingConfigError(msg)


def _sysmeta_ring_size(instance):
    """The guest's ring size from its system metadata (0: no ring).

    :raises: ValueError when the recorded value is not an integer
    """
    return int(instance.system_metadata.get(SYSMETA_RING_SIZE) or '0')


def _config():
    return {'ring_mode': CONF.dirtyring.ring_mode,
            'ring_size': CONF.dirtyring.ring_size}


def _config_error():
    """The first invalid pre-flight or spool option as a NativeError, or None.

    Same one-line shape as the library's invalid_config errors: option,
    value and the allowed values.
    """
    for name, choices in (('precheck_action', dr_conf.PRECHECK_ACTIONS),
                          ('converge_strategy',
                           dr_conf.CONVERGE_STRATEGIES)):
        value = getattr(CONF.dirtyring, name)
        if value not in choices:
            return native.InvalidConfig(
                'invalid_config', 'must be one of %s' % ', '.join(choices),
                option='[dirtyring] %s' % name, value=value)
    for name, (low, high) in sorted(dr_conf.PRECHECK_LIMITS.items()):
        value = getattr(CONF.dirtyring, name)
        if not low <= value <= high:
            return native.InvalidConfig(
                'invalid_config',
                'must be an integer from %d to %d' % (low, high),
                option='[dirtyring] %s' % name, value=value)
    return notifications.spool_config_error(CONF)


class PrecheckDecision(object):
    """What the pre-flight check decided for one instance's migration."""

    def __init__(self, instance_uuid, action, source, verdict, forecast,
                 reason, measurement, bounds, decided_at):
        self.instance_uuid = instance_uuid
        self.action = action          # warn | throttle | reject
        self.source = source          # flavor | host
        self.verdict = verdict        # accept | throttle
        self.forecast = forecast      # dirtyring.h forecast document
        self.reason = reason          # the library's one line
        self.measurement = measurement
        self.bounds = bounds          # bandwidth, downtime, deadline used
        self.decided_at = decided_at  # time.monotonic()

    @property
    def limit_megabytes_per_second(self):
        return (self.forecast or {}).get('limit_megabytes_per_second')

    def __repr__(self):
        return ('PrecheckDecision(%s, action=%s, verdict=%s, limit=%s)'
                % (self.instance_uuid, self.action, self.verdict,
                   self.limit_megabytes_per_second))


class LibvirtDriver(libvirt_driver.LibvirtDriver):
    """Nova's libvirt driver plus the KVM dirty ring.

    nova-compute refuses to start, with one line naming the option, its value
    and the allowed range, when the native library cannot be loaded or the
    ``[dirtyring]`` configuration is invalid (here at construction) or cannot
    be honoured by this host (in :meth:`init_host`).
    """

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only=read_only)
        self._dr_context = None
        self._dr_publisher = None
        self._dr_host = None
        self._dr_offers_ring = False
        # Pre-flight decisions by instance uuid, for the migration that
        # follows the source check in this process (see
        # check_can_live_migrate_source). Guarded by a lock: the source
        # check runs in the RPC server's threads, the migration in the live
        # migration executor's.
        self._dr_precheck_decisions = {}
        self._dr_precheck_lock = threading.Lock()
        # Convergence runs by instance uuid, while _live_migration runs.
        self._dr_convergence_runs = {}
        # Instances whose live migration an operator aborted, while their
        # _live_migration runs (see _live_migration_operation).
        self._dr_aborted = set()
        # The ring qualification that init_host started in the background,
        # and this host's verdict for [dirtyring] ring_size (dr_config_check).
        self._dr_qualification_thread = None
        self._dr_ring_verdict = {}
        error = None
        try:
            self._dr_library = native.Library(CONF.dirtyring.library_path)
            self._dr_library.config_check(_config(), None)
            error = _config_error()
        except native.NativeError as e:
            error = e
        if error is not None:
            _refuse_start(error)
        rpc_timeout = getattr(CONF, 'rpc_response_timeout', 60) or 60
        worst = (CONF.dirtyring.precheck_seconds +
                 CONF.dirtyring.libvirt_call_timeout)
        if CONF.dirtyring.precheck_action != 'off' and worst >= rpc_timeout:
            LOG.warning(
                'The live-migration pre-flight check can take up to %(w)d s '
                '([dirtyring] precheck_seconds + libvirt_call_timeout), not '
                'less than [DEFAULT] rpc_response_timeout = %(t)s s: a slow '
                'libvirt makes check_can_live_migrate_source time out',
                {'w': worst, 't': rpc_timeout})

    # Host.

    def _dr_context_config(self):
        """The dr_context_open document of this host's [dirtyring]."""
        return {'libvirt_uri': self._uri(),
                'kvm_device': '/dev/kvm',
                'timeout_seconds': CONF.dirtyring.libvirt_call_timeout,
                'state_dir': CONF.dirtyring.state_dir}

    def _dr_open_context(self):
        """Open the native context on Nova's own libvirt connection."""
        pointer = None
        try:
            pointer = native.libvirt_connection_pointer(
                self._host.get_connection())
        except Exception as e:
            LOG.warning('Cannot share the libvirt connection with the dirty '
                        'ring library, it will open its own: %s', e)
        return self._dr_library.open_context(self._dr_context_config(),
                                             pointer)

    def init_host(self, host):
        super().init_host(host)
        error = None
        try:
            if self._dr_context is None:
                self._dr_context = self._dr_open_context()
            self._dr_host = self._dr_context.probe()
            result = self._dr_library.config_check(_config(), self._dr_host)
            if (CONF.dirtyring.ring_mode == 'on' and
                    self._dr_needs_qualification(result)):
                # 'on' insists on the ring: prove it before serving.
                self._dr_qualify()
                self._dr_host = self._dr_context.probe()
                result = self._dr_library.config_check(_config(),
                                                       self._dr_host)
            if self._dr_publisher is None:
                self._dr_publisher = notifications.Publisher(
                    self._dr_library.open_notifier(
                        notifications.notifier_config(CONF, host)))
        except native.NativeError as e:
            error = e
        if error is not None:
            _refuse_start(error)
        self._dr_publisher.collect_log()
        self._dr_lift_leftover_throttles()
        self._dr_apply_ring_check(result)
        if self._dr_needs_qualification(result):
            self._dr_qualification_thread = threading.Thread(
                target=self._dr_qualify_in_background,
                name='dirtyring-qualify', daemon=True)
            self._dr_qualification_thread.start()

    @staticmethod
    def _dr_needs_qualification(result):
        """Whether the library asks for a qualification (dr_config_check).

        Only for KVM guests: with another virt_type no guest gets the ring.
        """
        return (CONF.libvirt.virt_type == 'kvm' and
                bool(result.get('needs_qualification')))

    def _dr_apply_ring_check(self, result):
        """Offer the ring as ``result`` (dr_config_check) says; log it."""
        self._dr_offers_ring = bool(result.get('offers_ring'))
        self._dr_ring_verdict = result.get('qualification') or {}
        self._dr_log_ring_state()

    def _dr_qualify(self):
        """Qualify the ring on a context of its own (blocking, minutes).

        :returns: the qualification document
        :raises: NativeError
        """
        context = self._dr_library.open_context(self._dr_context_config())
        try:
            LOG.info('Qualifying the KVM dirty ring of %d entries on this '
                     'host (canary kernel %s); guests boot without the ring '
                     'until it passes', CONF.dirtyring.ring_size,
                     CONF.dirtyring.canary_kernel)
            return context.qualify(CONF.dirtyring.canary_kernel,
                                   CONF.dirtyring.ring_size)
        finally:
            context.close()

    def _dr_qualify_in_background(self):
        """Qualify, then offer the ring if it passed (never raises)."""
        try:
            self._dr_qualify()
            host = self._dr_context.probe()
            result = self._dr_library.config_check(_config(), host)
        except Exception as e:
            message = (e.one_line() if isinstance(e, native.NativeError)
                       else '%s: %s' % (type(e).__name__, e))
            LOG.warning('KVM dirty ring qualification could not run: %s; '
                        'guests boot without the ring', message)
            return
        self._dr_host = host
        self._dr_apply_ring_check(result)

    def _dr_log_ring_state(self):
        """One line: whether guests get the ring here, and why."""
        ring = self._dr_host.get('dirty_ring') or {}
        kvm = self._dr_host.get('kvm') or {}
        verdict = self._dr_ring_verdict
        log = LOG.info if (self._dr_offers_ring or verdict.get(
            'state') != 'failed') else LOG.warning
        log('KVM dirty ring: offered=%(offers)s usable=%(usable)s '
            'max_size=%(max)s ring_mode=%(mode)s ring_size=%(size)s '
            'qualification=%(state)s (%(evidence)s) kernel=%(kernel)s '
            'libvirt=%(libvirt)s qemu=%(qemu)s kvm_module=%(module)s '
            'reasons=%(reasons)s',
            {'usable': ring.get('usable'), 'max': ring.get('max_size'),
             'offers': self._dr_offers_ring,
             'mode': CONF.dirtyring.ring_mode,
             'size': CONF.dirtyring.ring_size,
             'state': verdict.get('state'),
             'evidence': verdict.get('evidence') or '-',
             'kernel': self._dr_host.get('kernel_release'),
             'libvirt': self._dr_host.get('libvirt_version'),
             'qemu': self._dr_host.get('qemu_version'),
             'module': kvm.get('module'),
             'reasons': '; '.join(ring.get('reasons') or []) or '-'})

    def _dr_lift_leftover_throttles(self):
        """End the throttles a stopped nova-compute left on guests."""
        try:
            results = self._dr_context.lift_leftover_throttles(
                self._dr_publisher.notifier)
        except native.NativeError as e:
            LOG.error('Cannot check for throttles left by an earlier run: '
                      '%s', e.one_line())
            return
        for entry in results:
            log = LOG.error if entry.get('result') in (
                'failed', 'unreadable') else LOG.warning
            log('Throttle left by an earlier run on instance %s: %s (%s)',
                entry.get('instance_uuid'), entry.get('result'),
                entry.get('message'))

    def cleanup_host(self, host):
        if self._dr_publisher is not None:
            self._dr_publisher.close()
            self._dr_publisher = None
        if self._dr_context is not None:
            self._dr_context.close()
            self._dr_context = None
        super().cleanup_host(host)

    @property
    def static_traits(self):
        """The base traits plus CUSTOM_KVM_DIRTY_RING.

        The base class caches its dict in ``self._static_traits`` after
        dropping every trait os_traits does not know (all ``CUSTOM_*``), so
        the custom trait is added on top of it. ``update_provider_tree`` adds
        the True traits to the compute node provider and removes the False
        ones, so a host that stops offering the ring loses the trait.
        """
        traits = dict(super().static_traits)
        traits[TRAIT] = self._dr_offers_ring
        return traits

    # Guest.

    def _get_guest_config(self, instance, network_info, image_meta,
                          disk_info, rescue=None, block_device_info=None,
                          context=None, mdevs=None, accel_info=None,
                          share_info=None, old_guest=None):
        """Nova's guest config plus the dirty ring when this guest gets one.

        Only cold boots build a guest config: spawn, hard reboot, rescue,
        resume_state_on_host_boot, finish_migration and
        finish_revert_migration (all through ``_get_guest_xml``). A live
        migration never calls this: the destination receives the source's
        running XML (``migration.get_updated_guest_xml``), so the ring and
        its size travel with the guest and are checked in
        :meth:`check_can_live_migrate_destination` instead.

        The decision (flavor extra specs over image properties over
        ``[dirtyring]``) is the library's. The effective size is recorded
        in ``instance.system_metadata['dirtyring_ring_size']`` ("0": no
        ring); the compute manager saves the instance after spawn and
        reboot. A flavor or image that explicitly requires the ring on a
        host that cannot provide it fails the boot with
        :class:`DirtyRingUnsupported`, which the compute manager turns into
        a reschedule to another host.
        """
        guest = super()._get_guest_config(
            instance, network_info, image_meta, disk_info, rescue=rescue,
            block_device_info=block_device_info, context=context,
            mdevs=mdevs, accel_info=accel_info, share_info=share_info,
            old_guest=old_guest)
        size = self._dr_decide(instance)
        if size:
            self._dr_set_kvm_feature(guest, size)
        instance.system_metadata[SYSMETA_RING_SIZE] = str(size or 0)
        return guest

    def _dr_decide(self, instance):
        """Ask the library for this guest's ring size (0: no ring)."""
        if CONF.libvirt.virt_type != 'kvm' or self._dr_host is None:
            # An unprobed host has proven nothing: Nova's own guest.
            return 0
        extra_specs = {
            k: v for k, v in (instance.flavor.extra_specs or {}).items()
            if k.startswith(EXTRA_SPEC_PREFIX)}
        sysmeta = instance.system_metadata
        image_properties = {
            p: sysmeta['image_' + p] for p in IMAGE_PROPERTIES
            if sysmeta.get('image_' + p) is not None}
        try:
            decision = self._dr_library.ring_decide(
                _config(), self._dr_host, extra_specs, image_properties)
        except native.Unsupported as e:
            raise DirtyRingUnsupported(reason=e.one_line())
        except native.NativeError as e:
            raise exception.InvalidInput(reason=e.one_line())
        LOG.debug('KVM dirty ring decision: %s', decision, instance=instance)
        if not decision.get('enabled'):
            return 0
        return int(decision['size'])

    def _dr_set_kvm_feature(self, guest, size):
        """Replace Nova's <kvm> feature(s) by one with the dirty ring."""
        kvm_features = []
        others = []
        for feature in guest.features:
            if feature.format_dom().tag == 'kvm':
                kvm_features.append(feature)
            else:
                others.append(feature)
        kvm_xml = None
        if kvm_features:
            root = etree.Element('kvm')
            for feature in kvm_features:
                for child in feature.format_dom():
                    root.append(child)
            kvm_xml = etree.tostring(root, encoding='unicode')
        try:
            element = self._dr_library.kvm_element(kvm_xml, size)
        except native.NativeError as e:
            raise exception.InvalidInput(reason=e.one_line())
        guest.features = others + [LibvirtConfigGuestFeatureKvm(element)]

    # Live migration.

    def check_can_live_migrate_destination(self, context, instance,
                                           src_compute_info, dst_compute_info,
                                           block_migration=False,
                                           disk_over_commit=False):
        """Nova's checks plus: can this host take the guest's ring?

        Runs on the destination. The guest's ring size comes from
        ``instance.system_metadata['dirtyring_ring_size']``; a guest booted
        before this driver has none and counts as 0 (no ring). A refusal
        raises MigrationPreCheckError: the conductor tries the next host and
        the instance stays ACTIVE.
        """
        data = super().check_can_live_migrate_destination(
            context, instance, src_compute_info, dst_compute_info,
            block_migration=block_migration,
            disk_over_commit=disk_over_commit)
        try:
            reason = self._dr_destination_refusal(instance)
        except Exception:
            self.cleanup_live_migration_destination_check(context, data)
            raise
        if reason is not None:
            # The compute manager only cleans up after a check that returned.
            self.cleanup_live_migration_destination_check(context, data)
            raise exception.MigrationPreCheckError(reason=reason)
        return data

    def _dr_destination_refusal(self, instance):
        """None when the guest's ring fits this host, else the reason."""
        return self._dr_ring_refusal(
            instance, lambda size: self._dr_library.destination_check(
                _config(), self._dr_host, CONF.host, size))

    def _dr_ring_refusal(self, instance, check):
        """None when ``check`` lets the guest's ring migrate, else the reason.

        A guest without a ring (system metadata ``dirtyring_ring_size`` 0
        or absent: booted before this driver) is never refused.

        :param check: called with the guest's ring size on a probed host;
            returns ``dr_destination_check``'s or ``dr_source_check``'s
            result. One that allows an unqualified ring is logged.
        """
        try:
            ring_size = _sysmeta_ring_size(instance)
        except ValueError:
            return ('instance system_metadata %s=%r is not an integer'
                    % (SYSMETA_RING_SIZE,
                       instance.system_metadata.get(SYSMETA_RING_SIZE)))
        if ring_size == 0:
            return None
        if self._dr_host is None:
            return ('host %s was not probed for the KVM dirty ring'
                    % CONF.host)
        try:
            result = check(ring_size)
        except native.NativeError as e:
            return e.one_line()
        if not result.get('allowed'):
            return result.get('reason') or (
                'host %s refuses a guest with a dirty ring of %d entries'
                % (CONF.host, ring_size))
        if result.get('unqualified'):
            LOG.warning('%s', result.get('reason'), instance=instance)
        return None

    # Live migration: pre-flight check on the source.

    def check_can_live_migrate_source(self, context, instance,
                                      dest_check_data,
                                      block_device_info=None):
        """Nova's checks plus: would this guest's migration converge?

        Runs on the source, inside the conductor's RPC call (60 s timeout),
        once per candidate destination. After Nova's own checks, unless the
        effective action (flavor ``dirtyring:precheck_action`` over
        ``[dirtyring] precheck_action``) is ``off``: measure the guest's
        dirty rate for ``precheck_seconds``, ask the library to decide
        (``dr_precheck_decide``) and act on its verdict:

        * accept: INFO log, or WARNING with the library's reason when the
          forecast does not converge (action ``warn``);
        * throttle: WARNING log; the decision is kept for the migration;
        * reject: MigrationPreCheckError with the library's reason.

        A failed measurement logs a WARNING and lets the migration go ahead,
        unless ``precheck_fail_closed``: then MigrationPreCheckError says
        that the measurement failed and why. Nothing else is ever raised
        from the pre-flight part: an unexpected error is logged and the
        migration goes ahead (or is refused when fail-closed).

        The decision of an accepted check is kept by instance uuid for the
        migration that follows in this process; see
        :meth:`_dr_precheck_decision`.
        """
        data = super().check_can_live_migrate_source(
            context, instance, dest_check_data,
            block_device_info=block_device_info)
        refusal = self._dr_source_refusal(instance)
        if refusal is not None:
            raise exception.MigrationPreCheckError(reason=refusal)
        started = time.monotonic()
        try:
            refusal = self._dr_precheck(instance)
        except Exception as e:
            LOG.debug('Unexpected error in the live-migration pre-flight '
                      'check', exc_info=True, instance=instance)
            refusal = self._dr_precheck_failed(
                instance, native.NativeError(
                    'internal', 'unexpected error: %s: %s'
                    % (type(e).__name__, e)))
        LOG.debug('Live-migration pre-flight check took %.2f s (Nova\'s own '
                  'source checks excluded)', time.monotonic() - started,
                  instance=instance)
        if refusal is not None:
            # No decision outlives a refused check (an older one would
            # otherwise reach a later migration of this instance).
            self._dr_forget_decision(instance.uuid)
            raise exception.MigrationPreCheckError(reason=refusal)
        return data

    def _dr_source_refusal(self, instance):
        """None when the guest may leave this host, else the reason.

        A guest with the dirty ring leaves only a host that qualified its
        ring size (``dr_source_check``), unless
        ``[dirtyring] allow_unqualified_ring_migration``.
        """
        return self._dr_ring_refusal(
            instance, lambda size: self._dr_library.source_check(
                self._dr_host, CONF.host, size,
                CONF.dirtyring.allow_unqualified_ring_migration))

    def _dr_precheck_action(self, instance):
        """The effective action and where it comes from (flavor|host)."""
        extra_specs = {}
        try:
            extra_specs = instance.flavor.extra_specs or {}
        except Exception:
            pass
        value = extra_specs.get(PRECHECK_EXTRA_SPEC)
        if value is not None:
            if value in dr_conf.PRECHECK_ACTIONS:
                return value, 'flavor'
            # Set before the validator existed (or below microversion 2.86).
            LOG.warning('Ignoring flavor extra spec %s=%r (not one of %s); '
                        'using [dirtyring] precheck_action=%s',
                        PRECHECK_EXTRA_SPEC, value,
                        ', '.join(dr_conf.PRECHECK_ACTIONS),
                        CONF.dirtyring.precheck_action, instance=instance)
        return CONF.dirtyring.precheck_action, 'host'

    @staticmethod
    def _dr_nova_migration_options():
        """Nova's [libvirt] options that bound a live migration."""
        return {
            'live_migration_bandwidth':
                CONF.libvirt.live_migration_bandwidth,
            'live_migration_downtime': CONF.libvirt.live_migration_downtime,
            'live_migration_completion_timeout':
                CONF.libvirt.live_migration_completion_timeout,
        }

    def _dr_measure(self, instance):
        """Measure one guest (blocking): the measurement document.

        :raises: NativeError
        """
        if self._dr_context is None:
            raise native.NativeError(
                'internal', 'the host was not probed (init_host did not run)')
        [result] = self._dr_context.measure(
            [instance.uuid], CONF.dirtyring.precheck_seconds, 'auto')
        if isinstance(result, native.NativeError):
            raise result
        return result

    # Notifications.

    def _dr_notify(self, event, instance, **members):
        """Queue one notification about ``instance`` (never blocks or raises).

        ``members`` are the dr_notify members the event needs
        (measurement, precheck, fault).
        """
        if self._dr_publisher is None:
            return
        request = {'event': event,
                   'instance': {'uuid': instance.uuid,
                                'tenant_id': instance.project_id,
                                'user_id': instance.user_id}}
        request.update(members)
        self._dr_publisher.notify(request)

    def _dr_notify_fault(self, instance, error):
        """compute.dirty_ring.fault for a measurement that stalled vCPUs."""
        try:
            ring_size = _sysmeta_ring_size(instance)
        except ValueError:
            ring_size = 0
        self._dr_notify('compute.dirty_ring.fault', instance, fault={
            'ring_size': ring_size, 'error': error.document})

    def _dr_precheck_failed(self, instance, error):
        """Measurement (or check) failure: None (go ahead) or a refusal."""
        if error.kind == 'stall':
            self._dr_notify_fault(instance, error)
        why = error.one_line()
        if CONF.dirtyring.precheck_fail_closed:
            reason = ('live-migration pre-flight check: the dirty-rate '
                      'measurement failed (%s: %s) and [dirtyring] '
                      'precheck_fail_closed is True' % (error.kind, why))
            LOG.warning('%s', reason, instance=instance)
            return reason
        LOG.warning('Live-migration pre-flight check skipped, the migration '
                    'goes ahead: the dirty-rate measurement failed (%s: %s)',
                    error.kind, why, instance=instance)
        return None

    def _dr_precheck(self, instance):
        """The pre-flight check: None to go ahead, else the refusal."""
        action, source = self._dr_precheck_action(instance)
        if action == 'off':
            LOG.debug('Live-migration pre-flight check off (%s)', source,
                      instance=instance)
            return None
        started = time.monotonic()
        error = None
        try:
            measurement = self._dr_measure(instance)
        except native.NativeError as e:
            error = e
        if error is not None:
            LOG.debug('Dirty-rate measurement failed after %.1f s',
                      time.monotonic() - started, instance=instance)
            return self._dr_precheck_failed(instance, error)
        self._dr_notify('instance.dirty_rate.measure', instance,
                        measurement=measurement)
        error = None
        try:
            decision = self._dr_library.precheck_decide(
                action, measurement, self._dr_nova_migration_options(),
                CONF.dirtyring.assumed_bandwidth,
                CONF.dirtyring.precheck_deadline)
        except native.NativeError as e:
            error = e
        if error is not None:
            return self._dr_precheck_failed(instance, error)
        verdict = decision.get('verdict')
        self._dr_notify('instance.live_migration_precheck.%s' % verdict,
                        instance, measurement=measurement, precheck={
                            'action': action, 'action_source': source,
                            'decision': decision})
        forecast = decision.get('forecast') or {}
        reason = ' '.join(str(decision.get('reason') or verdict).split())
        elapsed = time.monotonic() - started
        if verdict == 'reject':
            LOG.warning('Live migration refused by the pre-flight check '
                        '(action %s from %s, %.1f s): %s', action, source,
                        elapsed, reason, instance=instance)
            return reason
        if verdict == 'throttle' or not forecast.get('converges', True):
            LOG.warning('Live-migration pre-flight check: %s (action %s from '
                        '%s, verdict %s, %.1f s)', reason, action, source,
                        verdict, elapsed, instance=instance)
        else:
            LOG.info('Live-migration pre-flight check: %s (action %s from '
                     '%s, verdict %s, %.1f s)', reason, action, source,
                     verdict, elapsed, instance=instance)
        self._dr_keep_decision(PrecheckDecision(
            instance.uuid, action, source, verdict, forecast, reason,
            measurement, decision.get('bounds'), time.monotonic()))
        return None

    # Live migration: the decision kept for the migration that follows.

    def _dr_keep_decision(self, decision):
        now = time.monotonic()
        with self._dr_precheck_lock:
            for uuid, old in list(self._dr_precheck_decisions.items()):
                if now - old.decided_at > PRECHECK_DECISION_TTL:
                    del self._dr_precheck_decisions[uuid]
            self._dr_precheck_decisions[decision.instance_uuid] = decision

    def _dr_precheck_decision(self, instance_uuid):
        """The pre-flight decision for this instance's migration, or None.

        For the convergence controller: the forecast, verdict and
        dirty-rate limit (``limit_megabytes_per_second``) decided by the
        source check. None when no check ran (action off, measurement
        failed open), or the decision is older than
        PRECHECK_DECISION_TTL.
        """
        with self._dr_precheck_lock:
            decision = self._dr_precheck_decisions.get(instance_uuid)
            if decision is None:
                return None
            if time.monotonic() - decision.decided_at > PRECHECK_DECISION_TTL:
                del self._dr_precheck_decisions[instance_uuid]
                return None
            return decision

    def _dr_forget_decision(self, instance_uuid):
        with self._dr_precheck_lock:
            self._dr_precheck_decisions.pop(instance_uuid, None)

    def live_migration(self, context, instance, dest,
                       post_method, recover_method, block_migration=False,
                       migrate_data=None):
        """Nova's live migration; forgets the pre-flight decision after it.

        ``live_migration`` returns when the migration has ended (Nova's
        ``_live_migration`` runs the monitor, which calls ``post_method``
        or ``recover_method``), whether it completed, failed or was
        aborted; the convergence controller reads the decision while it
        runs (from ``_live_migration_monitor``).
        """
        try:
            return super().live_migration(
                context, instance, dest, post_method, recover_method,
                block_migration=block_migration, migrate_data=migrate_data)
        finally:
            self._dr_forget_decision(instance.uuid)

    # Live migration: convergence control.

    def _dr_convergence_request(self, instance):
        """The dr_migration_watch_start request for this instance."""
        try:
            ring_size = _sysmeta_ring_size(instance)
        except ValueError:
            ring_size = 0
        request = {
            'instance': {'uuid': instance.uuid,
                         'tenant_id': instance.project_id,
                         'user_id': instance.user_id},
            'strategy': CONF.dirtyring.converge_strategy,
            'ring_size': ring_size,
            'libvirt': self._dr_nova_migration_options(),
            'nova_auto_converge': bool(
                self._live_migration_flags &
                convergence.VIR_MIGRATE_AUTO_CONVERGE),
            'assumed_bandwidth_megabytes_per_second':
                CONF.dirtyring.assumed_bandwidth,
            'no_timeout_deadline_seconds': CONF.dirtyring.precheck_deadline,
        }
        decision = self._dr_precheck_decision(instance.uuid)
        if decision is not None:
            rate = (decision.measurement or {}).get('megabytes_per_second')
            bandwidth = (decision.bounds or {}).get(
                'bandwidth_megabytes_per_second')
            if rate is not None and bandwidth:
                request['expected'] = {
                    'dirty_rate_megabytes_per_second': rate,
                    'bandwidth_megabytes_per_second': bandwidth}
        return request

    def _dr_start_convergence(self, instance):
        """Start the library's watch of this migration; None when off.

        A watch that cannot start is a WARNING: the migration runs as Nova
        alone would run it.
        """
        if (CONF.dirtyring.converge_strategy == 'off' or
                self._dr_context is None):
            return None
        notifier = (self._dr_publisher.notifier
                    if self._dr_publisher is not None else None)
        run = convergence.ConvergenceRun(
            self._dr_context, self._dr_convergence_request(instance),
            lambda: self.live_migration_force_complete(instance),
            notifier=notifier, instance=instance)
        try:
            run.poll_in_background()
        except native.NativeError as e:
            LOG.warning('Live migration runs without convergence control: '
                        '%s', e.one_line(), instance=instance)
            return None
        return run

    @staticmethod
    def _dr_finish_convergence(run, result, instance):
        """Stop the watch, lifting every throttle; never raises."""
        try:
            run.finish(result)
        except Exception as e:
            LOG.error('Convergence control did not stop cleanly: %s', e,
                      instance=instance)

    def _live_migration(self, context, instance, dest, post_method,
                        recover_method, block_migration, migrate_data):
        """Nova's migration and monitor, under the convergence controller.

        The library watches the migration while Nova's monitor runs. Every
        throttle is lifted as the migration ends, before Nova's
        ``post_method`` (completed) or ``recover_method`` (failed,
        aborted), and in any case when this returns.
        """
        run = self._dr_start_convergence(instance)
        try:
            if run is None:
                return super()._live_migration(
                    context, instance, dest, post_method, recover_method,
                    block_migration, migrate_data)

            def post(*args, **kwargs):
                self._dr_finish_convergence(run, 'completed', instance)
                return post_method(*args, **kwargs)

            def recover(*args, **kwargs):
                cancelled = kwargs.get('migration_status') == 'cancelled'
                self._dr_finish_convergence(
                    run, 'aborted' if cancelled else 'failed', instance)
                return recover_method(*args, **kwargs)

            self._dr_convergence_runs[instance.uuid] = run
            try:
                return super()._live_migration(
                    context, instance, dest, post, recover, block_migration,
                    migrate_data)
            finally:
                self._dr_convergence_runs.pop(instance.uuid, None)
                self._dr_finish_convergence(run, 'failed', instance)
        finally:
            # Watched or not, an abort belongs to this migration only.
            self._dr_aborted.discard(instance.uuid)

    def live_migration_abort(self, instance):
        """Nova's abort; remembered so that the migration ends as aborted."""
        self._dr_aborted.add(instance.uuid)
        return super().live_migration_abort(instance)

    def _live_migration_operation(self, context, instance, dest,
                                  block_migration, migrate_data, guest,
                                  device_names):
        """Nova's migration call, with auto-converge when the plan says.

        A migration an operator aborted ends as Nova's monitor ends it
        (rolled back, the instance ACTIVE on this host, the migration
        ``cancelled``): Nova 34 also re-raises libvirt's "operation
        aborted" from this call after the monitor's rollback, and its
        manager then puts the instance in ERROR and the migration in
        ``error``.
        """
        run = self._dr_convergence_runs.get(instance.uuid)
        if run is not None:
            guest = convergence.guest_with_additions(guest, run)
        try:
            return super()._live_migration_operation(
                context, instance, dest, block_migration, migrate_data, guest,
                device_names)
        except libvirt_driver.libvirt.libvirtError as e:
            if (instance.uuid not in self._dr_aborted or
                    e.get_error_code() != VIR_ERR_OPERATION_ABORTED):
                raise
            LOG.info('Live migration aborted on request: %s', e,
                     instance=instance)

    def rollback_live_migration_at_source(self, context, instance,
                                          migrate_data):
        """Nova's rollback; forgets the pre-flight decision.

        Covers a migration that fails before ``live_migration`` is called
        on this host (for example ``pre_live_migration`` failing on the
        destination).
        """
        try:
            return super().rollback_live_migration_at_source(
                context, instance, migrate_data)
        finally:
            self._dr_forget_decision(instance.uuid)
