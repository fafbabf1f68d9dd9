"""Dirty-rate benchmark: readings of each mode against guests of known rate.

Run by scripts/bench. Talks to libdirtyring.so through its C ABI (ctypes), the
same calls nova-compute makes, and boots guests with scripts/guest.
"""

import ctypes
import json
import os
import re
import subprocess
import sys
import threading
import time

RATES = (25, 100, 400)        # MiB/s the guests write
WORKING_SET_MIB = 1024  # > rate x period: exact modes see it
PERIOD = 1                    # seconds, the pre-flight default
GUEST = os.environ['DIRTYRING_GUEST']
PAGES = re.compile(r'achieved=[0-9.]+ MiB/s pages=([0-9]+)')
STATE_DIR = '/tmp/dirtyring-bench-state'


class Library:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        for name in ('dr_dirty_rate_measure', 'dr_precheck_decide'):
            getattr(self.lib, name).restype = ctypes.c_void_p
        self.lib.dr_dirty_rate_measure.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p]
        self.lib.dr_precheck_decide.argtypes = [ctypes.c_char_p]
        self.lib.dr_context_open.restype = ctypes.c_void_p
        self.lib.dr_context_open.argtypes = [
            ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
        self.lib.dr_string_free.argtypes = [ctypes.c_void_p]
        error = ctypes.c_void_p()
        self.context = self.lib.dr_context_open(
            json.dumps({'state_dir': STATE_DIR}).encode(),
            None, ctypes.byref(error))
        if not self.context:
            sys.exit('dr_context_open: %s' % self._take(error.value))

    def _take(self, pointer):
        text = ctypes.string_at(pointer).decode()
        self.lib.dr_string_free(pointer)
        return json.loads(text)

    def measure(self, domain, mode):
        request = {'domains': [domain], 'seconds': PERIOD, 'mode': mode}
        doc = self._take(self.lib.dr_dirty_rate_measure(
            self.context, json.dumps(request).encode()))
        if 'error' in doc:
            raise RuntimeError(doc['error']['message'])
        entry = doc['ok']['measurements'][0]
        if 'error' in entry:
            raise RuntimeError(entry['error']['message'])
        return entry['ok']

    def decide(self, measurement):
        request = {'action': 'warn', 'measurement': measurement,
                   'bandwidth_megabytes_per_second': 1250,
                   'max_downtime_ms': 500, 'deadline_seconds': 800}
        return self._take(self.lib.dr_precheck_decide(
            json.dumps(request).encode()))


def guest(*args):
    return subprocess.run([GUEST, *args], check=True, text=True,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout.strip()


class SerialClock(threading.Thread):
    """The guest's cumulative page writes against host time, from its serial.

    The guest prints the pages it wrote in each of its seconds; the host time
    each line appears at is the end of that second. Interpolating between
    lines gives how much it wrote in any host-time window.
    """

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.points = []          # (host monotonic time, cumulative pages)
        self.stop = threading.Event()

    def run(self):
        offset, total, pending = 0, 0, ''
        while not self.stop.is_set():
            with open(self.path, errors='replace') as f:
                f.seek(offset)
                chunk = f.read()
                offset = f.tell()
            now = time.monotonic()
            pending += chunk
            *lines, pending = pending.split('\n')
            for line in lines:
                match = PAGES.search(line)
                if match:
                    total += int(match.group(1))
                    self.points.append((now, total))
            time.sleep(0.01)

    def pages_at(self, moment):
        for (t0, p0), (t1, p1) in zip(self.points, self.points[1:]):
            if t0 <= moment <= t1:
                return p0 + (p1 - p0) * (moment - t0) / (t1 - t0)
        raise ValueError('no serial report around that moment')

    def rate(self, start, end):
        """MiB/s the guest wrote between two host times."""
        deadline = time.monotonic() + 5
        while (not self.points or self.points[-1][0] < end) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        pages = self.pages_at(end) - self.pages_at(start)
        return pages * 4096 / 2 ** 20 / (end - start)


def read(clock, measure):
    """A reading, the guest's own rate over the same window, the wall time."""
    started = time.monotonic()
    value = measure()
    elapsed = time.monotonic() - started
    try:
        truth = clock.rate(started, started + PERIOD)
    except ValueError:
        truth = float('nan')
    return value, truth, elapsed


def booted(name, rate, *extra):
    """Start a guest and follow its serial clock."""
    guest('destroy', name)
    guest('start', name, '--mb', str(WORKING_SET_MIB), '--rate', str(rate),
          *extra)
    clock = SerialClock(guest('serial', name))
    clock.start()
    time.sleep(2.5)   # past the first, partial second
    return clock


def main():
    library = Library(os.environ['DIRTYRING_LIBRARY'])
    rows = []
    preflight = []
    for rate in RATES:
        name = 'dr-bench-%d' % rate
        clock = booted(name, rate)
        try:
            for mode in ('page-sampling', 'dirty-bitmap'):
                m, truth, _ = read(clock, lambda: library.measure(name, mode))
                rows.append((rate, mode, truth, m['megabytes_per_second']))

            def check():
                m = library.measure(name, 'dirty-bitmap')
                return m, library.decide(m)
            (m, decision), truth, elapsed = read(clock, check)
            preflight.append((rate, elapsed, decision['ok']['verdict']))
        finally:
            clock.stop.set()
            guest('destroy', name)

        # A fresh ring guest, and the host's selftest verdict reset: the
        # product refuses ring readings once the ring has stalled a vCPU here.
        name = 'dr-bench-ring-%d' % rate
        if os.path.exists(os.path.join(STATE_DIR, 'ring-selftest.json')):
            os.unlink(os.path.join(STATE_DIR, 'ring-selftest.json'))
        clock = booted(name, rate, '--ring', '4096')
        try:
            m, truth, _ = read(clock, lambda: library.measure(
                name, 'dirty-ring'))
            rows.append((rate, 'dirty-ring (1st)', truth,
                         m['megabytes_per_second']))
        except RuntimeError as e:
            rows.append((rate, 'dirty-ring (1st)', float('nan'), str(e)))
        finally:
            clock.stop.set()
            guest('destroy', name)

    print()
    print('Dirty-rate readings, %d s period, working set %d MiB (truth: '
          'what the guest reports writing on its serial console, over the '
          'same host-time window)' % (PERIOD, WORKING_SET_MIB))
    print('%-8s %-17s %12s %12s %8s' % (
        'target', 'mode', 'truth MiB/s', 'read MiB/s', 'error'))
    for rate, mode, truth, value in rows:
        if isinstance(value, str):
            print('%-8s %-17s %12.1f %12s %8s  %s' % (
                rate, mode, truth, '-', '-', value))
            continue
        error = (value - truth) / truth * 100 if truth else float('nan')
        print('%-8s %-17s %12.1f %12.1f %+7.1f%%' % (
            rate, mode, truth, value, error))
    print()
    print('Pre-flight wall time (dr_dirty_rate_measure + dr_precheck_decide, '
          'dirty-bitmap) against its %d s measurement period (baseline)'
          % PERIOD)
    print('%-8s %10s %10s %10s %8s' % (
        'target', 'period s', 'wall s', 'added s', 'verdict'))
    for rate, elapsed, verdict in preflight:
        print('%-8s %10.2f %10.2f %10.2f %8s' % (
            rate, PERIOD, elapsed, elapsed - PERIOD, verdict))


if __name__ == '__main__':
    main()
