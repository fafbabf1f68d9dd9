#!/usr/bin/env python3
"""Generate the oslo.messaging notification fixtures with oslo itself.

Every event of the issue 4 catalogue is sent through a real
``oslo_messaging.Notifier`` (driver ``messagingv2``, rabbit driver over
kombu's in-memory transport); kombu's ``Producer._publish`` is intercepted so
the exact body bytes and AMQP properties oslo hands to the broker are written
to ``<name>.json`` (body, no trailing newline).  ``message_id``,
``_unique_id`` and the timestamp are pinned from ``inputs.json``.

``inputs.json`` holds the inputs (the Swift tests encode the same inputs and
compare byte for byte); ``publish.json`` holds what oslo declared and sent.

Usage: generate.py [OUTPUT_DIR]   (default: this directory)
"""

import datetime
import json
import os
import sys
from unittest import mock
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
HOST = 'cmp-7'
INSTANCE = '6f3a1c2e-9b4d-4e8f-a1b2-c3d4e5f60718'
TENANT = '8d2c4a1f0e9b4c7d8a6b5c4d3e2f1a0b'
USER = 'f1e2d3c4b5a697887766554433221100'
NAMESPACE = 'nova-dirtyring'
VERSION = '1.0'

MEASUREMENT = {
    'instance_uuid': INSTANCE,
    'tenant_id': TENANT,
    'user_id': USER,
    'host': HOST,
    'mode': 'dirty-ring',
    'megabytes_per_second': 120.5,
    'vcpu_megabytes_per_second': [60.25, 60.25],
    'period_seconds': 1,
    'memory_mib': 2048,
    'vcpus': 2,
    'ring_size': 4096,
    'measured_at': '2026-11-28T03:18:09Z',
}


def precheck(action, verdict, reason, converges, limit):
    """A pre-flight payload as the library builds it from its decision."""
    return {
        'instance_uuid': INSTANCE,
        'tenant_id': TENANT,
        'user_id': USER,
        'host': HOST,
        'action': action,
        'action_source': 'host',
        'verdict': verdict,
        'reason': reason,
        'measurement': MEASUREMENT,
        'bandwidth_megabytes_per_second': 100.0,
        'max_downtime_ms': 500.0,
        'deadline_seconds': 1600.0,
        'forecast': {
            'converges': converges,
            'rounds': 4 if converges else 10000,
            'total_seconds': 21.5 if converges else 1600.0,
            'bytes_sent': 2254438400 if converges else 167772160000,
            'downtime_ms': 312.5 if converges else 1205.0,
            'floor_seconds': 20.48,
            'limit_megabytes_per_second': limit,
        },
    }


# (name, event_type, priority, versioned object name, payload)
CATALOGUE = [
    ('dirty_rate_measure', 'instance.dirty_rate.measure', 'INFO',
     'DirtyRateMeasurementPayload', MEASUREMENT),
    ('precheck_accept', 'instance.live_migration_precheck.accept', 'INFO',
     'LiveMigrationPrecheckPayload',
     precheck('warn', 'accept', 'converges in 4 rounds, 21.5 s', True, None)),
    ('precheck_throttle', 'instance.live_migration_precheck.throttle',
     'INFO', 'LiveMigrationPrecheckPayload',
     precheck('throttle', 'throttle',
              'dirty rate 120.5 MB/s > bandwidth 100.0 MB/s', False, 70.5)),
    ('precheck_reject', 'instance.live_migration_precheck.reject', 'WARN',
     'LiveMigrationPrecheckPayload',
     precheck('reject', 'reject', 'never converges: \u00e9t\u00e9 "quoted" '
              '\\ / \u2028 \U0001F680 \x01', False, None)),
    ('throttle_start', 'instance.live_migration_throttle.start', 'INFO',
     'LiveMigrationThrottlePayload', {
         'instance_uuid': INSTANCE, 'tenant_id': TENANT, 'user_id': USER,
         'host': HOST,
         'method': 'dirty-limit',
         'reason': '256 MiB left in round 2, dirtying 100 MiB/s over 40 '
                   'MiB/s: would not converge in the 1573.5 s left; '
                   'dirty-limit 12 MiB/s on each of 2 vCPUs',
         'vcpus': 2, 'dirty_limit_megabytes_per_second': 12.0,
         'auto_converge_percent': None, 'elapsed_seconds': 26.5,
         'remaining_megabytes': 256.0,
         'dirty_rate_megabytes_per_second': 100.0,
         'bandwidth_megabytes_per_second': 40.0,
         'deadline_seconds': 1600.0, 'ineffective_method': None}),
    ('throttle_end', 'instance.live_migration_throttle.end', 'INFO',
     'LiveMigrationThrottlePayload', {
         'instance_uuid': INSTANCE, 'tenant_id': TENANT, 'user_id': USER,
         'host': HOST,
         'method': 'dirty-limit', 'result': 'completed',
         'duration_seconds': 42.0, 'removed': True,
         'reason': 'dirty-limit lifted (cancel-vcpu-dirty-limit), or gone '
                   'with the source QEMU'}),
    ('dirty_ring_fault', 'compute.dirty_ring.fault', 'ERROR',
     'DirtyRingFaultPayload', {
         'instance_uuid': INSTANCE, 'tenant_id': TENANT, 'user_id': USER,
         'host': HOST,
         'operation': 'calc-dirty-rate', 'mode': 'dirty-ring',
         'ring_size': 4096, 'stalled_vcpus': [1], 'error_kind': 'stall',
         'error': 'dirty-ring measurement stopped vCPUs of domain '
                  'instance-0000002a: vCPU 1 stopped running its guest',
         'qualification_state': 'failed'}),
]

