#!/usr/bin/env python3
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

"""Convergence benchmark: one busy guest, migrated under each policy.

Run by ``scripts/bench converge``. The same test guest (scripts/guest: a
working set rewritten at a fixed rate, in a guest of 1 GiB) is booted fresh
on scripts/hosts' ``src`` for each policy and live-migrated to ``dst`` with
scripts/lib/migrate.py (Nova's flags and params, the link capped), one
policy after another, never two migrations at once:

nova-defaults
    Nova 34's migration monitor with its default ``[libvirt]`` options:
    no auto-converge, the max downtime raised in steps and the job aborted
    after the completion timeout, through Nova's own functions
    (``nova.virt.libvirt.migration.downtime_steps``, ``update_downtime``,
    ``should_trigger_timeout_action``, the driver's ``data_gb``). Nova's
    times are scaled for a bench (``--nova-time-scale``; printed).
nova-auto-converge
    The same with ``live_migration_permit_auto_converge = True``
    (VIR_MIGRATE_AUTO_CONVERGE; QEMU's 20 % then +10 %).
dirtyring
    The same Nova monitor plus our controller
    (``nova_dirtyring.convergence.ConvergenceRun`` over libdirtyring.so):
    its flags and params at the start, ``poll`` every sample (it asks for
    Nova's force-complete, which pauses the guest), ``finish`` at the end.

Each policy is an entry of POLICIES with one interface (:class:`Policy`).
Everything is real (libvirt, KVM, the library); every wait is bounded; the
guests and the hosts are removed at the end, also on failure or Ctrl-C.
Prints a table and the goal line, and writes
``bench-results/converge-<timestamp>.json`` and ``.png``.
"""

import argparse
import datetime
import fcntl
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import types

import migrate

MIB = 1024 * 1024
REPO = pathlib.Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO / 'bench-results'
LOCK = '/run/dirtyring-hosts.lock'  # shared with the two-host tests
VIR_MIGRATE_AUTO_CONVERGE = 1 << 13
GOAL = ('goal: dirtyring converges where nova-defaults does not, '
        'total <= 1.5x floor, guest throughput above nova-auto-converge\'s')


class Run(object):
    """One policy's migration: the guest, its connections, what was seen."""

    def __init__(self, args, hosts, src, dst, kernel, policy):
        self.args = args
        self.hosts = hosts
        self.src = src
        self.dst = dst
        self.policy = policy
        self.name = 'dr-conv-%s-%d' % (policy.name, os.getpid())
        self.kernel = kernel
        self.dom = None
        self.t0 = None
        self.reports = []        # (t since the migration started, guest t,
        #                           achieved MiB/s), from src's serial
        self.events = []         # (t, text): what the policy did
        self._last_guest_t = -1
        self.seconds = None      # the migration's wall time, once ended

    @property
    def memory_mib(self):
        return self.args.memory

    def boot(self):
        """Boot the guest on src; wait until it reports its full rate."""
        xml = migrate.guest_xml(self.name, self.kernel, self.args.mb,
                                self.args.rate, memory=self.args.memory)
        self.dom = migrate.start_guest(
            self.src, xml, self.hosts.serial_log('src', self.name),
            timeout=self.args.boot_timeout)
        migrate.wait_serial(
            self.hosts.serial_log('src', self.name),
            lambda ls: (migrate.last_report(ls) or (0, 0))[0] >= 3,
            60, 'three rate reports')

    def read_reports(self, record=True, host='src'):
        """Add the guest's new `t=N achieved=R` lines from host's serial.

        With record=False they are only marked as seen (before the
        migration starts). The guest's own second counter goes on across
        the migration, so dst's lines follow src's.
        """
        now = time.monotonic() - (self.t0 or time.monotonic())
        for line in migrate.serial_lines(
                self.hosts.serial_log(host, self.name)):
            report = migrate.last_report([line])
            if report and report[0] > self._last_guest_t:
                self._last_guest_t = report[0]
                if record:
                    self.reports.append((round(now, 2),) + report)

    def event(self, text):
        self.events.append((round(time.monotonic() - self.t0, 2), text))
        print('    %6.1fs %s' % (self.events[-1][0], text), flush=True)

    def remove(self):
        """Destroy and undefine the guest on both hosts (bounded)."""
        for conn in (self.src, self.dst):
            try:
                dom = migrate.bounded_call(
                    lambda: conn.lookupByName(self.name), 30, 'lookup')
                migrate.bounded_call(
                    lambda: migrate.remove_domain(dom), 60, 'remove')
            except Exception:  # gone, or the host is going down anyway
                pass


