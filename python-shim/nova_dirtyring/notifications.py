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

"""The driver's notifications: Nova's settings in, the library's log out.

The native notifier (``dr_notifier_*``) encodes, spools and publishes; this
module only hands it Nova's own messaging options and writes its log lines
to nova-compute's log.
"""

import os
import threading

from oslo_config import cfg
from oslo_log import log as logging
import oslo_messaging.opts

from nova_dirtyring import conf as dr_conf
from nova_dirtyring import native

LOG = logging.getLogger(__name__)

# How often the library's log lines are collected, in seconds.
LOG_PUMP_INTERVAL = 5
# How long cleanup_host waits for the broker to confirm what is queued.
CLOSE_TIMEOUT = 5


def register_messaging_opts(conf):
    """Register oslo.messaging's options, as its transport would.

    nova-compute has them once its transports exist; a process (or a test)
    that has not built one yet reads their defaults.
    """
    for group, opts in oslo_messaging.opts.list_opts():
        try:
            conf.register_opts(opts, group=group)
        except cfg.DuplicateOptError:
            pass


def notifier_config(conf, host):
    """The dr_notifier_open document for nova-compute's configuration.

    :param host: the compute service's host name (publisher
        ``compute.<host>``; the default spool is per host)
    """
    register_messaging_opts(conf)
    group = conf.oslo_messaging_notifications
    notifications = {
        'driver': list(group.driver or []),
        'topics': list(group.topics or []),
        'retry': group.retry,
        'notification_format': conf.notifications.notification_format,
        'versioned_notifications_topics': list(
            conf.notifications.versioned_notifications_topics or []),
        'control_exchange': conf.control_exchange,
    }
    if group.transport_url:
        notifications['transport_url'] = group.transport_url
    group_rabbit = conf.oslo_messaging_rabbit
    rabbit = {name: group_rabbit[name] for name in group_rabbit
              if group_rabbit[name] is not None}
    spool_dir = (conf.dirtyring.notification_spool_dir or
                 os.path.join(conf.dirtyring.state_dir, 'notification-spool',
                              host))
    document = {
        'host': host,
        'notifications': notifications,
        'rabbit': rabbit,
        'spool_dir': spool_dir,
        'spool_max_bytes': conf.dirtyring.notification_spool_max_mb << 20,
        'connection_name': 'nova-compute:%d:%s:dirtyring' % (os.getpid(),
                                                             host),
    }
    if conf.transport_url:
        document['default_transport_url'] = conf.transport_url
    return document


def spool_config_error(conf):
    """The invalid notification_spool_max_mb as an InvalidConfig, or None."""
    low, high = dr_conf.SPOOL_MAX_MB_LIMITS
    value = conf.dirtyring.notification_spool_max_mb
    if low <= value <= high:
        return None
    return native.InvalidConfig(
        'invalid_config', 'must be an integer from %d to %d' % (low, high),
        option='[dirtyring] notification_spool_max_mb', value=value)


def write_log(status):
    """Write the library's log lines of a status document to our log."""
    native.write_log(LOG, (status or {}).get('log'))


class Publisher(object):
    """The open native notifier and the thread that collects its log."""

    def __init__(self, notifier):
        self._notifier = notifier
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True,
                                        name='dirtyring-notifier-log')
        self._thread.start()

    def _pump(self):
        while not self._stop.wait(LOG_PUMP_INTERVAL):
            self.collect_log()

    def collect_log(self):
        try:
            write_log(self._notifier.status())
        except native.NativeError as e:
            LOG.debug('Cannot read the notifier status: %s', e)

    def status(self):
        return self._notifier.status()

    @property
    def notifier(self):
        """The :class:`native.Notifier`, for the library's notifications."""
        return self._notifier

    def notify(self, request):
        """Queue one notification; never raises, never blocks."""
        try:
            self._notifier.notify(request)
        except native.NativeError as e:
            LOG.warning('Notification %s not sent: %s', request.get('event'),
                        e.one_line())

    def close(self):
        self._stop.set()
        status = self._notifier.close(CLOSE_TIMEOUT)
        write_log(status)
        if status and status.get('pending'):
            LOG.info('%d notification messages not confirmed by the broker '
                     'stay in %s for the next start', status['pending'],
                     status.get('spool_dir'))
        return status
