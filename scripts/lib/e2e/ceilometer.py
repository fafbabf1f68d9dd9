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

"""Ceilometer's real notification agent, publishing its samples to a file.

:class:`CeilometerAgent` runs ``ceilometer-agent-notification`` (Ceilometer
27, from the virtualenv of ``python``) against a RabbitMQ with the project's
meter definitions (``etc/ceilometer/meters.d``, meter ``memory.dirty_rate``)
and Ceilometer's own ``data/meters.d``, and a pipeline whose only publisher
is Ceilometer's file publisher (``file://PATH?json``: one JSON sample per
line). Nothing needs Keystone, Gnocchi or a coordination backend.

Files in ``workdir``: ``ceilometer.conf``, ``pipeline.yaml``, ``conf.d/``
(empty, passed as ``--config-dir`` so that no ``/etc/ceilometer`` file is
read), ``agent.log`` (the agent's stdout and stderr, oslo.log included) and
``samples.jsonl`` (appended to across starts: use a fresh ``workdir`` for a
fresh file).

Broker: the agent consumes from the queues ``notifications.<priority>`` (7
priorities), each bound to exchange ``nova`` and Ceilometer's 13 other
default control exchanges with routing key ``notifications.<priority>``.
Ceilometer 27 has no option for a pool (queue name): these are the names
every Ceilometer agent uses and the queues oslo.messaging's notifier itself
declares when it publishes, so any other listener on the same vhost must
listen with a pool of its own, or it shares the messages with the agent.
Messages already waiting in those queues are consumed at start
(:attr:`backlog` counts them). :meth:`stop` deletes the 7 queues unless
someone else consumes from them; the 14 exchanges (not durable) stay, as
does whatever a publisher declares afterwards.
"""

import collections.abc
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import kombu

from e2e import process

AGENT = 'ceilometer-agent-notification'
TOPIC = 'notifications'
# The priorities oslo.messaging's notification listener consumes.
PRIORITIES = ('audit', 'critical', 'debug', 'error', 'info', 'sample', 'warn')
REPO = pathlib.Path(__file__).resolve().parents[3]
METERS_DIR = REPO / 'etc' / 'ceilometer' / 'meters.d'
STOP_GRACE = 10
# Log lines that are no fault of the set-up: dogpile.cache loads every
# backend of oslo.cache when Ceilometer makes its in-memory cache, and the
# virtualenv (Ceilometer installed with --no-deps) has no python-memcached.
KNOWN_NOISE = ("Could not load 'oslo_cache.memcache_pool'",)
# Log lines after which the agent runs on but will never consume: a
# pipeline it could not load (its worker then listens with no endpoint).
FATAL = ('Could not load the following pipelines',)


class AgentError(RuntimeError):
    """The agent exited, or was not consuming within the time allowed."""


