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

"""Starts the stack, runs the scenarios, prints the table, stops it all.

Run by ``scripts/e2e`` (which installs, builds and brings the two libvirt
hosts and RabbitMQ up first):

    python -m e2e.run --repo DIR --verdict FILE --transport-url URL
        [--keep-logs]

Exit status 0 only when every scenario saw what it expects.
"""

import argparse
import json
import logging
import pathlib
import signal
import subprocess
import sys
import threading
import time
import warnings

# oslo.service's eventlet backend warns on import; nothing here uses it.
warnings.filterwarnings('ignore', module='oslo_service.backend._eventlet')

from e2e import api  # noqa: E402
from e2e import ceilometer  # noqa: E402
from e2e import listener  # noqa: E402
from e2e import scenarios  # noqa: E402
from e2e import stack  # noqa: E402


def host_info(repo, name):
    out = subprocess.check_output([str(repo / 'scripts' / 'hosts'), 'info',
                                   name], text=True)
    return dict(line.split('=', 1) for line in out.splitlines() if line)


def ring_offered(repo, host):
    """What the product's own probe says of the host with its verdict."""
    out = subprocess.check_output([
        str(repo / '.build' / 'debug' / 'dirtyring-cli'), 'probe',
        '--json', '--connect', host.uri,
        '--state-dir', str(host.dirtyring_state_dir())], text=True)
    return json.loads(out)['dirty_ring']['offered']


class MemorySampler(threading.Thread):
    """Peak resident memory of the stack's processes, every 2 s."""

    def __init__(self, stack, agent):
        super().__init__(daemon=True)
        self.stack = stack
        self.agent = agent
        self.peak_kib = 0
        self.peak_by_service = {}
        self._stop = threading.Event()

    def run(self):
        while not self._stop.wait(2):
            sizes = self.stack.rss_kib()
            if self.agent.running:
                sizes['ceilometer-agent-notification'] = sum(
                    p['rss_kib'] for p in self.agent.memory().values())
            total = sum(sizes.values())
            if total > self.peak_kib:
                self.peak_kib = total
                self.peak_by_service = sizes

    def stop(self):
        self._stop.set()


def print_table(rows):
    width = 34
    print()
    print('%-*s | %-8s | %6s | %s' % (width, 'scenario', 'result',
                                      'seconds', 'expected / seen'))
    print('-' * 100)
    for row in rows:
        print('%-*s | %-8s | %6.1f | expected: %s' % (
            width, row.scenario, 'ok' if row.ok else 'DIFFERS', row.seconds,
            row.expected))
        print('%-*s | %-8s | %6s | seen:     %s' % (
            width, '', '', '', row.seen))
    print()


def terminate(signum, frame):
    raise KeyboardInterrupt('signal %d' % signum)


