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

"""One live migration under the library's convergence controller.

The library watches the migration on its own thread, sets the dirty-limit
and sends the throttle notifications; this module adds what only the caller
can do: start the migration with auto-converge when the plan says so, ask
for Nova's force-complete when the library raises it, write the library's
log lines, and stop the watch (which lifts every throttle) when the
migration ends.
"""

import threading

from oslo_log import log as logging

from nova_dirtyring import native

LOG = logging.getLogger(__name__)

# libvirt's VIR_MIGRATE_AUTO_CONVERGE and its migration parameters
# (libvirt-domain.h), without importing libvirt here.
VIR_MIGRATE_AUTO_CONVERGE = 1 << 13
VIR_MIGRATE_POSTCOPY = 1 << 15
PARAM_AUTO_CONVERGE_INITIAL = 'auto_converge.initial'
PARAM_AUTO_CONVERGE_INCREMENT = 'auto_converge.increment'

# Upper bound of a stop, in seconds (the library adds its own libvirt
# timeout for each of its two QMP commands).
STOP_TIMEOUT = 5.0
POLL_SECONDS = 0.5
RESULTS = ('completed', 'failed', 'aborted')


class ConvergenceRun(object):
    """The library's watch of one migration, and what the caller does for it.

    :param context: an open :class:`native.Context` on the source's libvirt
    :param request: the dr_migration_watch_start document
    :param force_complete: called (once, without arguments) when the
        library asks for Nova's force-complete
    :param notifier: a :class:`native.Notifier` for the throttle
        notifications, or None
    :param instance: for log lines (oslo.log's ``instance=``), or None
    """

    def __init__(self, context, request, force_complete, notifier=None,
                 instance=None):
        self._context = context
        self._request = request
        self._force_complete = force_complete
        self._notifier = notifier
        self._instance = instance
        self._watch = None
        self._plan = None
        self._forced = False
        self._report = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    @property
    def plan(self):
        """The library's plan.

        {"method", "reason", "auto_converge", "fallback", "fallback_reason"}:
        ``fallback`` takes over when ``method`` shows no effect.
        """
        self.start()
        return self._plan

    def start(self):
        """Start the library's watch (once); the migration may follow."""
        with self._lock:
            if self._watch is not None:
                return
            self._watch = self._context.watch_migration(
                self._request, self._notifier)
            status = self._watch.status()
            self._plan = status['plan']
        self._write_log(status.get('log'))

    def migration_additions(self, flags, params):
        """The migration's flags and params with what the plan adds.

        Auto-converge is added when the plan asks for it, unless the flags
        already enable it or post-copy.
        """
        plan = self.plan
        start = plan.get('auto_converge')
        if not start or flags & (VIR_MIGRATE_AUTO_CONVERGE |
                                 VIR_MIGRATE_POSTCOPY):
            return flags, params
        params = dict(params)
        params[PARAM_AUTO_CONVERGE_INITIAL] = start['initial_percent']
        params[PARAM_AUTO_CONVERGE_INCREMENT] = start['increment_percent']
        LOG.info('Live migration starts with auto-converge at %d %%, '
                 '+%d %% a step: %s', start['initial_percent'],
                 start['increment_percent'], plan.get('reason'),
                 instance=self._instance)
        return flags | VIR_MIGRATE_AUTO_CONVERGE, params

    def poll(self):
        """Write the library's new log lines; ask for force-complete once.

        Never blocks on libvirt.
        """
        watch = self._watch
        if watch is None:
            return None
        try:
            status = watch.status()
        except native.NativeError:
            return None  # stopped meanwhile
        self._write_log(status.get('log'))
        if status.get('force_complete') and not self._forced:
            self._forced = True
            try:
                self._force_complete()
            except Exception as e:
                LOG.warning('Cannot force the live migration to complete: '
                            '%s', e, instance=self._instance)
        return status

    def poll_in_background(self, interval=POLL_SECONDS):
        """Call :meth:`poll` every ``interval`` s until :meth:`finish`."""
        self.start()

        def loop():
            while not self._stopping.wait(interval):
                self.poll()

        threading.Thread(target=loop, name='dirtyring-converge',
                         daemon=True).start()

    def finish(self, result):
        """Stop the watch and lift every throttle (once; bounded).

        :param result: how the migration ended: completed, failed, aborted
        :returns: the library's report, or None when it never started
        """
        if result not in RESULTS:
            raise ValueError('result must be one of %s' % ', '.join(RESULTS))
        self._stopping.set()
        with self._lock:
            watch, self._watch = self._watch, None
        if watch is None:
            return self._report
        self._drain_log(watch)
        report = watch.stop(result, STOP_TIMEOUT)
        self._report = report
        self._write_log(report.get('log'))
        if report.get('method') != 'none':
            log = LOG.info if report.get('removed') else LOG.error
            log('Live migration %s; throttle %s %s', result,
                report.get('method'),
                'lifted' if report.get('removed') else 'NOT lifted: %s'
                % (report.get('error') or {}).get('message'),
                instance=self._instance)
        return report

    def _drain_log(self, watch):
        """Write the log lines gathered since the last poll."""
        try:
            self._write_log(watch.status().get('log'))
        except native.NativeError:
            pass

    def _write_log(self, lines):
        native.write_log(LOG, lines, 'Convergence: ', instance=self._instance)


class _DomainWithAdditions(object):
    """A libvirt domain whose migrateToURI3 gets the run's additions."""

    def __init__(self, domain, run):
        self._domain = domain
        self._run = run

    def __getattr__(self, name):
        return getattr(self._domain, name)

    def migrateToURI3(self, dconnuri, params, flags=0):
        flags, params = self._run.migration_additions(flags, params)
        return self._domain.migrateToURI3(dconnuri, params=params,
                                          flags=flags)


def guest_with_additions(guest, run):
    """Nova's Guest on the same domain, migrating with the run's additions.

    Nova's ``Guest.migrate`` builds the flags and params and calls the
    domain's ``migrateToURI3``; only that call changes.
    """
    from nova.virt.libvirt import guest as libvirt_guest
    return libvirt_guest.Guest(_DomainWithAdditions(guest._domain, run))