class Policy(object):
    """How a migration is driven: one row of the table.

    start(run, flags, params) returns the migration's flags and params;
    on_sample(run, sample) runs every 0.5 s while the job runs and may act
    on the domain, returning 'abort' to abort it; finish(run, result) gets
    'completed', 'failed' or 'aborted' and returns extra columns;
    cleanup(run) runs in every case, after finish or after an interrupt.
    """

    name = None
    describe = None

    def start(self, run, flags, params):
        return flags, params

    def on_sample(self, run, sample):
        return None

    def finish(self, run, result):
        return {}

    def cleanup(self, run):
        pass


class NovaMonitor(Policy):
    """Nova 34's _live_migration_monitor, with Nova's own functions.

    Default [libvirt] options except the times, scaled by --nova-time-scale
    (live_migration_downtime_delay and live_migration_completion_timeout,
    both per GiB), and live_migration_permit_auto_converge when asked.
    """

    def __init__(self, name, auto_converge):
        self.name = name
        self.auto_converge = auto_converge
        self.describe = ('Nova 34 monitor, default [libvirt]%s' % (
            ', live_migration_permit_auto_converge=True'
            if auto_converge else ''))

    def start(self, run, flags, params):
        from nova.virt.libvirt import driver as nova_driver
        from nova.virt.libvirt import guest as nova_guest
        from nova.virt.libvirt import migration as nova_migration
        conf = nova_conf(run.args.nova_time_scale)
        # Nova's own data size (flavor RAM in GiB, at least 2; no disks).
        instance = types.SimpleNamespace(
            flavor=types.SimpleNamespace(memory_mb=run.memory_mib))
        self.data_gb = nova_driver.LibvirtDriver._live_migration_data_gb(
            None, instance, [])
        self.steps = list(nova_migration.downtime_steps(self.data_gb))
        self.completion_timeout = int(
            conf.libvirt.live_migration_completion_timeout * self.data_gb)
        self.downtime = None
        self.aborting = False
        self.guest = nova_guest.Guest(run.dom)
        self.nova = nova_migration
        if self.auto_converge:
            flags |= VIR_MIGRATE_AUTO_CONVERGE
        return flags, params

    def on_sample(self, run, sample):
        elapsed = sample['t']
        if self.nova.should_trigger_timeout_action(
                None, elapsed, self.completion_timeout, 'running'):
            # Nova asks again at every sample; migrate() repeats the
            # abort every 5 s while the job runs.
            if not self.aborting:
                run.event('Nova: completion timeout (%d s): abort'
                          % self.completion_timeout)
            self.aborting = True
            return 'abort'
        downtime = self.nova.update_downtime(
            self.guest, None, self.downtime, self.steps, elapsed)
        if downtime != self.downtime:
            run.event('Nova: max downtime %d ms' % downtime)
            self.downtime = downtime
        return None


class DirtyRing(NovaMonitor):
    """Nova's monitor plus our controller (migrate.Controller)."""

    def __init__(self, name, strategy):
        super().__init__(name, auto_converge=False)
        self.strategy = strategy
        self.describe = ('Nova 34 monitor + nova_dirtyring ConvergenceRun, '
                         'converge_strategy %s' % strategy)
        self.controller = None
        self.paused = None       # seconds into the migration, when paused

    def start(self, run, flags, params):
        flags, params = super().start(run, flags, params)
        conf = nova_conf(run.args.nova_time_scale)
        self.paused = None
        self.controller = migrate.Controller(
            run.args.library, run.hosts.info('src')['uri'], run.dom,
            on_event=lambda text: self._event(run, text))
        request = self.controller.start(
            self.strategy, run.args.bandwidth,
            downtime_ms=conf.libvirt.live_migration_downtime,
            completion_timeout=conf.libvirt.live_migration_completion_timeout,
            expected=self.controller.preflight_rate())
        run.event('dirtyring request: %s' % json.dumps(request,
                                                       sort_keys=True))
        run.event('dirtyring plan: %s' % json.dumps(self.controller.plan,
                                                    sort_keys=True))
        return self.controller.additions(flags, params)

    def _event(self, run, text):
        if run.t0 is not None and text.startswith('force-complete asked'):
            self.paused = time.monotonic() - run.t0
        if run.t0 is not None:
            run.event('dirtyring: %s' % text)

    def on_sample(self, run, sample):
        self.controller.poll()
        return super().on_sample(run, sample)

    def finish(self, run, result):
        report = self.controller.finish(result)
        extra = {'dirtyring_report': report, 'paused_at': self.paused}
        if self.paused is not None and result == 'completed':
            # Paused from then until the end, plus the switch-over.
            extra['paused_ms'] = int(1000 * (run.seconds - self.paused))
            resume(run.dst, run.name, run)  # libvirt resumes it; checked
        return extra

    def cleanup(self, run):
        if self.controller is not None:
            try:
                self.controller.finish('aborted')
            except Exception as e:
                print('dirtyring finish: %s' % e, file=sys.stderr)
            self.controller.close()
            self.controller = None