def main():
    parser = argparse.ArgumentParser(prog='e2e')
    parser.add_argument('--repo', type=pathlib.Path, required=True)
    parser.add_argument('--verdict', type=pathlib.Path, required=True)
    parser.add_argument('--transport-url', required=True)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, terminate)
    repo = args.repo.resolve()
    run_dir = repo / '.build' / 'e2e'
    # The stack's start wipes run_dir; this runner's own log (oslo.messaging's
    # listener, keystoneauth) goes beside it.
    logging.basicConfig(filename=str(run_dir.parent / 'e2e-runner.log'),
                        filemode='w', level=logging.INFO,
                        format='%(asctime)s %(levelname)s %(name)s '
                               '%(message)s')
    hosts = {name: stack.Host(name, host_info(repo, name))
             for name in ('src', 'dst')}
    the_stack = stack.Stack(repo, run_dir, repo / '.venv',
                            repo / '.venv-e2e', args.transport_url, hosts,
                            scenarios.LINK)
    agent = ceilometer.CeilometerAgent(run_dir / 'ceilometer',
                                       args.transport_url)
    notifications = listener.Listener(args.transport_url)
    sampler = MemorySampler(the_stack, agent)
    rows = []
    t0 = time.monotonic()
    try:
        notifications.start()
        cloud = api.Cloud()
        the_stack.start(args.verdict, cloud)
        agent.start()
        sampler.start()
        the_stack.wait_computes(cloud, ('src', 'dst'))
        stack_seconds = time.monotonic() - t0
        offered = ring_offered(repo, hosts['src'])
        run = scenarios.Scenarios(the_stack, cloud, notifications, agent,
                                  offered)
        run.prepare(repo / '.build' / 'guest' / 'guest.elf')
        ring = ('the ring (size 4096)' if offered else
                'no ring (this host\'s qualification does not allow it)')
        run.run(1, 'boot', 'ACTIVE on src; %s in the XML and the trait '
                'alike; serial shows it running' % ring, run.boot_scenario)
        run.run('1b', 'boot, ring required (flavor)', 'dirtyring:ring=on: '
                '%s' % ('ACTIVE with the ring' if offered else
                        'spawn refused by our driver on src, ERROR'),
                run.ring_required, 'ring-on')
        run.run('1c', 'boot, ring and trait required', 'dirtyring:ring=on '
                '+ trait:%s=required: %s' % (
                    scenarios.RING_TRAIT, 'ACTIVE with the ring' if offered
                    else 'no valid host, no compute asked'),
                run.ring_required, 'ring-trait')
        run.run(2, 'calm live migration', 'ACTIVE on dst, migration '
                'completed, running on dst at 5 MiB/s', run.calm_migration)
        run.run('3a', 'pre-flight refusal (flavor)', 'stays ACTIVE on src, '
                'migration error, check event Error with our reason',
                run.refusal, 'busy-reject', 'flavor')
        run.run(4, 'convergence', 'completes on dst with our throttle, no '
                'throttle after, full rate on dst, ours and Nova\'s '
                'notifications', run.convergence)
        run.run('3c', 'pre-flight warn', 'the same busy guest goes (row '
                '4); WARNING in the src log', run.warn_goes)
        run.run(5, 'abort', 'cancelled, ACTIVE on src, no throttle, '
                'throttle.end sent', run.abort)
        run.run(6, 'restart (kill -9)', 'no throttle on any guest; Nova '
                'recovers the record as upstream does', run.restart)
        run.run('3b', 'pre-flight refusal (host-wide)', 'as 3a, from '
                '[dirtyring] precheck_action = reject', run.host_wide_refusal)
        run.run(7, 'telemetry', 'Ceilometer\'s agent turns each measure '
                'into a memory.dirty_rate sample', run.telemetry)
        rows = sorted(run.rows, key=lambda r: r.scenario)
        the_stack.check_alive()
    except KeyboardInterrupt as exc:
        print('e2e: interrupted (%s): stopping everything' % exc,
              file=sys.stderr)
        rows = None
    except Exception as exc:
        print('e2e: the stack failed: %s: %s' % (type(exc).__name__, exc),
              file=sys.stderr)
        print('logs: %s' % the_stack.logs, file=sys.stderr)
        rows = None
    finally:
        sampler.stop()
        t_stop = time.monotonic()
        for stop in (agent.stop, notifications.stop, the_stack.stop):
            try:
                stop()
            except Exception as exc:     # stop the rest regardless
                print('e2e: stop: %s' % exc, file=sys.stderr)
        stop_seconds = time.monotonic() - t_stop
    if rows is None:
        return 1
    print_table(rows)
    print('stack: start %.0f s (%s), stop %.0f s; total %.0f s' % (
        stack_seconds, ', '.join('%s %.0f s' % kv for kv in
                                 the_stack.timings.items()),
        stop_seconds, time.monotonic() - t0))
    print('memory: peak %.0f MiB resident for the services (%s); guests '
          'not counted' % (sampler.peak_kib / 1024, ', '.join(
              '%s %.0f' % (k, v / 1024)
              for k, v in sorted(sampler.peak_by_service.items()))))
    failed = [r for r in rows if not r.ok]
    print('%d scenarios, %d as expected, %d differ' % (
        len(rows), len(rows) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
