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

"""One long-running process of the end-to-end stack, with its log."""

import os
import pathlib
import signal
import subprocess
import time


class ProcessFailed(Exception):
    """A process of the stack exited or did not become ready."""


def session_pids(sid):
    """Pids of every live process in session ``sid``."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            stat = pathlib.Path('/proc', entry, 'stat').read_text()
        except OSError:
            continue
        fields = stat.rsplit(')', 1)[1].split()
        # fields[0] is the state, [2] the process group, [3] the session.
        if int(fields[3]) == sid and fields[0] not in ('Z', 'X'):
            pids.append(int(entry))
    return pids


def rss_kib(pid):
    """Resident memory of ``pid`` in KiB (0 once it is gone)."""
    try:
        for line in pathlib.Path('/proc', str(pid), 'status').open():
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Service:
    """A command started in a session of its own, its output in a log file.

    Stopping ends the whole session (the command and everything it
    started: gunicorn workers, privsep daemons), TERM first, KILL after a
    grace period.
    """

    def __init__(self, name, argv, log_path, env=None, cwd=None):
        self.name = name
        self.argv = list(argv)
        self.log_path = pathlib.Path(log_path)
        self.env = env
        self.cwd = cwd
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open('ab')
        log.write(('--- %s: %s\n' % (time.strftime('%H:%M:%S'),
                                     ' '.join(self.argv))).encode())
        log.flush()
        env = dict(os.environ)
        env.update(self.env or {})
        self.proc = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, cwd=self.cwd,
            start_new_session=True)
        log.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=25):
        try:
            text = self.log_path.read_text(errors='replace')
        except OSError:
            return '(no log)'
        return '\n'.join(text.splitlines()[-lines:])

    def check_alive(self):
        if not self.alive():
            raise ProcessFailed('%s exited (status %s); tail of %s:\n%s' % (
                self.name, self.proc.returncode if self.proc else None,
                self.log_path, self.log_tail()))

    def wait_until(self, ready, timeout, what):
        """Poll ``ready()`` until true; fail if the process exits first."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            if ready():
                return
            if time.monotonic() > deadline:
                raise ProcessFailed('%s: %s within %d s; tail of %s:\n%s' % (
                    self.name, what, timeout, self.log_path,
                    self.log_tail()))
            time.sleep(0.5)

    def rss_kib(self):
        """Resident memory of the whole session, in KiB."""
        if not self.alive():
            return 0
        return sum(rss_kib(p) for p in session_pids(self.proc.pid))

    def kill_main(self):
        """SIGKILL to the main process only, as a crash would end it."""
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def signal(self, sig):
        """Sends sig to every process of the session; False if none."""
        if self.proc is None:
            return False
        pids = session_pids(self.proc.pid)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        self.proc.poll()
        return bool(pids)

    def stop(self, grace=15):
        stop_all([self], grace)


def stop_all(services, grace=15):
    """Ends the sessions of services together: TERM, KILL after grace."""
    running = [s for s in services if s.signal(signal.SIGTERM)]
    deadline = time.monotonic() + grace
    while running and time.monotonic() < deadline:
        time.sleep(0.2)
        running = [s for s in running
                   if session_pids(s.proc.pid) or s.proc.poll() is None]
    for svc in running:
        svc.signal(signal.SIGKILL)
    for svc in running:
        try:
            svc.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
