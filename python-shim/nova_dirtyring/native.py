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

"""ctypes binding of libdirtyring.so (the C ABI in dirtyring.h).

Every exported function returns a malloc'd JSON document, either
``{"ok": result}`` or ``{"error": {kind, message, option, value}}``. The
binding declares those returns as ``c_void_p`` (a ``c_char_p`` restype would
copy the bytes and lose the pointer, leaking it), copies the bytes, releases
the pointer with ``dr_string_free`` and turns an error document into a
:class:`NativeError`.
"""

import ctypes
import json
import threading

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

ABI_VERSION = 2
LIBRARY_PATH_OPTION = '[dirtyring] library_path'

# Every function of dirtyring.h, checked by name when the library is loaded
# so that a library that lacks one refuses nova-compute start naming it.
REQUIRED_FUNCTIONS = (
    'dr_abi_version', 'dr_context_open', 'dr_context_close',
    'dr_host_probe', 'dr_config_check', 'dr_ring_decide',
    'dr_destination_check', 'dr_source_check', 'dr_kvm_element',
    'dr_dirty_rate_measure', 'dr_ring_qualify',
    'dr_migration_forecast', 'dr_precheck_decide', 'dr_notifier_open',
    'dr_notify', 'dr_notifier_status', 'dr_notifier_close', 'dr_string_free',
    'dr_migration_watch_start', 'dr_migration_watch_status',
    'dr_migration_watch_stop', 'dr_throttles_lift_leftovers',
)


class NativeError(Exception):
    """An error document returned by the native library."""

    def __init__(self, kind, message, option=None, value=None, document=None):
        self.kind = kind
        self.message = message
        self.option = option
        self.value = value
        # The whole error document (a stall error also names the vCPUs).
        self.document = document or {'kind': kind, 'message': message}
        super().__init__(message)

    def one_line(self):
        """The error as one line that names the option and value if any."""
        msg = ' '.join(str(self.message).split())
        if self.option and self.option not in msg:
            prefix = self.option
            if self.value is not None:
                prefix = '%s = %s' % (self.option, self.value)
            msg = '%s: %s' % (prefix, msg)
        return msg


class InvalidConfig(NativeError):
    """kind ``invalid_config``: an option has a value that cannot work."""


class Unsupported(NativeError):
    """kind ``unsupported``: the host cannot do what was asked explicitly."""


class LibraryError(NativeError):
    """The library cannot be loaded or has the wrong ABI version."""

    def __init__(self, path, reason):
        super().__init__(
            'library',
            '%s = %s: %s' % (LIBRARY_PATH_OPTION, path, reason),
            option=LIBRARY_PATH_OPTION, value=path)


_ERROR_CLASSES = {
    'invalid_config': InvalidConfig,
    'unsupported': Unsupported,
}


def _error_from_document(error):
    if not isinstance(error, dict):
        return NativeError('internal',
                           'malformed error document: %r' % (error,))
    kind = error.get('kind') or 'internal'
    cls = _ERROR_CLASSES.get(kind, NativeError)
    return cls(kind, error.get('message') or kind,
               option=error.get('option'), value=error.get('value'),
               document=error)


def run_blocking(func, *args):
    """Run a blocking native call without stalling nova-compute.

    Nova 34 runs on native threads by default; ctypes releases the GIL, so a
    direct call is fine. In the deprecated eventlet mode a blocking call would
    stop every green thread, so it goes through eventlet's thread pool.
    """
    from nova import utils
    if utils.concurrency_mode_threading():
        return func(*args)
    from eventlet import tpool
    return tpool.execute(func, *args)


def write_log(logger, lines, prefix='', **kwargs):
    """Write the library's log lines to ``logger`` at their level.

    :param lines: [{"level": "info"|"warning"|"error", "message"}]; an
        unknown level is written as a WARNING
    :param kwargs: for the logger (oslo.log's ``instance=``)
    """
    for line in lines or ():
        write = {'info': logger.info, 'warning': logger.warning,
                 'error': logger.error}.get(line.get('level'),
                                            logger.warning)
        write('%s%s', prefix, line.get('message'), **kwargs)


