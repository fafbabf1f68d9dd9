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

"""The notifier through broker outages, a crash and a memory alarm.

Real RabbitMQ (started by scripts/test), real publisher processes loading
the release library; the broker is stopped and started with rabbitmqctl.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import kombu
import testtools

from nova_dirtyring.fault_tests import notify_child
from nova_dirtyring import native
from nova_dirtyring.tests import dr_fixtures

RABBIT_URL = dr_fixtures.RABBIT_URL
CHILD = os.path.join(os.path.dirname(__file__), 'notify_child.py')
# "Blocked" is wall time minus the thread's CPU time and run-queue wait: it
# also counts the time the hypervisor takes this VM's vCPU away (steal: the
# nested-KVM test machines show it in /proc/stat), which the thread cannot
# see. perf sched shows no off-CPU event of the thread in such a call. So a
# handful of outliers are tolerated, none long; a lock or any I/O on the
# enqueue path would block thousands of calls.
BLOCKED_OUTLIERS = 3
BLOCKED_CEILING_US = 20000.0


def release_library():
    return os.environ.get('DIRTYRING_RELEASE_LIBRARY') or str(
        dr_fixtures.REPO_ROOT / '.build' / 'release' / 'libdirtyring.so')


def rabbitmqctl(*args, timeout=120):
    return subprocess.run(['rabbitmqctl', '-q'] + list(args), check=True,
                          capture_output=True, text=True, timeout=timeout)


def broker_up(timeout=120):
    """Start the RabbitMQ application and wait until it takes connections."""
    rabbitmqctl('start_app', timeout=timeout)
    rabbitmqctl('await_startup', timeout=timeout)


def notifier_config(spool_dir, topic, **rabbit):
    options = {'heartbeat_timeout_threshold': 10, 'rabbit_retry_interval': 1,
               'rabbit_retry_backoff': 1, 'rabbit_interval_max': 2,
               'amqp_durable_queues': True}
    options.update(rabbit)
    return {
        'host': 'cmp-faults',
        'notifications': {'driver': ['messagingv2'], 'topics': [topic],
                          'control_exchange': topic},
        'default_transport_url': RABBIT_URL,
        'rabbit': options,
        'spool_dir': spool_dir,
        'spool_max_bytes': 64 << 20,
        'connection_name': 'dirtyring-fault-tests',
    }


def drain(queue_name, expected, timeout=60):
    """The bodies in a queue (until expected read or none for 3 s)."""
    bodies = []
    deadline = time.monotonic() + timeout
    with kombu.Connection(dr_fixtures.amqp_url()) as connection:
        channel = connection.channel()
        idle_since = time.monotonic()
        while time.monotonic() < deadline:
            message = channel.basic_get(queue_name, no_ack=True)
            if message is None:
                if len(bodies) >= expected or \
                        time.monotonic() - idle_since > 3:
                    break
                time.sleep(0.05)
                continue
            idle_since = time.monotonic()
            bodies.append(message.body)
    return bodies


def instances_and_unique_ids(bodies):
    """instance uuid -> set of _unique_id, from oslo 2.0 envelopes."""
    seen = {}
    for body in bodies:
        envelope = json.loads(body)
        message = json.loads(envelope['oslo.message'])
        seen.setdefault(message['payload']['instance_uuid'], set()).add(
            message['_unique_id'])
    return seen


class Child(object):
    """A notify_child.py process and its JSON lines."""

    def __init__(self, test, config, first=0, count=0, rate=1000.0,
                 wait_confirmed=0.0):
        self.process = subprocess.Popen(
            [sys.executable, CHILD, '--library', release_library(),
             '--config', json.dumps(config), '--first', str(first),
             '--count', str(count), '--rate', str(rate),
             '--wait-confirmed', str(wait_confirmed)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        test.addCleanup(self.kill)

    def read_until(self, key, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(
                    'publisher process ended (rc=%s): %s' % (
                        self.process.wait(), self.process.stderr.read()))
            document = json.loads(line)
            if key in document:
                return document
        raise AssertionError('no %r from the publisher within %s s'
                             % (key, timeout))

    def kill(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


class BrokerFaultTestCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        if not os.path.exists(release_library()):
            self.fail('%s not built (scripts/test builds it)'
                      % release_library())
        self.spool_dir = tempfile.mkdtemp(prefix='dirtyring-spool-')
        self.addCleanup(shutil.rmtree, self.spool_dir, True)
        self.topic = 'drfault_%s' % uuid.uuid4().hex[:8]
        self.queue_name = self.topic + '.info'
        # Cleanups run last first: broker up, alarm off, then the queue.
        self.addCleanup(dr_fixtures.delete_broker_objects, [self.queue_name],
                        self.topic)
        self.addCleanup(rabbitmqctl, 'set_vm_memory_high_watermark', '0.4')
        self.addCleanup(broker_up)

    def test_broker_stop_restart_and_publisher_crash_lose_nothing(self):
        count = 10000
        config = notifier_config(self.spool_dir, self.topic)
        first = Child(self, config, count=count, rate=800)
        first.read_until('sent')  # 1000 queued: the broker takes them
        first.read_until('sent')
        first.read_until('sent')
        rabbitmqctl('stop_app')
        done = first.read_until('done')
        time.sleep(1)  # the spooler writes within a millisecond
        # A crash of the publisher while the broker is down.
        first.kill()
        # Never blocked (waiting for a lock, the disk or the broker) for 1 ms;
        # the wall time also counts preemption by RabbitMQ and rabbitmqctl.
        self.assertLessEqual(done['blocked_over_1ms'], BLOCKED_OUTLIERS, done)
        self.assertLess(done['max_blocked_us'], BLOCKED_CEILING_US, done)
        self.assertLess(done['p99_enqueue_us'], 1000.0, done)
        self.assertEqual(count, done['status']['accepted'])
        self.assertGreater(done['status']['pending'], 0,
                           'the broker was down: messages must wait')
        broker_up()

        second = Child(self, config, wait_confirmed=120)
        closed = second.read_until('closed', timeout=180)['status']
        self.assertGreater(closed['recovered'], 0)
        self.assertEqual(0, closed['pending'], closed)
        self.assertEqual(0, closed['dropped'], closed)

        seen = instances_and_unique_ids(drain(self.queue_name, count))
        missing = set('i-%d' % k for k in range(count)) - set(seen)
        self.assertEqual(set(), missing,
                         '%d of %d notifications lost' % (len(missing),
                                                          count))
        # A message sent twice keeps its _unique_id: oslo drops the copy.
        self.assertEqual([], [k for k, ids in seen.items() if len(ids) != 1])

    def test_memory_alarm_never_blocks_notify(self):
        library = native.Library(release_library())
        notifier = library.open_notifier(
            notifier_config(self.spool_dir, self.topic))
        self.addCleanup(notifier.close, 5)
        request = notify_child.measure_request(0)
        notifier.notify(request)
        self._wait(lambda s: s['confirmed'] == 1 and s.get('broker'),
                   notifier, 'connected and confirmed')

        rabbitmqctl('set_vm_memory_high_watermark', '0.0000001')
        self._wait(lambda s: self._alarm_active(), notifier, 'memory alarm')
        blocked = []
        stat = os.open('/proc/thread-self/schedstat', os.O_RDONLY)
        self.addCleanup(os.close, stat)
        for _ in range(2000):
            blocked.append(notify_child.timed_notify(notifier, request,
                                                     stat)[1])
            time.sleep(0.0005)
        status = self._wait(lambda s: s['blocked'], notifier,
                            'connection.blocked')
        # Never blocked 1 ms (preemption on 2 busy cores is not counted).
        self.assertLessEqual(sum(1 for b in blocked if b > 1000000),
                             BLOCKED_OUTLIERS, sorted(blocked)[-5:])
        self.assertLess(max(blocked) / 1000.0, BLOCKED_CEILING_US)
        self.assertLess(status['confirmed'], status['accepted'])
        rabbitmqctl('set_vm_memory_high_watermark', '0.4')
        status = self._wait(lambda s: s['pending'] == 0, notifier,
                            'everything confirmed after the alarm', 60)
        self.assertFalse(status['blocked'])
        self.assertEqual(2001, status['confirmed'])
        self.assertEqual(2001, len(drain(self.queue_name, 2001)))

    @staticmethod
    def _alarm_active():
        out = rabbitmqctl('eval', 'rabbit_alarm:get_alarms().').stdout
        return 'memory' in out

    def _wait(self, predicate, notifier, what, timeout=30):
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            status = notifier.status()
            if predicate(status):
                return status
            time.sleep(0.1)
        self.fail('no %s within %s s: %r' % (what, timeout, status))