POLICIES = (
    NovaMonitor('nova-defaults', auto_converge=False),
    NovaMonitor('nova-auto-converge', auto_converge=True),
    DirtyRing('dirtyring', 'auto-converge'),
    DirtyRing('dirtyring-force-complete', 'force-complete'),
)


def nova_conf(time_scale):
    """Nova's CONF with its defaults, the two times scaled for a bench."""
    import nova.conf
    conf = nova.conf.CONF
    if not getattr(nova_conf, 'done', False):
        conf([], project='nova', default_config_files=[])
        defaults = {o: conf.libvirt[o] for o in (
            'live_migration_downtime_delay',
            'live_migration_completion_timeout')}
        conf.set_override(
            'live_migration_downtime_delay',
            max(3, int(round(defaults['live_migration_downtime_delay'] *
                             time_scale))), 'libvirt')
        conf.set_override(
            'live_migration_completion_timeout',
            int(round(defaults['live_migration_completion_timeout'] *
                      time_scale)), 'libvirt')
        nova_conf.done = True
        nova_conf.defaults = defaults
    return conf


def nova_timeout(args):
    """Nova's completion timeout for this guest, in seconds."""
    conf = nova_conf(args.nova_time_scale)
    return int(conf.libvirt.live_migration_completion_timeout *
               max(2.0, args.memory / 1024.))


def resume(conn, name, run):
    """Resume a paused guest (bounded); note it as an event."""
    try:
        dom = migrate.bounded_call(lambda: conn.lookupByName(name), 30,
                                   'lookup')
        import libvirt
        if dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED:
            migrate.bounded_call(dom.resume, 30, 'resume')
            run.event('guest resumed')
    except Exception as e:
        run.event('resume failed: %s' % e)


def follow_guest(run, host, window):
    """Keep reading the guest's reports on host until window s in."""
    while time.monotonic() - run.t0 < window:
        time.sleep(min(1.0, max(0.0, window - (time.monotonic() - run.t0))))
        run.read_reports(host=host)


def guest_throughput(run, seconds):
    """The guest's writes during the migration, % of its target rate.

    The reports of src's serial whose arrival falls in the migration window
    (paused seconds report nothing and count as zero).
    """
    if seconds <= 0:
        return None
    written = sum(r[2] for r in run.reports if 0 <= r[0] <= seconds + 0.5)
    return round(min(100.0, 100.0 * written / (run.args.rate * seconds)), 1)