def libvirt_connection_pointer(conn):
    """Return the virConnectPtr of a python-libvirt connection, or None.

    python-libvirt keeps the pointer in ``conn._o``, a PyCapsule named
    ``virConnectPtr``. Nova wraps the connection in an eventlet
    ``tpool.Proxy`` in eventlet mode (the real object is ``_obj``). A
    connection that is not a real libvirt one (fakelibvirt in tests) has no
    capsule and gives None, in which case the library opens its own
    connection.
    """
    if conn is None:
        return None
    conn = getattr(conn, '_obj', conn)
    capsule = getattr(conn, '_o', None)
    if capsule is None or type(capsule).__name__ != 'PyCapsule':
        return None
    # A private prototype, so that we do not change the restype/argtypes of
    # the process-wide ctypes.pythonapi function other code may use.
    get_pointer = ctypes.PYFUNCTYPE(
        ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
        ('PyCapsule_GetPointer', ctypes.pythonapi))
    try:
        return get_pointer(capsule, b'virConnectPtr')
    except ValueError:
        return None


class Library(object):
    """The loaded libdirtyring.so."""

    def __init__(self, path):
        self.path = path
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            raise LibraryError(path, 'cannot load the dirty ring library: %s'
                               % ' '.join(str(e).split()))
        if not hasattr(lib, 'dr_abi_version'):
            raise LibraryError(path, 'not a dirty ring library: it does not '
                               'export dr_abi_version')
        missing = [name for name in REQUIRED_FUNCTIONS
                   if not hasattr(lib, name)]
        if missing:
            raise LibraryError(
                path, 'the dirty ring library does not export %s; install '
                'the library that came with this driver'
                % ', '.join(missing))
        try:
            self._declare(lib)
        except AttributeError as e:
            raise LibraryError(path, 'not a dirty ring library: %s' % e)
        version = lib.dr_abi_version()
        if version != ABI_VERSION:
            raise LibraryError(
                path, 'ABI version %d, this driver needs version %d; '
                'install the library that came with this driver'
                % (version, ABI_VERSION))
        self._lib = lib

    @staticmethod
    def _declare(lib):
        lib.dr_abi_version.argtypes = []
        lib.dr_abi_version.restype = ctypes.c_uint32
        lib.dr_context_open.argtypes = [
            ctypes.c_char_p, ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_void_p)]
        lib.dr_context_open.restype = ctypes.c_void_p
        lib.dr_context_close.argtypes = [ctypes.c_void_p]
        lib.dr_context_close.restype = None
        lib.dr_host_probe.argtypes = [ctypes.c_void_p]
        lib.dr_host_probe.restype = ctypes.c_void_p
        for name in ('dr_dirty_rate_measure', 'dr_ring_qualify'):
            func = getattr(lib, name)
            func.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            func.restype = ctypes.c_void_p
        for name in ('dr_config_check', 'dr_ring_decide',
                     'dr_destination_check', 'dr_source_check',
                     'dr_kvm_element',
                     'dr_migration_forecast', 'dr_precheck_decide'):
            func = getattr(lib, name)
            func.argtypes = [ctypes.c_char_p]
            func.restype = ctypes.c_void_p
        lib.dr_notifier_open.argtypes = [ctypes.c_char_p,
                                         ctypes.POINTER(ctypes.c_void_p)]
        lib.dr_notifier_open.restype = ctypes.c_void_p
        for name in ('dr_notify',):
            func = getattr(lib, name)
            func.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            func.restype = ctypes.c_void_p
        lib.dr_notifier_status.argtypes = [ctypes.c_void_p]
        lib.dr_notifier_status.restype = ctypes.c_void_p
        lib.dr_notifier_close.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        lib.dr_notifier_close.restype = ctypes.c_void_p
        lib.dr_string_free.argtypes = [ctypes.c_void_p]
        lib.dr_string_free.restype = None
        lib.dr_migration_watch_start.argtypes = [
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_void_p)]
        lib.dr_migration_watch_start.restype = ctypes.c_void_p
        lib.dr_migration_watch_status.argtypes = [ctypes.c_void_p]
        lib.dr_migration_watch_status.restype = ctypes.c_void_p
        lib.dr_migration_watch_stop.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32]
        lib.dr_migration_watch_stop.restype = ctypes.c_void_p
        lib.dr_throttles_lift_leftovers.argtypes = [ctypes.c_void_p,
                                                    ctypes.c_void_p]
        lib.dr_throttles_lift_leftovers.restype = ctypes.c_void_p

    def _take_string(self, pointer):
        """Copy a returned string and release it."""
        if not pointer:
            return None
        try:
            return ctypes.string_at(pointer).decode('utf-8')
        finally:
            self._lib.dr_string_free(pointer)

    def _result(self, pointer, function):
        return self._parse_result(self._take_string(pointer), function)

    def _parse_result(self, text, function):
        if text is None:
            raise NativeError('internal', '%s returned NULL' % function)
        try:
            document = json.loads(text)
        except ValueError as e:
            raise NativeError('internal',
                              '%s returned invalid JSON: %s' % (function, e))
        if not isinstance(document, dict):
            raise NativeError('internal',
                              '%s returned %r' % (function, document))
        if 'error' in document:
            raise _error_from_document(document['error'])
        if 'ok' not in document:
            raise NativeError('internal',
                              '%s returned %r' % (function, document))
        return document['ok']

    def _call_json(self, function, request):
        payload = json.dumps(request).encode('utf-8')
        return self._result(getattr(self._lib, function)(payload), function)

    # Pure functions: fast, no I/O, called directly.

    def config_check(self, config, host=None):
        """Validate ``config`` (against ``host`` when given).

        :returns: {"config", "offers_ring", "max_size"}
        :raises: InvalidConfig (or another NativeError)
        """
        return self._call_json('dr_config_check',
                               {'config': config, 'host': host})

    def ring_decide(self, config, host, flavor_extra_specs, image_properties):
        """:returns: {"enabled", "size", "source", "reason"}"""
        return self._call_json('dr_ring_decide', {
            'config': config,
            'host': host,
            'flavor_extra_specs': flavor_extra_specs,
            'image_properties': image_properties,
        })

    def destination_check(self, config, host, host_name, instance_ring_size):
        """:returns: {"allowed", "reason"}"""
        return self._call_json('dr_destination_check', {
            'config': config,
            'host': host,
            'host_name': host_name,
            'instance_ring_size': instance_ring_size,
        })

    def source_check(self, host, host_name, instance_ring_size,
                     allow_unqualified):
        """:returns: {"allowed", "reason"}"""
        return self._call_json('dr_source_check', {
            'host': host,
            'host_name': host_name,
            'instance_ring_size': instance_ring_size,
            'allow_unqualified': allow_unqualified,
        })

    def kvm_element(self, kvm_xml, ring_size):
        """:returns: the single ``<kvm>`` element XML, with the ring."""
        result = self._call_json('dr_kvm_element',
                                 {'kvm_xml': kvm_xml, 'ring_size': ring_size})
        return result['kvm_xml']

    def migration_forecast(self, memory_mib, dirty_rate, bandwidth,
                           max_downtime_ms, deadline_seconds):
        """Forecast a pre-copy live migration (pure).

        Rates and bandwidth in MiB/s.

        :returns: the forecast document of dirtyring.h
        """
        return self._call_json('dr_migration_forecast', {
            'memory_mib': memory_mib,
            'dirty_rate_megabytes_per_second': dirty_rate,
            'bandwidth_megabytes_per_second': bandwidth,
            'max_downtime_ms': max_downtime_ms,
            'deadline_seconds': deadline_seconds,
        })

    def precheck_decide(self, action, measurement, libvirt,
                        assumed_bandwidth, no_timeout_deadline):
        """Decide what the pre-flight check does with a measurement (pure).

        :param action: "warn", "throttle" or "reject"
        :param measurement: a measurement document of dirtyring.h
        :param libvirt: Nova's live_migration_bandwidth, _downtime and
            _completion_timeout, keyed by those names
        :param assumed_bandwidth: MiB/s when Nova's bandwidth is 0
        :param no_timeout_deadline: seconds when Nova's timeout is 0
        :returns: {"verdict": "accept"|"throttle"|"reject",
                   "forecast": forecast, "bounds": {...}, "reason": one line}
        """
        return self._call_json('dr_precheck_decide', {
            'action': action,
            'measurement': measurement,
            'libvirt': libvirt,
            'assumed_bandwidth_megabytes_per_second': assumed_bandwidth,
            'no_timeout_deadline_seconds': no_timeout_deadline,
        })

    # Blocking functions.

    def _open_handle(self, function, *args):
        """Call a ``dr_*_open`` function; the handle, or its error raised."""
        error = ctypes.c_void_p()
        handle = getattr(self._lib, function)(*args, ctypes.byref(error))
        if not handle:
            text = self._take_string(error.value)
            if text is None:
                raise NativeError('internal',
                                  '%s failed without an error' % function)
            try:
                document = json.loads(text)
            except ValueError:
                raise NativeError('internal', text)
            raise _error_from_document(document.get('error'))
        if error.value:
            self._take_string(error.value)
        return handle

    def open_context(self, config, libvirt_connection=None):
        """Open a context (may connect to libvirt: blocking).

        :param config: {"libvirt_uri", "kvm_device", "timeout_seconds"}
        :param libvirt_connection: a virConnectPtr (int) to share, or None
        """
        payload = json.dumps(config).encode('utf-8')
        handle = run_blocking(self._open_handle, 'dr_context_open', payload,
                              libvirt_connection)
        return Context(self, handle)

    def open_notifier(self, config):
        """Open the notifier (spool and background publisher).

        Does not wait for the broker; creates the spool directory.

        :param config: the dr_notifier_open document of dirtyring.h
        :raises: InvalidConfig naming the option
        """
        payload = json.dumps(config).encode('utf-8')
        return Notifier(self, self._open_handle('dr_notifier_open', payload))