TIMESTAMP = '2026-11-28 03:18:10.887256'
TIMESTAMP_ZERO = '2026-11-28 03:18:10'


def inputs():
    """The inputs of every fixture, in a stable order."""
    result = []
    for index, (name, event_type, priority, obj, payload) in \
            enumerate(CATALOGUE):
        for fmt in ('unversioned', 'versioned'):
            seq = len(result) + 1
            if fmt == 'unversioned':
                topic, publisher = 'notifications', 'compute.' + HOST
                body = payload
            else:
                topic = 'versioned_notifications'
                publisher = 'nova-compute:' + HOST
                body = {'nova_object.name': obj,
                        'nova_object.namespace': NAMESPACE,
                        'nova_object.version': VERSION,
                        'nova_object.data': payload}
            result.append({
                'name': '%s.%s' % (name, fmt),
                'topic': topic,
                'publisher_id': publisher,
                'event_type': event_type,
                'priority': priority,
                'payload': body,
                'message_id': str(uuid.UUID(int=seq, version=4)),
                'unique_id': uuid.UUID(int=1000 + seq, version=4).hex,
                # the last one shows Python dropping ".000000"
                'timestamp': (TIMESTAMP_ZERO if index == len(CATALOGUE) - 1
                              and fmt == 'versioned' else TIMESTAMP),
                'driver': 'messagingv2',
            })
    # message format 1.0 (driver "messaging"): the message without envelope
    legacy = dict(result[0], name='dirty_rate_measure.unversioned.v1',
                  driver='messaging',
                  message_id=str(uuid.UUID(int=99, version=4)),
                  unique_id=uuid.UUID(int=1099, version=4).hex)
    result.append(legacy)
    return result


def _parse_timestamp(text):
    fmt = '%Y-%m-%d %H:%M:%S.%f' if '.' in text else '%Y-%m-%d %H:%M:%S'
    return datetime.datetime.strptime(text, fmt)


