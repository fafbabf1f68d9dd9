"""Demo step: one guest's pre-flight check, published as the driver does it.

    demo_notifications.py DOMAIN

Measures DOMAIN (1 s, through the library, as the driver's pre-flight check
does), decides with precheck_action=reject against a 100 MiB/s link and
Nova's default downtime and completion timeout, and publishes
``instance.dirty_rate.measure`` and
``instance.live_migration_precheck.<verdict>`` with Nova-style notification
options (messagingv2, both formats) to the RabbitMQ of DIRTYRING_RABBIT_URL,
on an exchange of its own. A real
oslo.messaging notification listener prints what it receives.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import uuid

import kombu

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'python-shim'))
from nova_dirtyring import native  # noqa: E402

URL = os.environ.get('DIRTYRING_RABBIT_URL',
                     'rabbit://guest:guest@127.0.0.1:5672/')
LISTENER = REPO / 'Tests' / 'NotificationPublisherTests' / 'oslo_listener.py'
NOVA_LIBVIRT = {'live_migration_bandwidth': 100,
                'live_migration_downtime': 500,
                'live_migration_completion_timeout': 800}


def show(notification):
    payload = notification['payload']
    data = payload.get('nova_object.data', payload)
    fields = {k: data[k] for k in ('megabytes_per_second', 'mode', 'verdict',
                                   'reason') if k in data}
    print('%-5s %-42s %-24s %s' % (
        notification['priority'], notification['event_type'],
        notification['publisher_id'],
        payload.get('nova_object.name', 'flat payload')))
    for key, value in fields.items():
        print('      %s: %s' % (key, value))


def main():
    domain = sys.argv[1]
    library = native.Library(str(REPO / '.build' / 'debug' /
                                 'libdirtyring.so'))
    work = tempfile.mkdtemp(prefix='dirtyring-demo-')
    suffix = uuid.uuid4().hex[:8]
    exchange = 'dirtyring_demo_%s' % suffix
    topic, versioned = 'demo_%s' % suffix, 'demo_versioned_%s' % suffix
    try:
        context = library.open_context({'libvirt_uri': 'qemu:///system',
                                        'timeout_seconds': 10,
                                        'state_dir': work})
        [measurement] = context.measure([domain], 1, 'auto')
        context.close()
        if isinstance(measurement, native.NativeError):
            print('measurement failed: %s' % measurement.one_line())
            return 1
        decision = library.precheck_decide('reject', measurement,
                                           NOVA_LIBVIRT, 1250, 600)
        listener = subprocess.Popen(
            [sys.executable, str(LISTENER), URL, exchange, '4', '60', topic,
             versioned], stdout=subprocess.PIPE, text=True)
        notifier = library.open_notifier({
            'host': os.uname().nodename,
            'notifications': {'driver': ['messagingv2'], 'topics': [topic],
                              'notification_format': 'both',
                              'versioned_notifications_topics': [versioned],
                              'control_exchange': exchange},
            'default_transport_url': URL, 'rabbit': {},
            'spool_dir': os.path.join(work, 'spool'),
            'spool_max_bytes': 1 << 24})
        instance = {'uuid': measurement['uuid'], 'tenant_id': 'demo-project',
                    'user_id': 'demo-user'}
        notifier.notify({'event': 'instance.dirty_rate.measure',
                         'instance': instance, 'measurement': measurement})
        notifier.notify({
            'event': ('instance.live_migration_precheck.%s'
                      % decision['verdict']),
            'instance': instance, 'measurement': measurement,
            'precheck': {'action': 'reject', 'action_source': 'host',
                         'decision': decision}})
        status = notifier.close(10)
        print('published %d messages, %d confirmed by the broker'
              % (status['accepted'], status['confirmed']))
        out, _err = listener.communicate(timeout=90)
        print('an oslo.messaging listener received:')
        for line in out.splitlines():
            show(json.loads(line))
        return 0 if listener.returncode == 0 else 1
    finally:
        with kombu.Connection(URL.replace('rabbit://', 'amqp://', 1)) as c:
            channel = c.channel()
            for name in (topic, versioned):
                for priority in ('info', 'warn'):
                    channel.queue_delete('%s.%s' % (name, priority))
            channel.exchange_delete(exchange)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