def migrate_with(run, policy):
    """Boot a fresh guest, migrate it under policy; return its row."""
    args = run.args
    print('--- %s: %s' % (policy.name, policy.describe), flush=True)
    t_boot = time.monotonic()
    run.boot()
    print('    guest %s up on src after %.1f s (%d MiB, %d MiB written at '
          '%d MiB/s)' % (run.name, time.monotonic() - t_boot, args.memory,
                         args.mb, args.rate), flush=True)
    run.t0 = time.monotonic()
    flags, params = policy.start(run, migrate.NOVA_FLAGS, {})
    run.event('migration starts: flags 0x%x params %s' % (
        flags, sorted(params)))
    throttle = [0]

    def on_sample(sample):
        run.read_reports()
        throttle[0] = max(throttle[0], sample.get('auto_converge_throttle')
                          or 0)
        return policy.on_sample(run, sample)

    run.read_reports(record=False)
    run.t0 = time.monotonic()
    # A backstop only: Nova's own completion timeout aborts first.
    backstop = nova_timeout(args) + 60
    result = migrate.migrate(
        run.dom, run.hosts.info('dst')['peer_uri'], args.bandwidth,
        migrate_uri=run.hosts.info('dst')['migrate_uri'],
        timeout=backstop, flags=flags, extra_params=params,
        on_sample=on_sample, source_uri=run.hosts.info('src')['uri'])
    run.read_reports()
    seconds = result['seconds']
    done = {}
    if result['completed']:
        state = 'completed'
        done = migrate.completed_stats(
            migrate.bounded_call(lambda: run.dst.lookupByName(run.name),
                                 30, 'lookup'))
    elif result['aborted']:
        state = 'aborted'
    else:
        state = 'failed'
    run.event('migration %s after %.1f s%s' % (
        state, seconds, '' if state == 'completed' else ': %s'
        % result['error']))
    run.seconds = seconds
    extra = policy.finish(run, state)
    # Then wherever the guest runs, until the common window is over.
    follow_guest(run, 'dst' if state == 'completed' else 'src', args.window)
    summary = migrate.summarize(result, done, args.memory)
    row = {
        'policy': policy.name,
        'describe': policy.describe,
        'converged': result['completed'],
        'result': state,
        'seconds': seconds,
        'downtime_ms': summary['downtime_ms'],
        'sent_mib': round((summary['data_processed'] or 0) / MIB, 1),
        'iterations': summary['iterations'],
        'guest_throughput_pct': guest_throughput(run, seconds),
        'guest_window_pct': guest_throughput(run, args.window),
        'max_throttle_pct': throttle[0],
        'error': result['error'],
        'events': run.events,
        'reports': run.reports,
        'samples': result['samples'],
    }
    row.update(extra)
    return row


def table(rows, floor):
    """The result table, one line per policy and the floor."""
    head = ('policy', 'converged', 'total s', 'downtime ms', 'sent MiB',
            'iterations', 'guest % (migration)', 'guest % (window)',
            'max throttle %')
    lines = [head]
    for r in rows:
        lines.append((
            r['policy'], 'yes' if r['converged'] else 'no',
            '%.1f' % r['seconds'],
            downtime_text(r),
            '%.0f' % r['sent_mib'], str(r['iterations'] or '-'),
            '-' if r['guest_throughput_pct'] is None
            else '%.0f' % r['guest_throughput_pct'],
            '-' if r.get('guest_window_pct') is None
            else '%.0f' % r['guest_window_pct'],
            str(r['max_throttle_pct'])))
    lines.append(('floor M/B', '', '%.1f' % floor, '', '', '', '', '', ''))
    widths = [max(len(x[i]) for x in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append('  '.join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(line, widths))))
        if n == 0:
            out.append('  '.join('-' * w for w in widths))
    return '\n'.join(out)


def downtime_text(row):
    """libvirt's downtime; after a force-complete, the time paused.

    The pause lasts until the guest resumes on dst, so it covers the
    switch-over (libvirt's own downtime, kept in the JSON, overlaps it).
    """
    if row['downtime_ms'] is None:
        return '-'
    if row.get('paused_ms'):
        return '%d (paused)' % max(row['downtime_ms'], row['paused_ms'])
    return str(row['downtime_ms'])


def goal(rows, floor, window):
    """The goal's three parts for each dirtyring row: PASS/FAIL/n/a.

    Throughput is compared over the same window from the start of each
    migration (the guest's writes wherever it runs): a migration that ends
    sooner gives the guest its speed back sooner. The column of the
    migration's own duration is printed too.
    """
    by = {r['policy']: r for r in rows}
    nd = by.get('nova-defaults')
    ac = by.get('nova-auto-converge')
    parts = []
    for dr in [r for r in rows if r['policy'].startswith('dirtyring')]:
        name = dr['policy']
        parts.append(('%s converges where nova-defaults does not' % name,
                      None if nd is None
                      else dr['converged'] and not nd['converged']))
        parts.append(('%s total <= 1.5x floor (%.1f s)' % (name, 1.5 * floor),
                      dr['converged'] and dr['seconds'] <= 1.5 * floor))
        ok = None
        if ac and None not in (dr.get('guest_window_pct'),
                               ac.get('guest_window_pct')):
            ok = dr['guest_window_pct'] > ac['guest_window_pct']
        parts.append(('%s guest throughput over the first %.0f s above '
                      'nova-auto-converge\'s' % (name, window), ok))
    return [(text, 'n/a' if ok is None else 'PASS' if ok else 'FAIL')
            for text, ok in parts]