class CeilometerAgent:
    """One ``ceilometer-agent-notification`` process (and its worker)."""

    def __init__(self, workdir: pathlib.Path, transport_url: str,
                 python: str | None = None, delete_queues: bool = True):
        """Prepare; nothing runs before :meth:`start`.

        :param workdir: directory for the configuration, log and samples
        :param transport_url: oslo.messaging URL (``rabbit://...``)
        :param python: the interpreter of a virtualenv with Ceilometer;
            default: this interpreter
        :param delete_queues: whether :meth:`stop` deletes the agent's
            queues when nobody else consumes from them
        """
        self.workdir = pathlib.Path(workdir).resolve()
        self.transport_url = transport_url
        self.python = python or sys.executable
        self.agent = str(pathlib.Path(self.python).parent / AGENT)
        self.delete_queues = delete_queues
        self.conf_path = self.workdir / 'ceilometer.conf'
        self.conf_dir = self.workdir / 'conf.d'
        self.pipeline_path = self.workdir / 'pipeline.yaml'
        self.log_path = self.workdir / 'agent.log'
        self.samples_path = self.workdir / 'samples.jsonl'
        self.queues = tuple('%s.%s' % (TOPIC, p) for p in PRIORITIES)
        #: seconds from :meth:`start` until the agent consumed (last start)
        self.start_seconds = None
        #: seconds from SIGTERM until the process group was gone (last stop)
        self.stop_seconds = None
        #: messages waiting in the agent's queues just before it started
        self.backlog = None
        #: queues :meth:`stop` deleted, and the ones it left (in use)
        self.queues_deleted = []
        self.queues_left = []
        self._proc = None
        self._stopped = False
        self._log_offset = 0
        self._hwm = {}
        self._memory_checked = 0.0

    # -- process ---------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The agent's main (cotyledon master) pid, or None."""
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        """Whether the main process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """Exit status of the main process (None while it runs)."""
        return self._proc.poll() if self._proc else None

    def start(self, timeout: float = 60) -> None:
        """Write the configuration, start the agent, wait until it consumes.

        Ready means every queue ``notifications.<priority>`` has more
        consumers than before the start: oslo.messaging declares all the
        agent's exchanges, queues and bindings before it starts consuming.

        :raises AgentError: the agent exited or was not ready in ``timeout``
            seconds (then it is stopped); the message ends with the log tail
        """
        if self.running:
            raise AgentError('the agent is already running (pid %d)'
                             % self.pid)
        if not os.path.exists(self.agent):
            raise AgentError('no %s next to %s' % (AGENT, self.python))
        started = time.monotonic()
        self._stopped = False
        self._hwm = {}
        self.start_seconds = self.stop_seconds = None
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._write_configuration()
        with self._connection() as connection:
            before = self._queue_stats(connection)
            self.backlog = sum(s[0] for s in before.values() if s)
            with open(self.log_path, 'ab') as log:
                self._log_offset = log.tell()
                log.write(('--- %s: %s starting\n' % (
                    time.strftime('%Y-%m-%d %H:%M:%S'), AGENT)).encode())
                log.flush()
                self._proc = subprocess.Popen(
                    [self.python, self.agent,
                     '--config-file', str(self.conf_path),
                     '--config-dir', str(self.conf_dir)],
                    stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, cwd=str(self.workdir),
                    start_new_session=True, env=self._environment())
            try:
                self._wait_consuming(connection, before, started + timeout)
            except BaseException:
                self.stop()
                raise
        self.start_seconds = time.monotonic() - started
        self.memory()

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it after 10 s; idempotent.

        Then deletes the agent's queues when nobody consumes from them
        (unless ``delete_queues`` is false).
        """
        proc = self._proc
        if proc is None or self._stopped:
            return
        if self._group_pids():
            self.memory()
            began = time.monotonic()
            self._signal_group(signal.SIGTERM)
            deadline = began + STOP_GRACE
            while self._group_pids() and time.monotonic() < deadline:
                proc.poll()
                time.sleep(0.1)
            if self._group_pids():
                self._signal_group(signal.SIGKILL)
                while self._group_pids():
                    proc.poll()
                    time.sleep(0.05)
            self.stop_seconds = time.monotonic() - began
        proc.wait()
        self._stopped = True
        if self.delete_queues:
            self._delete_queues()

    def __enter__(self):
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # -- samples -----------------------------------------------------------

    def samples(self, meter: str | None = 'memory.dirty_rate'
                ) -> list[dict]:
        """The samples published so far, oldest first (all when meter=None).

        Each is Ceilometer's ``Sample.as_dict()``: name, type, unit, volume,
        user_id, project_id, resource_id, timestamp, resource_metadata, ...
        """
        try:
            text = self.samples_path.read_text(encoding='utf-8')
        except FileNotFoundError:
            return []
        found = []
        for line in text.split('\n')[:-1]:  # the last one: being written
            sample = json.loads(line)
            if meter is None or sample.get('name') == meter:
                found.append(sample)
        return found

    def wait_for_samples(self, predicate: collections.abc.Callable,
                         timeout: float, meter: str = 'memory.dirty_rate',
                         count: int = 1) -> list[dict]:
        """Wait for ``count`` samples of ``meter`` for which predicate holds.

        :param predicate: called with each sample (a dict)
        :returns: all matching samples, at least ``count``
        :raises AgentError: the agent exited meanwhile
        :raises TimeoutError: not enough samples after ``timeout`` seconds
        """
        deadline = time.monotonic() + timeout
        while True:
            found = [s for s in self.samples(meter) if predicate(s)]
            if len(found) >= count:
                return found
            if not self.running:
                raise AgentError('%s is not running (status %s); %d of %d '
                                 'samples\n%s' % (AGENT, self.returncode,
                                                  len(found), count,
                                                  self.log_tail()))
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    '%d of %d matching %s samples after %.0f s (%d %s '
                    'samples in all)\n%s' % (
                        len(found), count, meter, timeout,
                        len(self.samples(meter)), meter, self.log_tail()))
            if time.monotonic() - self._memory_checked >= 1:
                self.memory()
            time.sleep(0.2)

    # -- log and resources ---------------------------------------------------

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of ``agent.log``."""
        try:
            text = self.log_path.read_text(encoding='utf-8', errors='replace')
        except FileNotFoundError:
            return '(no %s)' % self.log_path
        return '--- %s (tail) ---\n%s' % (
            self.log_path, '\n'.join(text.splitlines()[-lines:]))

    def log_errors(self) -> list[str]:
        """ERROR, CRITICAL and Traceback lines logged since the last start.

        Known noise (:data:`KNOWN_NOISE`) left out.
        """
        try:
            with open(self.log_path, 'rb') as f:
                f.seek(self._log_offset)
                text = f.read().decode('utf-8', errors='replace')
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines()
                if (' ERROR ' in line or ' CRITICAL ' in line
                    or line.startswith('Traceback'))
                and not any(noise in line for noise in KNOWN_NOISE)]

    def memory(self) -> dict[int, dict]:
        """Memory of the agent's processes now: pid -> name, VmHWM, VmRSS, Pss.

        Sizes in KiB; the worker is forked from the master, so their RSS
        overlap and the sum of their Pss is the group's real share now. Also
        updates :attr:`peak_rss_kib`.
        """
        self._memory_checked = time.monotonic()
        found = {}
        for pid in self._group_pids():
            status = {}
            try:
                with open('/proc/%d/status' % pid) as f:
                    for line in f:
                        key, _, value = line.partition(':')
                        status[key] = value.strip()
            except OSError:
                continue
            if 'VmHWM' not in status:
                continue  # a zombie
            hwm = int(status['VmHWM'].split()[0])
            found[pid] = {'name': status.get('Name', '?'), 'hwm_kib': hwm,
                          'rss_kib': int(status['VmRSS'].split()[0]),
                          'pss_kib': _pss_kib(pid)}
            self._hwm[pid] = max(self._hwm.get(pid, 0), hwm)
        return found

    @property
    def peak_rss_kib(self) -> int:
        """Sum over the agent's processes of their peak RSS (VmHWM), KiB.

        Since the last start, as seen when it got ready, during
        :meth:`wait_for_samples`, at stop and by :meth:`memory`: an upper
        bound of the group's peak (pages shared by master and worker count
        twice).
        """
        return sum(self._hwm.values())

    # -- internals -----------------------------------------------------------

    def _write_configuration(self):
        samples = str(self.samples_path)
        if any(c in samples for c in '?#%'):
            raise ValueError('the file publisher cannot take the path %r'
                             % samples)
        self.conf_dir.mkdir(exist_ok=True)
        self.pipeline_path.write_text(
            '# Written by scripts/lib/e2e/ceilometer.py.\n'
            '---\n'
            'sources:\n'
            '  - name: meter_source\n'
            '    meters: ["*"]\n'
            '    sinks: [meter_file]\n'
            'sinks:\n'
            '  - name: meter_file\n'
            '    publishers:\n'
            '      - file://%s?json\n' % samples)
        dirs = ''.join('meter_definitions_dirs = %s\n' % d
                       for d in (METERS_DIR, self._ceilometer_meters_dir()))
        self.conf_path.write_text(
            '# Written by scripts/lib/e2e/ceilometer.py.\n'
            '[DEFAULT]\n'
            'transport_url = %s\n'
            '# oslo.log to stderr, i.e. to agent.log with the rest.\n'
            'use_stderr = true\n'
            'pipeline_cfg_file = %s\n'
            '\n'
            '[notification]\n'
            '# The sample pipeline only: no event pipeline, event\n'
            '# definitions or event publisher.\n'
            'pipelines = meter\n'
            'workers = 1\n'
            '\n'
            '[meter]\n'
            '# The option replaces its default list: keep Ceilometer\'s own\n'
            '# definitions next to ours.\n'
            '%s'
            '\n'
            '[polling]\n'
            '# No Keystone look-up of user and project names for samples.\n'
            'identity_name_discovery = false\n'
            % (self.transport_url.replace('$', '$$'), self.pipeline_path,
               dirs))
        self.conf_path.chmod(0o600)

    def _wait_consuming(self, connection, before, deadline):
        while True:
            if not self.running:
                raise AgentError('%s exited with status %s before it '
                                 'consumed\n%s' % (AGENT, self.returncode,
                                                   self.log_tail()))
            fatal = [line for line in self.log_errors()
                     if any(f in line for f in FATAL)]
            if fatal:
                raise AgentError('%s will not consume: %s\n%s' % (
                    AGENT, fatal[0], self.log_tail()))
            now = self._queue_stats(connection)
            if all(now[q] and now[q][1] > (before[q] or (0, 0))[1]
                   for q in self.queues):
                return
            if time.monotonic() >= deadline:
                raise AgentError('%s not consuming from all of %s in time'
                                 '\n%s' % (AGENT, ', '.join(self.queues),
                                           self.log_tail()))
            time.sleep(0.25)

    def _ceilometer_meters_dir(self):
        out = subprocess.run(
            [self.python, '-c', 'import importlib.util; '
             'print(importlib.util.find_spec("ceilometer").origin)'],
            check=True, capture_output=True, text=True).stdout.strip()
        return pathlib.Path(out).parent / 'data' / 'meters.d'

    @staticmethod
    def _environment():
        env = dict(os.environ)
        # Prints (jsonpath-rw-ext has one) in order with the log lines.
        env['PYTHONUNBUFFERED'] = '1'
        # oslo.service imports eventlet, which warns on stderr that it is
        # deprecated (8 lines at each start).
        env['PYTHONWARNINGS'] = ','.join(filter(None, [
            env.get('PYTHONWARNINGS'),
            'ignore::Warning:oslo_service.backend._eventlet.loopingcall']))
        return env

    def _connection(self):
        url = self.transport_url.replace('rabbit://', 'amqp://', 1)
        return kombu.Connection(url, connect_timeout=10)

    def _queue_stats(self, connection):
        """Queue name -> (messages, consumers), None for a missing queue."""
        stats = {}
        for name in self.queues:
            channel = connection.channel()
            try:
                ok = channel.queue_declare(queue=name, passive=True)
                stats[name] = (ok.message_count, ok.consumer_count)
            except connection.channel_errors:
                stats[name] = None
            finally:
                try:
                    channel.close()
                except Exception:
                    pass
        return stats

    def _delete_queues(self):
        self.queues_deleted, self.queues_left = [], []
        try:
            with self._connection() as connection:
                for name in self.queues:
                    channel = connection.channel()
                    try:
                        channel.queue_delete(queue=name, if_unused=True)
                        self.queues_deleted.append(name)
                    except connection.channel_errors:
                        self.queues_left.append(name)
                    finally:
                        try:
                            channel.close()
                        except Exception:
                            pass
        except Exception as e:  # the broker is gone: say so, stop anyway
            self.queues_left = [q for q in self.queues
                                if q not in self.queues_deleted]
            print('e2e.ceilometer: could not delete queues %s: %s'
                  % (', '.join(self.queues_left), e), file=sys.stderr)

    def _group_pids(self):
        """Live members of the agent's session (its own process group)."""
        if self._proc is None:
            return []
        return process.session_pids(self._proc.pid)

    def _signal_group(self, signum):
        try:
            os.killpg(self._proc.pid, signum)
        except ProcessLookupError:
            pass


def _pss_kib(pid):
    """Proportional set size of a process in KiB (None if unreadable)."""
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                if line.startswith('Pss:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None
