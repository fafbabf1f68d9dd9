"""Notification benchmark: our publisher against oslo.messaging's Notifier.

Both publish the same event (``instance.dirty_rate.measure``, unversioned,
driver messagingv2) to the same RabbitMQ, each on a topic and exchange of its
own, with publisher confirms (oslo's rabbit driver sets kombu's
``confirm_publish``). Reported for each: notifications per second, from the
first call until the broker confirmed the last one (ours: the status says
so; oslo: each call returns after its confirm), and the latency of the call
Nova makes (ours: the enqueue, ``Notifier.notify`` of the shim's binding;
oslo: ``Notifier.info``).

Environment: DIRTYRING_RELEASE_LIBRARY, DIRTYRING_RABBIT_URL,
BENCH_NOTIFICATIONS (ours, default 20000), BENCH_OSLO_NOTIFICATIONS
(oslo, default 2000).
"""

import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import kombu
from oslo_config import cfg
import oslo_messaging

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..',
                                'python-shim'))
from nova_dirtyring import native  # noqa: E402

URL = os.environ.get('DIRTYRING_RABBIT_URL',
                     'rabbit://guest:guest@127.0.0.1:5672/')
LIBRARY = os.environ['DIRTYRING_RELEASE_LIBRARY']
OURS = int(os.environ.get('BENCH_NOTIFICATIONS', '20000'))
OSLO = int(os.environ.get('BENCH_OSLO_NOTIFICATIONS', '2000'))


def measurement(number):
    return {'domain': 'instance-%08x' % number, 'uuid': 'i-%d' % number,
            'mode': 'dirty-bitmap', 'period_seconds': 1,
            'megabytes_per_second': 12.5, 'vcpu_megabytes_per_second': [],
            'memory_mib': 2048, 'vcpus': 2, 'ring_size': 0,
            'measured_at': '2026-11-28T07:00:00Z'}


def broker_cpu_seconds():
    """CPU time RabbitMQ's Erlang VM (beam.smp) used so far; None if absent."""
    try:
        pid = subprocess.run(['pgrep', '-o', 'beam.smp'], capture_output=True,
                             text=True).stdout.split()[0]
        with open('/proc/%s/stat' % pid) as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except (IndexError, OSError, ValueError):
        return None


def percentiles(latencies):
    latencies = sorted(latencies)
    n = len(latencies)
    return (latencies[n // 2] / 1000.0, latencies[n * 99 // 100] / 1000.0,
            latencies[-1] / 1000.0)


def cleanup(queue, exchange):
    with kombu.Connection(URL.replace('rabbit://', 'amqp://', 1)) as conn:
        channel = conn.channel()
        channel.queue_delete(queue)
        channel.exchange_delete(exchange)


def ours():
    topic = 'drbench_%s' % uuid.uuid4().hex[:8]
    spool = tempfile.mkdtemp(prefix='dirtyring-bench-')
    try:
        notifier = native.Library(LIBRARY).open_notifier({
            'host': 'bench', 'default_transport_url': URL,
            'notifications': {'driver': ['messagingv2'], 'topics': [topic],
                              'control_exchange': topic},
            'rabbit': {}, 'spool_dir': spool, 'spool_max_bytes': 256 << 20})
        requests = [json.dumps({
            'event': 'instance.dirty_rate.measure',
            'instance': {'uuid': 'i-%d' % k, 'tenant_id': 'p',
                         'user_id': 'u'},
            'measurement': measurement(k)}).encode() for k in range(OURS)]
        # Connected and the route declared before timing.
        notifier.notify(requests[0])
        while notifier.status()['confirmed'] < 1:
            time.sleep(0.01)
        latencies = []
        gc.disable()  # the harness's own garbage, not the call, for both
        started = time.perf_counter()
        for request in requests:
            before = time.perf_counter_ns()
            notifier.notify(request)
            latencies.append(time.perf_counter_ns() - before)
        enqueued = time.perf_counter() - started
        gc.enable()
        while notifier.status()['confirmed'] < OURS + 1:
            time.sleep(0.002)
        elapsed = time.perf_counter() - started
        status = notifier.close(10)
        cleanup(topic + '.info', topic)
        return OURS, elapsed, enqueued, percentiles(latencies), status
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def oslo():
    topic = 'oslobench_%s' % uuid.uuid4().hex[:8]
    oslo_messaging.set_transport_defaults(control_exchange=topic)
    conf = cfg.ConfigOpts()
    conf([])
    transport = oslo_messaging.get_notification_transport(conf, url=URL)
    notifier = oslo_messaging.Notifier(
        transport, publisher_id='compute.bench', driver='messagingv2',
        topics=[topic])
    payloads = [dict({'instance_uuid': 'i-%d' % k, 'tenant_id': 'p',
                      'user_id': 'u', 'host': 'bench'}, **measurement(k))
                for k in range(OSLO)]
    notifier.info({}, 'instance.dirty_rate.measure', payloads[0])
    latencies = []
    gc.disable()
    started = time.perf_counter()
    for payload in payloads:
        before = time.perf_counter_ns()
        notifier.info({}, 'instance.dirty_rate.measure', payload)
        latencies.append(time.perf_counter_ns() - before)
    elapsed = time.perf_counter() - started
    gc.enable()
    transport.cleanup()
    cleanup(topic + '.info', topic)
    return OSLO, elapsed, elapsed, percentiles(latencies), None


def measured(run):
    before = broker_cpu_seconds()
    result = run()
    after = broker_cpu_seconds()
    broker = (after - before) if None not in (before, after) else float('nan')
    return result + (broker,)


def main():
    rows = [('oslo.messaging Notifier (baseline)',) + measured(oslo),
            ('nova-dirtyring notifier',) + measured(ours)]
    print('notifications: the same event, same broker, confirms on')
    print('%-36s %8s %12s %10s %10s %10s %14s' % (
        'publisher', 'count', 'per second', 'p50 us', 'p99 us', 'max us',
        'broker us/msg'))
    for name, count, elapsed, _enqueued, (p50, p99, worst), _s, broker \
            in rows:
        print('%-36s %8d %12.0f %10.1f %10.1f %10.1f %14.1f' % (
            name, count, count / elapsed, p50, p99, worst,
            broker * 1e6 / count))
    baseline = rows[0][1] / rows[0][2]
    mine = rows[1][1] / rows[1][2]
    print('throughput: %.1fx oslo.messaging; enqueue p99 %.1f us '
          '(goals: >= 10x, < 20 us)' % (mine / baseline, rows[1][4][1]))


if __name__ == '__main__':
    main()