class Context(object):
    """An open dr_context (a libvirt connection and its host)."""

    def __init__(self, library, handle):
        self._library = library
        self._handle = handle
        self._lock = threading.Lock()

    def probe(self):
        """Probe the host (blocking, bounded by timeout_seconds).

        :returns: the host document of dirtyring.h
        """
        with self._lock:
            if not self._handle:
                raise NativeError('internal', 'context is closed')
            lib = self._library._lib
            pointer = run_blocking(lib.dr_host_probe, self._handle)
        return self._library._result(pointer, 'dr_host_probe')

    def qualify(self, kernel_path, ring_size):
        """Qualify this host's dirty ring of ``ring_size`` entries (blocking).

        Takes a few minutes (each step bounded by the library). Holds the
        context for that long: use a context of its own.

        :returns: the qualification document of dirtyring.h
        """
        request = json.dumps({'kernel_path': kernel_path,
                              'ring_size': ring_size}).encode('utf-8')
        with self._lock:
            if not self._handle:
                raise NativeError('internal', 'context is closed')
            lib = self._library._lib
            pointer = run_blocking(lib.dr_ring_qualify, self._handle,
                                   request)
        return self._library._result(pointer, 'dr_ring_qualify')

    def measure(self, domains, seconds, mode='auto'):
        """Measure the dirty rate of running guests (blocking).

        Bounded by ``seconds`` plus the context's timeout_seconds. Goes
        through :func:`run_blocking`, like the probe.

        :param domains: names or UUIDs of the domains
        :returns: one entry per domain, in order: a measurement document,
            or the :class:`NativeError` of that domain
        """
        request = json.dumps({'domains': list(domains), 'seconds': seconds,
                              'mode': mode}).encode('utf-8')
        with self._lock:
            if not self._handle:
                raise NativeError('internal', 'context is closed')
            lib = self._library._lib
            pointer = run_blocking(lib.dr_dirty_rate_measure, self._handle,
                                   request)
        result = self._library._result(pointer, 'dr_dirty_rate_measure')
        entries = result.get('measurements') if isinstance(
            result, dict) else None
        if not isinstance(entries, list) or len(entries) != len(domains):
            raise NativeError('internal', 'dr_dirty_rate_measure returned '
                              '%r for %d domains' % (result, len(domains)))
        out = []
        for entry in entries:
            if isinstance(entry, dict) and 'ok' in entry:
                out.append(entry['ok'])
            elif isinstance(entry, dict) and 'error' in entry:
                out.append(_error_from_document(entry['error']))
            else:
                out.append(NativeError(
                    'internal', 'dr_dirty_rate_measure returned %r' % entry))
        return out

    def watch_migration(self, request, notifier=None):
        """Start watching a guest's outgoing migration (blocking, bounded).

        :param request: the dr_migration_watch_start document of dirtyring.h
        :param notifier: a :class:`Notifier` for the throttle notifications,
            or None
        :returns: a :class:`MigrationWatch`
        """
        payload = json.dumps(request).encode('utf-8')
        with self._lock:
            if not self._handle:
                raise NativeError('internal', 'context is closed')
            handle = run_blocking(
                self._library._open_handle, 'dr_migration_watch_start',
                self._handle, _notifier_handle(notifier), payload)
        return MigrationWatch(self._library, handle)

    def lift_leftover_throttles(self, notifier=None):
        """Lift the dirty-limits an earlier run left (blocking, bounded).

        :returns: [{"instance_uuid", "result", "message"}]
        """
        with self._lock:
            if not self._handle:
                raise NativeError('internal', 'context is closed')
            pointer = run_blocking(
                self._library._lib.dr_throttles_lift_leftovers, self._handle,
                _notifier_handle(notifier))
        return self._library._result(pointer, 'dr_throttles_lift_leftovers')

    def close(self):
        with self._lock:
            handle, self._handle = self._handle, None
        if handle:
            self._library._lib.dr_context_close(handle)


