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

"""Every notification of the stack, as an oslo.messaging listener gets it.

A real ``oslo_messaging`` notification listener (its own pool, so that it
shares no queue with Ceilometer) on Nova's exchange, for the unversioned
topic ``notifications`` and the versioned ``versioned_notifications``.
"""

import threading
import time

from oslo_config import cfg
import oslo_messaging

UNVERSIONED = 'notifications'
VERSIONED = 'versioned_notifications'


class Notification:
    """One received notification."""

    def __init__(self, priority, publisher_id, event_type, payload,
                 metadata):
        self.priority = priority
        self.publisher_id = publisher_id
        self.event_type = event_type
        self.payload = payload
        self.metadata = metadata
        self.received = time.monotonic()

    @property
    def versioned(self):
        return isinstance(self.payload, dict) and (
            'nova_object.name' in self.payload)

    @property
    def data(self):
        """The payload's fields (a versioned payload's ``.data``)."""
        if self.versioned:
            return self.payload.get('nova_object.data', {})
        return self.payload if isinstance(self.payload, dict) else {}

    def instance_uuid(self):
        data = self.data
        return data.get('instance_uuid') or data.get('uuid') or (
            data.get('instance_id'))

    def __repr__(self):
        return '<%s %s %s>' % (self.event_type, self.publisher_id,
                               'versioned' if self.versioned else
                               'unversioned')


class _Endpoint:
    def __init__(self, sink):
        self._sink = sink

    def _record(self, priority):
        def record(ctxt, publisher_id, event_type, payload, metadata):
            self._sink(Notification(priority, publisher_id, event_type,
                                    payload, metadata))
        return record

    def __getattr__(self, name):
        if name in ('audit', 'debug', 'info', 'warn', 'error', 'critical',
                    'sample'):
            return self._record(name.upper())
        raise AttributeError(name)


class Listener:
    """Collects every notification from start() to stop()."""

    def __init__(self, transport_url, exchange='nova',
                 pool='dirtyring-e2e'):
        conf = cfg.ConfigOpts()
        conf([], project='dirtyring-e2e')
        self._transport = oslo_messaging.get_notification_transport(
            conf, url=transport_url)
        targets = [oslo_messaging.Target(topic=topic, exchange=exchange)
                   for topic in (UNVERSIONED, VERSIONED)]
        self._lock = threading.Lock()
        self._received = []
        self._server = oslo_messaging.get_notification_listener(
            self._transport, targets, [_Endpoint(self._append)],
            executor='threading', pool=pool)

    def _append(self, notification):
        with self._lock:
            self._received.append(notification)

    def start(self):
        self._server.start()

    def stop(self):
        self._server.stop()
        self._server.wait()
        self._transport.cleanup()

    def all(self, event_type=None, instance=None):
        with self._lock:
            found = list(self._received)
        return [n for n in found
                if (event_type is None or n.event_type == event_type) and
                (instance is None or n.instance_uuid() == instance)]

    def wait_for(self, event_type, instance, timeout, versioned=None,
                 after=0.0):
        """The first match received after ``after`` (monotonic clock).

        Raises TimeoutError after timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = [n for n in self.all(event_type, instance)
                     if (versioned is None or n.versioned == versioned) and
                     n.received >= after]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise TimeoutError('no %s%s for %s within %d s' % (
                    '' if versioned is None else
                    ('versioned ' if versioned else 'unversioned '),
                    event_type, instance, timeout))
            time.sleep(0.2)
