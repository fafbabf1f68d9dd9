"""Dirty-rate benchmark: readings of each mode against guests of known rate.

Run by scripts/bench. Talks to libdirtyring.so through the product's own
binding (nova_dirtyring.native: the calls nova-compute makes) and boots guests
with scripts/guest. ``--smoke``: one guest rate, a small working set (the
test suite runs it so that the benchmark cannot rot).
"""

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

from nova_dirtyring import native

RATES = (25, 100, 400)        # MiB/s the guests write
WORKING_SET_MIB = 1024  # > rate x period: exact modes see it
PERIOD = 1                    # seconds, the pre-flight default
GUEST = os.environ['DIRTYRING_GUEST']
PAGES = re.compile(r'achieved=[0-9.]+ MiB/s pages=([0-9]+)')
# Nova's [libvirt] defaults, as the driver passes them to the pre-flight.
NOVA_LIBVIRT = {'live_migration_bandwidth': 0,
                'live_migration_downtime': 500,
                'live_migration_completion_timeout': 800}


class Library:
    """The measurement and pre-flight calls, as the driver makes them."""

    def __init__(self, path, state_dir):
        self.library = native.Library(path)
        self.context = self.library.open_context({'state_dir': state_dir})

    def measure(self, domain, mode):
        [result] = self.context.measure([domain], PERIOD, mode)
        if isinstance(result, native.NativeError):
            raise RuntimeError(result.one_line())
        return result

    def decide(self, measurement):
        return self.library.precheck_decide(
            'warn', measurement, NOVA_LIBVIRT, 1250, 600)


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


def booted(name, rate, working_set, *extra):
    """Start a guest and follow its serial clock."""
    guest('destroy', name)
    guest('start', name, '--mb', str(working_set), '--rate', str(rate),
          *extra)
    clock = SerialClock(guest('serial', name))
    clock.start()
    time.sleep(2.5)   # past the first, partial second
    return clock


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--smoke', action='store_true',
                   help='one rate, a 64 MiB working set: that it runs')
    args = p.parse_args(argv)
    rates = RATES[:1] if args.smoke else RATES
    working_set = 64 if args.smoke else WORKING_SET_MIB
    library = Library(os.environ['DIRTYRING_LIBRARY'], tempfile.mkdtemp(
        prefix='dirtyring-bench-state-'))
    rows = []
    preflight = []
    for rate in rates:
        name = 'dr-bench-%d' % rate
        clock = booted(name, rate, working_set)
        try:
            for mode in ('page-sampling', 'dirty-bitmap'):
                m, truth, _ = read(clock, lambda: library.measure(name, mode))
                rows.append((rate, mode, truth, m['megabytes_per_second']))

            def check():
                m = library.measure(name, 'dirty-bitmap')
                return m, library.decide(m)
            (m, decision), truth, elapsed = read(clock, check)
            preflight.append((rate, elapsed, decision['verdict']))
        finally:
            clock.stop.set()
            guest('destroy', name)

        # A ring guest, measured as the product measures it: through the ring
        # only where this host qualified it (the benchmark's fresh state_dir
        # holds no verdict, so auto estimates by page sampling and an
        # explicit ring read is refused, with the reason).
        name = 'dr-bench-ring-%d' % rate
        clock = booted(name, rate, working_set, '--ring', '4096')
        try:
            m, truth, _ = read(clock, lambda: library.measure(name, 'auto'))
            rows.append((rate, 'ring guest, auto: %s' % m['mode'], truth,
                         m['megabytes_per_second']))
            try:
                library.measure(name, 'dirty-ring')
                rows.append((rate, 'dirty-ring', float('nan'),
                             'read although not qualified'))
            except RuntimeError as e:
                rows.append((rate, 'dirty-ring', float('nan'), str(e)))
        finally:
            clock.stop.set()
            guest('destroy', name)

    print()
    print('Dirty-rate readings, %d s period, working set %d MiB (truth: '
          'what the guest reports writing on its serial console, over the '
          'same host-time window)' % (PERIOD, working_set))
    print('%-8s %-32s %12s %12s %8s' % (
        'target', 'mode', 'truth MiB/s', 'read MiB/s', 'error'))
    for rate, mode, truth, value in rows:
        if isinstance(value, str):
            print('%-8s %-32s %12s %12s %8s  %s' % (
                rate, mode, '-', '-', '-', value))
            continue
        error = ((value - truth) / truth * 100 if truth and
                 not math.isnan(truth) else float('nan'))
        print('%-8s %-32s %12.1f %12.1f %+7.1f%%' % (
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
    if any(value == 'read although not qualified' for *_, value in rows):
        sys.exit('a ring was read on a host that never qualified it')


if __name__ == '__main__':
    main()