def _notifier_handle(notifier):
    return None if notifier is None else notifier._handle


class _ReleasedOnce(object):
    """A native handle that one blocking call releases (close or stop).

    ``_live()`` gives the handle, or raises once it is released;
    ``_release()`` makes that call at most once and returns its result.
    """

    GONE = 'released'

    def __init__(self, library, handle):
        self._library = library
        self._handle = handle
        self._lock = threading.Lock()

    def _live(self):
        handle = self._handle
        if not handle:
            raise NativeError('invalid_request', 'the %s' % self.GONE)
        return handle

    def _call(self, function, *args):
        """A non-blocking call on the live handle; its result."""
        pointer = getattr(self._library._lib, function)(self._live(), *args)
        return self._library._result(pointer, function)

    def _release(self, function, timeout, *args):
        """The releasing call, bounded by ``timeout`` s; None if done."""
        with self._lock:
            handle, self._handle = self._handle, None
        if not handle:
            return None
        milliseconds = max(0, min(int(timeout * 1000), 600000))
        pointer = run_blocking(getattr(self._library._lib, function), handle,
                               *(args + (milliseconds,)))
        return self._library._result(pointer, function)


class MigrationWatch(_ReleasedOnce):
    """A running dr_migration_watch."""

    GONE = 'watch is stopped'

    def status(self):
        """The plan, latest reading and throttle; hands over log lines."""
        return self._call('dr_migration_watch_status')

    def stop(self, result, timeout):
        """Stop and lift every throttle (blocking, bounded).

        :param result: "completed", "failed" or "aborted"
        :returns: the report of dirtyring.h, or None when already stopped
        """
        return self._release('dr_migration_watch_stop', timeout,
                             result.encode('utf-8'))


_NOTIFY_OK = '{"ok": {"messages": '


class Notifier(_ReleasedOnce):
    """An open dr_notifier: queues notifications, never blocks."""

    GONE = 'notifier is closed'

    def notify(self, request):
        """Queue one event; returns the number of messages queued.

        :param request: the dr_notify document (a dict, or its JSON bytes)
        """
        if not isinstance(request, bytes):
            request = json.dumps(request).encode('utf-8')
        text = self._library._take_string(
            self._library._lib.dr_notify(self._live(), request))
        # The usual answer, read without json (the enqueue is the hot path).
        if text and text.startswith(_NOTIFY_OK) and text.endswith('}}'):
            digits = text[len(_NOTIFY_OK):-2]
            if digits.isdigit():
                return int(digits)
        return self._library._parse_result(text, 'dr_notify')['messages']

    def status(self):
        """The notifier's state; hands over its pending log lines."""
        return self._call('dr_notifier_status')

    def close(self, timeout):
        """Stop; wait up to ``timeout`` seconds for the broker's confirms.

        :returns: the final status, or None when already closed
        """
        return self._release('dr_notifier_close', timeout)
