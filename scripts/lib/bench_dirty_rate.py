"""Dirty-rate benchmark: readings of each mode against guests of known rate.

Run by scripts/bench. Talks to libdirtyring.so through its C ABI (ctypes), the
same calls nova-compute makes, and boots guests with scripts/guest.
"""

import ctypes
import json
import os
import re
import statistics
import subprocess
import sys
import time

RATES = (25, 100, 400)        # MiB/s the guests write
WORKING_SET_MIB = 1024        # > rate x period, so exact modes can see the rate
PERIOD = 1                    # seconds, the pre-flight default
GUEST = os.environ['DIRTYRING_GUEST']
ACHIEVED = re.compile(r'achieved=([0-9.]+) MiB/s')


class Library:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        for name in ('dr_dirty_rate_measure', 'dr_precheck_decide'):
            getattr(self.lib, name).restype = ctypes.c_void_p
        self.lib.dr_dirty_rate_measure.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        self.lib.dr_precheck_decide.argtypes = [ctypes.c_char_p]
        self.lib.dr_context_open.restype = ctypes.c_void_p
        self.lib.dr_context_open.argtypes = [
            ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
        self.lib.dr_string_free.argtypes = [ctypes.c_void_p]
        error = ctypes.c_void_p()
        self.context = self.lib.dr_context_open(
            json.dumps({'state_dir': '/tmp/dirtyring-bench-state'}).encode(),
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


def reported_rates(name):
    with open(guest('serial', name), errors='replace') as f:
        return [float(m.group(1)) for m in ACHIEVED.finditer(f.read())]


def read(name, measure):
    """A reading and the guest's own rate over the same seconds."""
    before = len(reported_rates(name))
    started = time.monotonic()
    value = measure()
    elapsed = time.monotonic() - started
    time.sleep(1.2)   # the report for the last second of the window
    during = reported_rates(name)[before:]
    return value, statistics.mean(during) if during else float('nan'), elapsed


def main():
    library = Library(os.environ['DIRTYRING_LIBRARY'])
    rows = []
    preflight = []
    for rate in RATES:
        name = 'dr-bench-%d' % rate
        guest('destroy', name)
        guest('start', name, '--mb', str(WORKING_SET_MIB), '--rate', str(rate))
        try:
            time.sleep(2)   # past the first, partial second
            for mode in ('page-sampling', 'dirty-bitmap'):
                m, truth, _ = read(name, lambda: library.measure(name, mode))
                rows.append((rate, mode, truth, m['megabytes_per_second']))

            def check():
                m = library.measure(name, 'dirty-bitmap')
                return m, library.decide(m)
            (m, decision), truth, elapsed = read(name, check)
            preflight.append((rate, elapsed, decision['ok']['verdict']))
        finally:
            guest('destroy', name)

        name = 'dr-bench-ring-%d' % rate
        guest('destroy', name)
        guest('start', name, '--mb', str(WORKING_SET_MIB), '--rate', str(rate),
              '--ring', '4096')
        try:
            time.sleep(2)
            m, truth, _ = read(name, lambda: library.measure(name, 'dirty-ring'))
            rows.append((rate, 'dirty-ring (1st)', truth,
                         m['megabytes_per_second']))
        except RuntimeError as e:
            rows.append((rate, 'dirty-ring (1st)', float('nan'), str(e)))
        finally:
            guest('destroy', name)

    print()
    print('Dirty-rate readings, %d s period, working set %d MiB '
          '(truth: the rate each guest reports on its serial console '
          'over the same seconds)' % (PERIOD, WORKING_SET_MIB))
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