def publish_with_oslo(item, url=None):
    """Send one notification through oslo.messaging; return what it sent.

    With ``url`` (a rabbit:// transport_url) the message really goes to that
    broker (the identifiers and timestamp still pinned) and None is returned.
    """
    import kombu.messaging
    from oslo_config import cfg
    import oslo_messaging
    from oslo_utils import timeutils

    conf = cfg.ConfigOpts()
    conf([], project='nova')
    oslo_messaging.set_transport_defaults('nova')
    transport = oslo_messaging.get_notification_transport(
        conf, url=url or 'kombu+memory:////')
    captured = []

    def fake_publish(self, body, priority, content_type, content_encoding,
                     headers, properties, routing_key, mandatory, immediate,
                     exchange, declare, *args, **kwargs):
        captured.append({
            'body': body, 'priority': priority,
            'content_type': content_type,
            'content_encoding': content_encoding, 'headers': headers,
            'properties': dict(properties), 'routing_key': routing_key,
            'mandatory': mandatory, 'exchange': exchange})

    message_id = mock.Mock(uuid4=lambda: uuid.UUID(item['message_id']))
    unique_id = mock.Mock(uuid4=lambda: uuid.UUID(hex=item['unique_id']))
    now = _parse_timestamp(item['timestamp'])
    real = mock.patch.object(kombu.messaging.Producer, 'on_return', None)
    try:
        with (real if url else mock.patch.object(
                kombu.messaging.Producer, '_publish', fake_publish)), \
                mock.patch('oslo_messaging.notify.notifier.uuid',
                           message_id), \
                mock.patch('oslo_messaging._drivers.amqp.uuid', unique_id), \
                mock.patch.object(timeutils, 'utcnow', lambda: now):
            notifier = oslo_messaging.Notifier(
                transport, publisher_id=item['publisher_id'],
                driver=item['driver'], topics=[item['topic']])
            method = getattr(notifier, item['priority'].lower())
            method({}, item['event_type'], item['payload'])
    finally:
        transport.cleanup()
    if url:
        return None
    if len(captured) != 1:
        raise RuntimeError('oslo published %d messages for %s'
                           % (len(captured), item['name']))
    sent = captured[0]
    if isinstance(sent['body'], str):
        sent['body'] = sent['body'].encode(sent['content_encoding'])
    return sent


def timestamp_table():
    """Seconds since the epoch, microseconds and str() of the datetime."""
    import random
    rng = random.Random(1128)
    epoch = datetime.datetime(1970, 1, 1)
    rows = [(0, 0), (-1, 999999), (951782400, 0), (951868799, 1),
            (-62135596800, 0), (253402300799, 999999), (4107542400, 0)]
    for _ in range(2000):
        rows.append((rng.randint(-62135596800, 253402300799),
                     rng.choice([0, rng.randint(0, 999999)])))
    lines = []
    for seconds, micros in rows:
        value = epoch + datetime.timedelta(seconds=seconds,
                                           microseconds=micros)
        lines.append('%d %d %s\n' % (seconds, micros, value))
    return ''.join(lines)


def float_table():
    """Doubles as bit patterns with Python's json.dumps text for each."""
    import random
    import struct
    rng = random.Random(20261128)
    values = [0.0, -0.0, 1.0, -1.0, 100.0, 0.1, 0.5, 1e-05, 0.0001,
              1e-4 * 0.99, 1.5e+16, 1e16, 9999999999999998.0, 1e15,
              123456789012345.67, 1e22, 1e23, 5e-324,
              2.2250738585072014e-308, 1.7976931348623157e308,
              float('nan'), float('inf'), float('-inf'), 120.5, 60.25, 1 / 3,
              2 / 3, 0.30000000000000004, 1e-07, 12345678.9, 3.14159e-10]
    for exponent in range(-30, 30):
        values += [10.0 ** exponent, 1.5 * 10.0 ** exponent,
                   -1.234567 * 10.0 ** exponent]
    for _ in range(3000):
        bits = rng.getrandbits(64)
        value = struct.unpack('<d', struct.pack('<Q', bits))[0]
        values.append(value)
        values.append(rng.uniform(-1e6, 1e6))
        values.append(round(rng.uniform(0, 10000), rng.randint(0, 6)))
    lines = []
    for value in values:
        bits = struct.unpack('<Q', struct.pack('<d', value))[0]
        lines.append('%016x %s\n' % (bits, json.dumps(value)))
    return ''.join(lines)


