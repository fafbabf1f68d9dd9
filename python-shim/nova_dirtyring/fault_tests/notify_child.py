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

"""A publisher process for the fault tests: nova-compute's notifier alone.

Loads libdirtyring.so through the shim's binding, opens the notifier on a
spool directory and queues measure notifications for instances
``i-<first>`` to ``i-<first+count-1>`` at ``rate`` per second, timing each
enqueue call: its wall time, and how long of it the thread was blocked (off
the CPU without waiting for one: wall time minus the thread's CPU time and
its run-queue wait; a 2-core machine shared with RabbitMQ preempts threads
for milliseconds, which is not blocking). Prints one JSON line per thousand,
then
``{"done": true, ...}``; with ``--wait-confirmed`` it then waits until the
broker confirmed every message it holds and closes the notifier, otherwise
it sleeps until killed.
"""

import argparse
import json
import os
import sys
import time

from nova_dirtyring import native


def measure_request(number):
    return json.dumps({
        'event': 'instance.dirty_rate.measure',
        'instance': {'uuid': 'i-%d' % number, 'tenant_id': 'project',
                     'user_id': 'user'},
        'measurement': {
            'domain': 'instance-%08x' % number, 'uuid': 'i-%d' % number,
            'mode': 'dirty-bitmap', 'period_seconds': 1,
            'megabytes_per_second': 12.5 + number,
            'vcpu_megabytes_per_second': [], 'memory_mib': 1024, 'vcpus': 1,
            'ring_size': 0, 'measured_at': '2026-11-28T07:00:00Z'},
    }).encode('utf-8')


def run_queue_wait(fd):
    """Nanoseconds the calling thread has waited for a CPU (schedstat)."""
    return int(os.pread(fd, 128, 0).split()[1])


def timed_notify(notifier, request, stat):
    """Queue ``request``: (wall ns, blocked ns) of the call.

    Blocked: the wall time minus the thread's CPU time
    (CLOCK_THREAD_CPUTIME_ID, exact for the running thread, unlike
    schedstat's tick-updated sum) and its run-queue wait (``stat``: its
    open /proc/thread-self/schedstat).
    """
    wait_before = run_queue_wait(stat)
    cpu_before = time.thread_time_ns()
    before = time.perf_counter_ns()
    notifier.notify(request)
    wall = time.perf_counter_ns() - before
    cpu = time.thread_time_ns() - cpu_before
    wait = run_queue_wait(stat) - wait_before
    return wall, max(0, wall - cpu - wait)


def say(document):
    print(json.dumps(document), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--library', required=True)
    parser.add_argument('--config', required=True,
                        help='the dr_notifier_open document (JSON)')
    parser.add_argument('--first', type=int, default=0)
    parser.add_argument('--count', type=int, default=0)
    parser.add_argument('--rate', type=float, default=1000.0)
    parser.add_argument('--wait-confirmed', type=float, default=0.0,
                        help='seconds to wait for every confirm, then close')
    args = parser.parse_args()

    library = native.Library(args.library)
    notifier = library.open_notifier(json.loads(args.config))
    requests = [measure_request(args.first + k) for k in range(args.count)]
    latencies = []
    blocked = []
    worst = (0, 0.0)  # the most blocked call: (ns, monotonic time at its end)
    stat = os.open('/proc/thread-self/schedstat', os.O_RDONLY)
    started = time.monotonic()
    for k, request in enumerate(requests):
        due = started + k / args.rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        wall, off_cpu = timed_notify(notifier, request, stat)
        latencies.append(wall)
        blocked.append(off_cpu)
        if off_cpu > worst[0]:
            worst = (off_cpu, time.monotonic())
        if (k + 1) % 1000 == 0:
            say({'sent': k + 1})
    latencies.sort()
    blocked.sort()
    status = notifier.status()
    say({'done': True, 'sent': len(requests),
         'max_enqueue_us': latencies[-1] / 1000.0 if latencies else 0,
         'p99_enqueue_us': (latencies[len(latencies) * 99 // 100] / 1000.0
                            if latencies else 0),
         'max_blocked_us': blocked[-1] / 1000.0 if blocked else 0,
         'blocked_over_1ms': sum(1 for b in blocked if b > 1000000),
         'max_blocked_at': worst[1],
         'status': status})
    if args.wait_confirmed <= 0:
        while True:
            time.sleep(3600)
    deadline = time.monotonic() + args.wait_confirmed
    while time.monotonic() < deadline:
        status = notifier.status()
        if status['pending'] == 0:
            break
        time.sleep(0.2)
    say({'closed': True, 'status': notifier.close(10)})
    return 0


if __name__ == '__main__':
    sys.exit(main())