def writes_series(row):
    """The guest's writes over time, % of its rate, wherever it ran.

    A gap of more than 2 s between reports (the guest paused) reads as 0.
    """
    xs, ys = [], []
    for t, _, achieved in row['reports']:
        if xs and t - xs[-1] > 2:
            xs += [xs[-1] + 1, t - 1]
            ys += [0.0, 0.0]
        xs.append(t)
        ys.append(100.0 * achieved / row.get('rate', 1))
    return xs, ys


def plot(rows, path, params_text, floor):
    """Remaining memory and guest throughput over time, one line a policy."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot
    fig, (top, bottom) = pyplot.subplots(
        2, 1, figsize=(10, 7.5), sharex=True,
        gridspec_kw={'height_ratios': [3, 2]})
    for r in rows:
        # Samples of the running job (the set-up ones have no totals).
        samples = [s for s in r['samples'] if s.get('memory_total')]
        xs = [s['t'] for s in samples]
        ys = [s['memory_remaining'] / MIB for s in samples]
        label = '%s (%s, %.0f s)' % (
            r['policy'], 'converged' if r['converged'] else 'not converged',
            r['seconds'])
        line, = top.plot(xs, ys, label=label, linewidth=1.4)
        xs, ys = writes_series(r)
        bottom.plot(xs, ys, color=line.get_color(), linewidth=1.2,
                    label=r['policy'])
    top.axvline(floor, color='grey', linestyle='--', linewidth=1)
    top.text(floor, top.get_ylim()[1] * 0.97, ' floor M/B %.0f s' % floor,
             color='grey', fontsize=9, va='top')
    top.set_ylabel('remaining memory (MiB)')
    top.set_title('Live migration of one busy guest, per policy\n'
                  + params_text.replace('; floor', ';\nfloor'), fontsize=10)
    top.grid(True, alpha=0.3)
    top.legend(loc='upper right', fontsize=9)
    bottom.set_ylabel('guest writes (% of target)')
    bottom.set_xlabel('seconds since the migration started (guest writes '
                      'followed on the host it runs on after the migration)')
    bottom.set_ylim(0, 110)
    bottom.grid(True, alpha=0.3)
    bottom.legend(loc='lower right', fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot.close(fig)


def hosts_cmd(*args, timeout=180):
    """scripts/hosts ARGS; its failure raises with its output."""
    result = subprocess.run(
        [migrate.HOSTS, *args], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RuntimeError('scripts/hosts %s failed:\n%s'
                           % (' '.join(args), result.stdout))
    return result.stdout


def interrupt(signum, frame):
    """SIGINT or SIGTERM: unwind through every cleanup."""
    raise KeyboardInterrupt('signal %d' % signum)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--memory', type=int, default=1024,
                   help='guest RAM, MiB (default 1024)')
    p.add_argument('--mb', type=int, default=256,
                   help='working set the guest rewrites, MiB (default 256)')
    p.add_argument('--rate', type=int, default=100,
                   help='MiB/s the guest writes (default 100)')
    p.add_argument('--bandwidth', type=int, default=40,
                   help='link cap, MiB/s (Nova\'s live_migration_bandwidth;'
                   ' default 40)')
    p.add_argument('--nova-time-scale', type=float, default=0.125,
                   help='factor on Nova\'s live_migration_downtime_delay '
                   '(75 s/GiB) and live_migration_completion_timeout '
                   '(800 s/GiB) (default 0.125)')
    p.add_argument('--window', type=float, default=120,
                   help='seconds from the start of each migration over '
                   'which the guest\'s throughput is also compared, '
                   'wherever it runs by then (default 120)')
    p.add_argument('--policies', default=','.join(p.name for p in POLICIES),
                   help='comma-separated, in order (default: all)')
    p.add_argument('--library', default=os.environ.get(
        'DIRTYRING_LIBRARY', str(REPO / '.build/debug/libdirtyring.so')))
    p.add_argument('--boot-timeout', type=float, default=120)
    p.add_argument('--results', default=str(RESULTS_DIR))
    p.add_argument('--replot', metavar='JSON', default=None,
                   help='only draw the PNG of an earlier run\'s JSON again')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.replot:
        with open(args.replot) as f:
            doc = json.load(f)
        png = str(pathlib.Path(args.replot).with_suffix('.png'))
        parameters = doc['parameters']
        plot(doc['rows'], png, doc.get('params_text') or (
            'guest %(memory_mib)d MiB RAM, %(working_set_mib)d MiB working '
            'set rewritten at %(rate_mib_s)d MiB/s; link capped at '
            '%(bandwidth_mib_s)d MiB/s (Nova\'s live_migration_bandwidth); '
            'floor M/B = %(floor_seconds).1f s' % parameters),
            parameters['floor_seconds'])
        print('wrote %s' % png)
        return 0
    import libvirt
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    # Also SIGINT: a shell starts background commands with it ignored,
    # and Python then installs no KeyboardInterrupt for it.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, interrupt)
    known = {p.name: p for p in POLICIES}
    policies = []
    for name in args.policies.split(','):
        if name not in known:
            sys.exit('unknown policy %r (%s)' % (name, ', '.join(known)))
        policies.append(known[name])
    conf = nova_conf(args.nova_time_scale)
    floor = args.memory / float(args.bandwidth)
    data_gb = max(2.0, args.memory / 1024.)
    params_text = (
        'guest %d MiB RAM, %d MiB working set rewritten at %d MiB/s; link '
        'capped at %d MiB/s (Nova\'s live_migration_bandwidth); floor M/B '
        '= %.1f s' % (args.memory, args.mb, args.rate, args.bandwidth,
                      floor))
    nova_text = (
        'Nova [libvirt] defaults: live_migration_downtime %d ms in %d steps;'
        ' times x %.3g: live_migration_downtime_delay %d -> %d s/GiB, '
        'live_migration_completion_timeout %d -> %d s/GiB; data_gb %.0f '
        '(Nova counts at least 2): steps every %d s, abort after %d s' % (
            conf.libvirt.live_migration_downtime,
            conf.libvirt.live_migration_downtime_steps,
            args.nova_time_scale,
            nova_conf.defaults['live_migration_downtime_delay'],
            conf.libvirt.live_migration_downtime_delay,
            nova_conf.defaults['live_migration_completion_timeout'],
            conf.libvirt.live_migration_completion_timeout, data_gb,
            int(conf.libvirt.live_migration_downtime_delay * data_gb),
            int(conf.libvirt.live_migration_completion_timeout * data_gb)))
    print(params_text)
    print(nova_text)
    print('dirtyring: library %s; guest throughput also over the first '
          '%.0f s of each migration' % (args.library, args.window))
    print(GOAL, flush=True)

    lock = open(LOCK, 'a')
    fcntl.flock(lock, fcntl.LOCK_EX)
    rows = []
    started = datetime.datetime.now()
    try:
        hosts_cmd('up')
        hosts = migrate.Hosts()
        kernel = migrate.install_kernel(
            hosts, os.environ.get('DIRTYRING_GUEST_ELF'))
        src = libvirt.open(hosts.info('src')['uri'])
        dst = libvirt.open(hosts.info('dst')['uri'])
        for policy in policies:
            run = Run(args, hosts, src, dst, kernel, policy)
            try:
                row = migrate_with(run, policy)
                row['rate'] = args.rate
                rows.append(row)
            finally:
                policy.cleanup(run)
                run.remove()
    except KeyboardInterrupt:
        print('interrupted: guests and hosts removed', file=sys.stderr)
        return 130
    finally:
        try:
            hosts_cmd('down')
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
    for r in rows:
        r['rate'] = args.rate
    print()
    print(params_text)
    print(table(rows, floor))
    verdicts = goal(rows, floor, args.window)
    print(GOAL)
    for text, verdict in verdicts:
        print('  %-4s %s' % (verdict, text))
    stamp = started.strftime('%Y%m%d-%H%M%S')
    out_dir = pathlib.Path(args.results)
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = {
        'date': started.isoformat(timespec='seconds'),
        'parameters': {
            'memory_mib': args.memory, 'working_set_mib': args.mb,
            'rate_mib_s': args.rate, 'bandwidth_mib_s': args.bandwidth,
            'floor_seconds': round(floor, 1),
            'nova_time_scale': args.nova_time_scale,
            'nova': nova_text, 'window_seconds': args.window,
        },
        'goal': {'text': GOAL, 'parts': verdicts},
        'rows': rows,
    }
    json_path = out_dir / ('converge-%s.json' % stamp)
    json_path.write_text(json.dumps(doc, indent=1, sort_keys=True))
    png_path = out_dir / ('converge-%s.png' % stamp)
    plot(rows, png_path, params_text, floor)
    print('wrote %s and %s' % (json_path, png_path))
    return 0 if len(rows) == len(policies) else 1


if __name__ == '__main__':
    sys.exit(main())