TRANSPORT_URLS = [
    'rabbit://user:pass@h1:5672,user2:pass2@h2:5671/vhost'
    '?ssl=1&heartbeat_timeout_threshold=60',
    'rabbit://nova:s3cr%40t%2C%3F@[::1]:5672,nova:x@[fe80::1]:5671/',
    'rabbit://nova:a%2Fb@h/',
    'rabbit://nova:x@[fe80::1%25eth0]/',
    'rabbit://u:p@h',
    'rabbit://u:p@h/',
    'rabbit://u:p@h//',
    'rabbit://u:p@h/%2F',
    'rabbit://u:p@h/a%252Fb',
    'rabbit://u:p@h/caf%C3%A9',
    'RABBIT://u:p@Host.Example:05672/v',
    'rabbit://h1,h2:5673,[::2]:5674/',
    'rabbit://user@h/',
    'rabbit://:pw@h/',
    'rabbit://u:p:with:colons@h/',
    'rabbit://u:p@with@at@h/',
    'rabbit://u%3Au:p%3Ap@h:0/',
    'rabbit:///',
    'rabbit://',
    'rabbit://u:p@h1,,h2/',
    'rabbit://u:p@2001:db8::1/',
    'kombu://u:p@h/',
    'kombu+amqp://u:p@h/',
    'kombu+memory://u:p@h/',
    'amqp://u:p@h/',
    'rabbit://u:p@h/?ssl=true&ssl_ca_file=%2Fetc%2Fca.pem&ssl=false',
    'rabbit://u:p@h/?amqp_durable_queues=yes&rabbit_quorum_queue=ON'
    '&rabbit_quorum_delivery_limit=5&empty=',
    'rabbit://u:p@h/v?kombu_failover_strategy=shuffle#fragment',
    'rabbit://u:p+q@h/a+b?hostname=a+b',
    'rabbit://u:p@h:99999/',
    'rabbit://u:p@h:abc/',
    'rabbit://u:p@[::1/',
    'rabbit://u:p@[::1]x/',
    'rabbit://u:p@h/?no_such_option=1',
    'rabbit://u:p@h/?ssl=maybe',
    'rabbit://u:p@h/?rabbit_interval_max=0',
    'no-scheme-here',
]


ROUTE_OPTIONS = [
    {},
    {'amqp_durable_queues': 'true'},
    {'amqp_auto_delete': 'true'},
    {'rabbit_ha_queues': 'true'},
    {'rabbit_quorum_queue': 'true', 'rabbit_quorum_delivery_limit': '5',
     'rabbit_quorum_max_memory_length': '10',
     'rabbit_quorum_max_memory_bytes': '3000000000'},
    {'rabbit_quorum_queue': 'true', 'amqp_durable_queues': 'false',
     'amqp_auto_delete': 'true'},
]


def route_table():
    """What oslo declares for a notification under each option set."""
    import kombu.entity
    import kombu.messaging
    from oslo_config import cfg
    import oslo_messaging

    table = []
    for options in ROUTE_OPTIONS:
        declared = []

        def exchange_declare(self, *args, **kwargs):
            declared.append(('exchange', {
                'name': self.name, 'type': self.type,
                'durable': self.durable, 'auto_delete': self.auto_delete,
                'passive': self.passive,
                'arguments': self.arguments or {}}))

        def queue_declare(self, *args, **kwargs):
            declared.append(('queue', {
                'name': self.name, 'durable': self.durable,
                'auto_delete': self.auto_delete, 'exclusive': self.exclusive,
                'arguments': [[k, v] for k, v in
                              (self.queue_arguments or {}).items()],
                'binding_key': self.routing_key,
                'binding_exchange': self.exchange.name}))

        conf = cfg.ConfigOpts()
        conf([], project='nova')
        oslo_messaging.set_transport_defaults('nova')
        query = '&'.join('%s=%s' % item for item in options.items())
        transport = oslo_messaging.get_notification_transport(
            conf, url='kombu+memory:////' + ('?' + query if query else ''))
        try:
            with mock.patch.object(kombu.entity.Exchange, 'declare',
                                   exchange_declare), \
                    mock.patch.object(kombu.entity.Queue, 'declare',
                                      queue_declare), \
                    mock.patch.object(kombu.messaging.Producer, '_publish'):
                notifier = oslo_messaging.Notifier(
                    transport, publisher_id='compute.cmp-7',
                    driver='messagingv2', topics=['notifications'])
                notifier.warn({}, 'compute.dirty_ring.fault', {})
        finally:
            transport.cleanup()
        row = {'options': options}
        for kind, values in declared:
            row.setdefault(kind, values)
        table.append(row)
    return table


def transport_url_table():
    """What oslo (and kombu under it) makes of each transport URL."""
    import kombu
    from oslo_config import cfg
    import oslo_messaging
    from oslo_messaging._drivers import common
    from oslo_messaging._drivers import impl_rabbit
    from oslo_messaging import opts
    conf = cfg.ConfigOpts()
    conf([], project='nova')
    for group, options in opts.list_opts():
        if group == 'oslo_messaging_rabbit':
            conf.register_opts(options, group=group)
    table = []
    for text in TRANSPORT_URLS:
        row = {'url': text}
        try:
            url = oslo_messaging.TransportURL.parse(conf, text)
            if url.transport not in ('rabbit', 'kombu+amqp',
                                     'kombu+pyamqp'):
                raise ValueError('not RabbitMQ')
            proxy = common.ConfigOptsProxy(conf, url, 'oslo_messaging_rabbit')
            rabbit = proxy.oslo_messaging_rabbit
            hosts = url.hosts or [oslo_messaging.transport.TransportHost('')]
            defaults = {} if url.hosts else {
                'default_username': 'guest', 'default_password': 'guest',
                'default_hostname': 'localhost'}
            brokers = []
            for host in hosts:
                kombu_url = impl_rabbit.Connection._transform_transport_url(
                    None, url, host, **defaults)
                connection = kombu.Connection(kombu_url)
                brokers.append({
                    'hostname': connection.hostname or 'localhost',
                    'port': connection.port,
                    'username': connection.userid or 'guest',
                    'password': connection.password or 'guest',
                    'virtual_host': connection.virtual_host})
            row['scheme'] = url.transport
            row['brokers'] = brokers
            row['query'] = [[key, value] for key, value in url.query.items()]
            row['options'] = {name: getattr(rabbit, name) for name in (
                'ssl', 'ssl_ca_file', 'heartbeat_timeout_threshold',
                'amqp_durable_queues', 'rabbit_quorum_queue',
                'rabbit_quorum_delivery_limit', 'kombu_failover_strategy')}
        except Exception as error:
            row['error'] = type(error).__name__
        table.append(row)
    return table


def generate(directory):
    """Write inputs.json, publish.json and one body file per input."""
    items = inputs()
    publish = []
    for item in items:
        sent = publish_with_oslo(item)
        with open(os.path.join(directory, item['name'] + '.json'),
                  'wb') as out:
            out.write(sent['body'])
        body = sent.pop('body')
        sent['name'] = item['name']
        sent['body_bytes'] = len(body)
        publish.append(sent)
    with open(os.path.join(directory, 'transport_urls.json'), 'w') as out:
        json.dump(transport_url_table(), out, indent=1)
        out.write('\n')
    with open(os.path.join(directory, 'routes.json'), 'w') as out:
        json.dump(route_table(), out, indent=1)
        out.write('\n')
    with open(os.path.join(directory, 'timestamps.txt'), 'w') as out:
        out.write(timestamp_table())
    with open(os.path.join(directory, 'floats.txt'), 'w') as out:
        out.write(float_table())
    with open(os.path.join(directory, 'inputs.json'), 'w') as out:
        json.dump(items, out, indent=1)
        out.write('\n')
    with open(os.path.join(directory, 'publish.json'), 'w') as out:
        json.dump(publish, out, indent=1, sort_keys=True)
        out.write('\n')
    return items


def through_broker(url):
    """Every input through oslo.messaging to a real RabbitMQ, read back.

    Each goes to its topic plus a random suffix (same bytes: the topic is not
    in the body); prints one JSON list of {name, body, properties, exchange,
    routing_key} as the broker delivered them.
    """
    import kombu
    suffix = uuid.uuid4().hex[:8]
    results = []
    amqp_url = url.replace('rabbit://', 'amqp://', 1)
    for item in inputs():
        item = dict(item, topic='%s_%s' % (item['topic'], suffix))
        publish_with_oslo(item, url=url)
        queue = '%s.%s' % (item['topic'], item['priority'].lower())
        with kombu.Connection(amqp_url) as connection:
            channel = connection.channel()
            message = channel.basic_get(queue, no_ack=True)
            channel.queue_delete(queue)
        if message is None:
            raise RuntimeError('nothing in %s for %s' % (queue, item['name']))
        properties = message.properties
        results.append({
            'name': item['name'],
            # py-amqp hands a utf-8 body over as str, others as bytes
            'body': (message.body if isinstance(message.body, str)
                     else message.body.decode('ascii')),
            'properties': {k: properties.get(k) for k in (
                'content_type', 'content_encoding', 'delivery_mode',
                'priority', 'headers')},
            'exchange': message.delivery_info['exchange'],
            'routing_key': message.delivery_info['routing_key'][
                :-len(suffix) - len(item['priority']) - 2] + '.' +
            item['priority'].lower()})
    print(json.dumps(results))


if __name__ == '__main__':
    if sys.argv[1:2] == ['--through-broker']:
        through_broker(sys.argv[2])
    else:
        generate(sys.argv[1] if len(sys.argv) > 1 else HERE)
