#!/usr/bin/env python3
"""Live-migrate the dirtyring test guest between scripts/hosts' hosts.

The migration is made as Nova 34 makes it (nova/virt/libvirt/driver.py
_live_migration_operation -> guest.migrate): virDomainMigrateToURI3 on the
source, peer to peer to qemu+tcp://DEST/system, flags VIR_MIGRATE_LIVE |
PEER2PEER | UNDEFINE_SOURCE | PERSIST_DEST (Nova's defaults, no tunnelling,
no post-copy, no auto-converge), params bandwidth (MiB/s), destination_xml
and persistent_xml (the source's XML), migrate_uri tcp://DEST (QEMU's
stream over the veth link, as Nova sets it with live_migration_inbound_addr).
The guest is persistent on the source (defined, then started), as Nova's are.

Library use (tests, benchmarks): Hosts, guest_xml, start_guest,
migrate, summarize. Command line:

    scripts/lib/migrate.py [--mb 64] [--rate 10] [--bandwidth 100]
        [--timeout 60] [--abort-grace 60] [--call-timeout 30] [--ring N]
        [--name NAME] [--keep] [--json] [--existing]

boots NAME on src, migrates it to dst and prints the job statistics while it
runs and the result (completed or aborted, seconds, downtime, bytes). The
hosts must be up (scripts/hosts up). Needs libvirt-python.
"""

import argparse
import faulthandler
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent
GUEST = SCRIPTS / 'guest'
HOSTS = str(SCRIPTS / 'hosts')

# Nova 34's default live-migration flags (driver._prepare_migration_flags):
# VIR_MIGRATE_LIVE 1, PEER2PEER 2, PERSIST_DEST 8, UNDEFINE_SOURCE 16.
NOVA_FLAGS = 1 | 2 | 8 | 16

# Serial log path inside a host: /var/log/libvirt is that host's own
# log dir (bound in its mount namespace), so the same XML path is a
# different file on each host, as on two real machines.
SERIAL_IN_HOST = '/var/log/libvirt/qemu/%s-serial.log'

# Job statistics kept in each sample (virDomainGetJobStats keys).
SAMPLE_KEYS = (
    'time_elapsed', 'data_total', 'data_processed', 'data_remaining',
    'memory_total', 'memory_processed', 'memory_remaining',
    'memory_dirty_rate', 'memory_iteration', 'memory_bps',
    'memory_page_size', 'memory_normal', 'memory_constant',
    'downtime', 'setup_time', 'type', 'operation', 'auto_converge_throttle')


class Hosts(object):
    """What scripts/hosts says about a host (its `info NAME` lines)."""

    def __init__(self, hosts_script=HOSTS):
        self.script = hosts_script
        self._info = {}

    def info(self, name):
        if name not in self._info:
            out = subprocess.run(
                [self.script, 'info', name], check=True, text=True,
                stdout=subprocess.PIPE).stdout
            self._info[name] = parse_info(out)
        return self._info[name]

    def host_path(self, name, path_in_host):
        """Where a file under the host's /var/log/libvirt is from here."""
        prefix = '/var/log/libvirt/qemu/'
        if not path_in_host.startswith(prefix):
            raise ValueError('not under %s: %s' % (prefix, path_in_host))
        return os.path.join(self.info(name)['qemu_log_dir'],
                            path_in_host[len(prefix):])

    def serial_log(self, name, domain):
        return self.host_path(name, SERIAL_IN_HOST % domain)


def parse_info(text):
    """`key=value` lines -> dict."""
    info = {}
    for line in text.splitlines():
        if '=' in line:
            key, value = line.split('=', 1)
            info[key.strip()] = value.strip()
    return info


def guest_xml(name, kernel, mb=64, rate=10, ring=None, memory=None,
              check=False):
    """The test guest's domain XML: scripts/guest's, with this kernel.

    Memory mb + 64 MiB (or memory MiB), one vCPU, diskless (-kernel),
    serial to a file. ``check``: the guest checks every page before it
    rewrites it and reports the stale ones (``stale=N``).
    """
    args = [str(GUEST), 'xml', name, '--mb', str(mb), '--rate', str(rate),
            '--kernel', kernel]
    if ring:
        args += ['--ring', str(ring)]
    if check:
        args.append('--check')
    if memory:
        args += ['--memory', str(memory)]
    return subprocess.run(args, check=True, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL).stdout


def install_kernel(hosts, elf=None):
    """Copy the guest ELF into the hosts' shared dir; return its path."""
    if elf is None:
        elf = subprocess.run(
            [str(SCRIPTS / 'build-guest')], check=True, text=True,
            stdout=subprocess.PIPE).stdout.strip().splitlines()[-1]
    shared = hosts.info('src')['shared_dir']
    dst = os.path.join(shared, 'guest.elf')
    data = pathlib.Path(elf).read_bytes()
    if not os.path.exists(dst) or pathlib.Path(dst).read_bytes() != data:
        tmp = '%s.tmp.%d' % (dst, os.getpid())
        pathlib.Path(tmp).write_bytes(data)
        os.replace(tmp, dst)
    return dst


def serial_lines(path):
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except FileNotFoundError:
        return []
    return raw.decode('ascii', 'replace').replace('\r', '').splitlines()


def last_report(lines):
    """The guest's latest `t=N achieved=R` report as (t, rate), or None."""
    for line in reversed(lines):
        if 'dirtyring-guest: t=' in line:
            try:
                fields = dict(f.split('=', 1) for f in
                              line.split('dirtyring-guest:', 1)[1].split()
                              if '=' in f)
                return int(fields['t']), float(fields['achieved'])
            except (KeyError, ValueError):
                continue
    return None


def stale_pages(lines):
    """The stale pages a checking guest (``check=1``) found so far, or None.

    Its latest report's ``stale=N``: pages that did not hold the guest's
    previous write when it came to rewrite them.
    """
    for line in reversed(lines):
        if 'dirtyring-guest: t=' in line and ' stale=' in line:
            try:
                return int(line.rsplit(' stale=', 1)[1].split()[0])
            except (IndexError, ValueError):
                continue
    return None


def wait_serial(path, predicate, timeout, what, alive=None):
    deadline = time.monotonic() + timeout
    while True:
        lines = serial_lines(path)
        if predicate(lines):
            return lines
        if alive is not None and not alive():
            raise RuntimeError('guest stopped while waiting for %s; serial:'
                               '\n%s' % (what, '\n'.join(lines[-10:])))
        if time.monotonic() >= deadline:
            raise RuntimeError('no %s on %s within %ss; last lines:\n%s' % (
                what, path, timeout, '\n'.join(lines[-10:])))
        time.sleep(0.5)


def start_guest(conn, xml, serial, timeout=90):
    """Define and start the guest (persistent, as Nova does).

    Waits until its serial log (path from here) says it is up. Returns the
    domain.
    """
    import libvirt
    dom = conn.defineXML(xml)
    try:
        dom.create()

        def alive():
            try:
                return dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
            except libvirt.libvirtError:
                return False
        wait_serial(serial, lambda ls: any('dirtyring-guest: up' in x
                                           for x in ls),
                    timeout, "'dirtyring-guest: up'", alive)
    except Exception:
        remove_domain(dom)
        raise
    return dom


def remove_domain(dom):
    """Destroy and undefine, ignoring what is already gone."""
    import libvirt
    for call in (dom.destroy, dom.undefine):
        try:
            call()
        except libvirt.libvirtError:
            pass


def sample(stats, t0):
    """The interesting part of one virDomainGetJobStats answer."""
    out = {k: stats[k] for k in SAMPLE_KEYS if k in stats}
    out['t'] = round(time.monotonic() - t0, 3)
    return out


def migration_params(xml, bandwidth, migrate_uri=None):
    """migrateToURI3 params exactly as nova's Guest.migrate builds them."""
    params = {'bandwidth': int(bandwidth)}
    if xml:
        params['destination_xml'] = xml
        params['persistent_xml'] = xml
    if migrate_uri:
        params['migrate_uri'] = migrate_uri
    return params


def native_threading():
    """The threading module of OS threads, also under eventlet.

    Nova's tests and eventlet-mode nova-compute patch threading: a green
    thread blocked in migrateToURI3 would stop the monitoring loop (Nova
    uses tpool for that reason).
    """
    patcher = sys.modules.get('eventlet.patcher')  # not imported: unpatched
    if patcher is not None and patcher.is_monkey_patched('thread'):
        return patcher.original('threading')
    return threading


class CallTimeout(Exception):
    """A libvirt call did not return within its bound."""


def bounded_call(func, seconds, what):
    """Return func(), run in an OS thread, or raise CallTimeout.

    A libvirt call cannot be interrupted: after a CallTimeout the thread is
    left behind (a daemon) and the caller must stop using that connection.
    Exceptions of func are raised here.
    """
    box = {}

    def run():
        try:
            box['value'] = func()
        except BaseException as e:  # handed to the caller
            box['error'] = e

    worker = native_threading().Thread(target=run, name=what, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise CallTimeout('%s did not return within %ss' % (what, seconds))
    if 'error' in box:
        raise box['error']
    return box.get('value')


def migrate(dom, dest_uri, bandwidth, migrate_uri=None, timeout=None,
            poll=0.5, flags=NOVA_FLAGS, on_sample=None, extra_params=None,
            abort_grace=60, source_uri=None, call_timeout=30,
            abort_retry=5):
    """Migrate dom (a domain of the source's connection) peer to peer.

    bandwidth: MiB/s (VIR_MIGRATE_PARAM_BANDWIDTH). timeout: seconds after
    which the job is aborted (abortJob), None for no limit. on_sample(s) is
    called with each sample; when it returns 'abort' the job is aborted.

    migrateToURI3 blocks for the whole job, so it runs in a thread, on a
    connection of its own to source_uri (default: dom's connection's URI);
    this thread alone uses dom's connection (jobStats, abortJob). Two
    threads must not share a connection here: libvirt 9.0's client loses
    the wake-up of a thread that queues a call while the thread driving the
    socket (the one in migrateToURI3) is between two polls
    (virNetClientIO's g_main_loop_quit comes before its g_main_loop_run,
    which then polls for input only), and during a migration that does not
    converge nothing arrives on that socket: the call is never sent. That
    hung the abort in 2 of 6 CI runs (scripts/README.md).

    Every wait is bounded: each monitoring call by call_timeout, the abort
    is repeated every abort_retry s while the job still runs, and abort_grace
    s after the first abort the function returns with an error even if
    migrateToURI3 has not. Returns a dict: completed (bool), aborted (bool,
    an abort was accepted), abort_calls, error (str or None), hung (a call
    did not return), seconds (wall), samples (job stats every `poll` s),
    last (the last sample with data).
    """
    import libvirt
    xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE)
    params = migration_params(xml, bandwidth, migrate_uri)
    params.update(extra_params or {})
    outcome = {'error': None}
    mig_conn = libvirt.open(source_uri or dom.connect().getURI())
    mig_dom = mig_conn.lookupByUUIDString(dom.UUIDString())

    def run():
        try:
            mig_dom.migrateToURI3(dest_uri, params, flags)
        except libvirt.libvirtError as e:
            outcome['error'] = str(e)
        finally:
            try:
                mig_conn.close()
            except libvirt.libvirtError:
                pass

    t0 = time.monotonic()
    worker = native_threading().Thread(
        target=run, name='migrateToURI3', daemon=True)
    worker.start()
    samples, aborted, aborted_at, abort_calls, last_abort = (
        [], False, None, 0, None)
    notes, hung = [], False
    while worker.is_alive():
        worker.join(poll)
        if not worker.is_alive():
            break
        try:
            stats = bounded_call(dom.jobStats, call_timeout, 'jobStats')
        except libvirt.libvirtError:
            continue  # the domain is going away at the end
        except CallTimeout as e:
            notes.append(str(e))
            hung = True
            break
        action = None
        if stats.get('type', 0) != libvirt.VIR_DOMAIN_JOB_NONE:
            s = sample(stats, t0)
            samples.append(s)
            if on_sample:
                action = on_sample(s)
        now = time.monotonic()
        want_abort = action == 'abort' or (
            timeout is not None and now - t0 >= timeout)
        if want_abort and (last_abort is None or
                           now - last_abort >= abort_retry):
            last_abort = now
            abort_calls += 1
            try:
                bounded_call(dom.abortJob, call_timeout, 'abortJob')
                if not aborted:
                    aborted, aborted_at = True, now
            except libvirt.libvirtError as e:
                # e.g. no job yet, or it ended meanwhile: tried again
                # abort_retry s later while the migration still runs.
                notes.append('abortJob: %s' % e)
            except CallTimeout as e:
                notes.append(str(e))
                hung = True
                break
        if aborted and now - aborted_at > abort_grace:
            notes.append('migrateToURI3 still running %ss after abortJob'
                         % abort_grace)
            break
    seconds = time.monotonic() - t0
    running = worker.is_alive()
    error = outcome['error']
    if running:
        error = '; '.join(notes) or 'migrateToURI3 still running'
    return {'completed': outcome['error'] is None and not running,
            'aborted': aborted, 'abort_calls': abort_calls,
            'error': error, 'notes': notes, 'hung': hung,
            'seconds': round(seconds, 3), 'samples': samples,
            'last': last_with_data(samples)}


def last_with_data(samples):
    """The last sample of a job in progress.

    After an abort libvirt answers with an empty job.
    """
    for s in reversed(samples):
        if s.get('memory_total'):
            return s
    return samples[-1] if samples else None


def completed_stats(dom):
    """Completed-job statistics of a domain, or {} when there are none.

    On the destination after an incoming migration: type, time_elapsed,
    downtime, memory_* and data_* of the whole job.
    """
    import libvirt
    try:
        # KEEP_COMPLETED: without it libvirt forgets them once read.
        return dom.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED |
                            libvirt.VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED)
    except libvirt.libvirtError:
        return {}


def summarize(result, completed=None, memory_mib=None):
    """One flat result of a migration.

    completed, seconds, downtime (ms), transferred bytes, iterations: from
    the completed stats when there are some, else from the last sample.
    """
    last = result.get('last') or {}
    done = completed or {}
    pick = (lambda k: done.get(k, last.get(k)))
    out = {
        'completed': result['completed'],
        'aborted': result['aborted'],
        'error': result['error'],
        'seconds': result['seconds'],
        'time_elapsed_ms': pick('time_elapsed'),
        'downtime_ms': done.get('downtime'),
        'data_processed': pick('data_processed'),
        'memory_processed': pick('memory_processed'),
        'memory_total': pick('memory_total'),
        'iterations': pick('memory_iteration'),
        'memory_constant': pick('memory_constant'),
        'memory_normal': pick('memory_normal'),
        'memory_page_size': pick('memory_page_size'),
        'samples': len(result.get('samples') or ()),
    }
    if memory_mib is not None:
        out['memory_mib'] = memory_mib
    return out


def format_sample(s):
    mib = 1024 * 1024

    def m(key):
        v = s.get(key)
        return '-' if v is None else '%.1f' % (v / mib)
    return ('t=%5.1fs iter=%s processed=%s MiB remaining=%s MiB '
            'dirty=%s pages/s bw=%s MiB/s' % (
                s['t'], s.get('memory_iteration', '-'), m('memory_processed'),
                m('memory_remaining'), s.get('memory_dirty_rate', '-'),
                m('memory_bps')))


class Controller(object):
    """Our convergence controller on one migration, as the driver runs it.

    nova_dirtyring's ConvergenceRun over libdirtyring.so (library), on its
    own libvirt connection to the source (source_uri) with a state
    directory of its own. Force-complete does what Nova's does without
    post-copy: it pauses the guest (Nova resumes it if the migration
    fails: see finish). Call start before the migration.
    """

    def __init__(self, library, source_uri, dom, on_event=None,
                 notify=None):
        """Open the library's context (and notifier) on the source.

        notify: (transport_url, control_exchange, topic) to send the
        throttle notifications to, unversioned, or None.
        """
        from nova_dirtyring import native
        self.dom = dom
        self.paused = False
        self.run = None
        self.on_event = on_event or (lambda text: None)
        self.state_dir = tempfile.mkdtemp(prefix='dr-converge-')
        lib = native.Library(library)
        self.context = lib.open_context(
            {'libvirt_uri': source_uri, 'timeout_seconds': 10,
             'state_dir': self.state_dir}, None)
        self.notifier = None
        if notify:
            url, exchange, topic = notify
            self.notifier = lib.open_notifier({
                'host': 'src',
                'notifications': {
                    'driver': ['messagingv2'], 'topics': [topic],
                    'retry': -1, 'notification_format': 'unversioned',
                    'versioned_notifications_topics': [],
                    'control_exchange': exchange, 'transport_url': url},
                'rabbit': {},
                'spool_dir': os.path.join(self.state_dir, 'spool'),
                'spool_max_bytes': 16 << 20,
                'connection_name': 'migrate.py:%d' % os.getpid()})

    def preflight_rate(self):
        """A 1 s dirty-rate reading (mode auto); None when it fails.

        As the driver's pre-flight check takes it.
        """
        reading = self.context.measure([self.dom.UUIDString()], 1, 'auto')[0]
        if isinstance(reading, dict):
            return reading.get('megabytes_per_second')
        self.on_event('pre-flight reading unavailable: %s' % reading)
        return None

    def start(self, strategy, bandwidth, downtime_ms=500,
              completion_timeout=800, expected=None):
        """Start the watch; returns its request.

        The request is the driver's (LibvirtDriver._dr_convergence_request)
        with this link as Nova's live_migration_bandwidth.
        """
        from nova_dirtyring import convergence
        request = {
            'instance': {'uuid': self.dom.UUIDString(), 'tenant_id': 'test',
                         'user_id': 'test'},
            'strategy': strategy,
            'ring_size': 0,
            'libvirt': {'live_migration_bandwidth': bandwidth,
                        'live_migration_downtime': downtime_ms,
                        'live_migration_completion_timeout':
                            completion_timeout},
            'nova_auto_converge': False,
            'assumed_bandwidth_megabytes_per_second': bandwidth,
            'no_timeout_deadline_seconds': 600,
            'poll_seconds': 0.5,
        }
        if expected:
            request['expected'] = {
                'dirty_rate_megabytes_per_second': expected,
                'bandwidth_megabytes_per_second': bandwidth}
        self.run = convergence.ConvergenceRun(
            self.context, request, self._force_complete,
            notifier=self.notifier)
        self.run.start()
        return request

    @property
    def plan(self):
        return self.run.plan

    def additions(self, flags, params):
        return self.run.migration_additions(flags, params)

    def _force_complete(self):
        self.on_event('force-complete asked: guest paused')
        self.dom.suspend()
        self.paused = True

    def poll(self):
        """The library's status; its log lines go to on_event."""
        status = self.run.poll() or {}
        for line in status.get('log') or ():
            self.on_event(line.get('message'))
        return status

    def finish(self, result):
        """Lift every throttle; resume a guest paused on a failed run."""
        if self.paused and result != 'completed':
            import libvirt
            try:
                if self.dom.state()[0] == libvirt.VIR_DOMAIN_PAUSED:
                    self.dom.resume()
                    self.on_event('guest resumed on the source')
            except libvirt.libvirtError as e:
                self.on_event('resume failed: %s' % e)
        return self.run.finish(result) if self.run else None

    def close(self):
        """Close; the notifier first waits (10 s at most) for confirms."""
        if self.notifier is not None:
            self.notifier.close(10)
        self.context.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)


def outcome(result):
    """completed, aborted or failed, as the controller is told."""
    if result['completed']:
        return 'completed'
    return 'aborted' if result['aborted'] else 'failed'


def main(argv=None):
    import libvirt
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--name', default='dr-mig-%d' % os.getpid())
    p.add_argument('--mb', type=int, default=64)
    p.add_argument('--rate', type=int, default=10)
    p.add_argument('--bandwidth', type=int, default=100, help='MiB/s')
    p.add_argument('--ring', type=int, default=None,
                   help='boot with the dirty ring of this many entries')
    p.add_argument('--timeout', type=float, default=60,
                   help='abort the migration after this many seconds')
    p.add_argument('--abort-grace', type=float, default=60,
                   help='give up this many seconds after the first abort')
    p.add_argument('--call-timeout', type=float, default=30,
                   help='bound of each jobStats/abortJob call (seconds)')
    p.add_argument('--keep', action='store_true',
                   help='leave the guest running where it ends up')
    p.add_argument('--json', action='store_true')
    p.add_argument('--converge', default=None,
                   choices=('auto-converge', 'force-complete'),
                   help='with --existing: under our convergence controller '
                   'with this converge_strategy (--library)')
    p.add_argument('--library', default=os.environ.get(
        'DIRTYRING_LIBRARY', str(SCRIPTS.parent / '.build/debug/'
                                 'libdirtyring.so')))
    p.add_argument('--notify', nargs=3, default=None,
                   metavar=('TRANSPORT_URL', 'EXCHANGE', 'TOPIC'),
                   help='with --converge: send the throttle notifications '
                   '(unversioned) there')
    p.add_argument('--expected-rate', type=float, default=None,
                   help='with --converge: the pre-flight dirty rate, MiB/s')
    p.add_argument('--existing', action='store_true',
                   help='migrate the running domain --name on src (no boot, '
                   'kept where it ends up) and print migrate()\'s result as '
                   'JSON, samples included: the tests run the migration in '
                   'this process of its own, away from their eventlet')
    args = p.parse_args(argv)
    # The command line only: keep libvirt from printing the errors it
    # expects (the source domain vanishing at the end of the job).
    libvirt.registerErrorHandler(lambda ctx, err: None, None)

    hosts = Hosts()
    src_conn = libvirt.open(hosts.info('src')['uri'])
    dst_conn = libvirt.open(hosts.info('dst')['uri'])
    if args.existing:
        # The process's own bound: migrate() bounds every wait, and should
        # it still not return, the stacks of all threads go to stderr
        # (the caller's evidence) and the process exits (code 1).
        faulthandler.dump_traceback_later(
            args.timeout + args.abort_grace + 2 * args.call_timeout + 30,
            exit=True)
        dom = src_conn.lookupByName(args.name)
        flags, params, controller, events = NOVA_FLAGS, {}, None, []
        if args.converge:
            controller = Controller(args.library, hosts.info('src')['uri'],
                                    dom, on_event=events.append,
                                    notify=args.notify)
            controller.start(args.converge, args.bandwidth,
                             expected=args.expected_rate)
            flags, params = controller.additions(flags, params)
        result = migrate(
            dom, hosts.info('dst')['peer_uri'],
            args.bandwidth, migrate_uri=hosts.info('dst')['migrate_uri'],
            timeout=args.timeout, source_uri=hosts.info('src')['uri'],
            abort_grace=args.abort_grace, call_timeout=args.call_timeout,
            flags=flags, extra_params=params,
            on_sample=controller and (
                lambda sample: controller.poll() and None))
        if controller is not None:
            result['converge'] = {
                'plan': controller.plan, 'flags': flags, 'params': params,
                'paused': controller.paused,
                'report': controller.finish(outcome(result)),
                'events': events}
            controller.close()
        print(json.dumps(result, sort_keys=True), flush=True)
        sys.stderr.flush()
        # No interpreter shutdown: a libvirt call still blocked in a thread
        # (result['error'] says which) must not hold the exit.
        os._exit(0)
    kernel = install_kernel(hosts)
    xml = guest_xml(args.name, kernel, args.mb, args.rate, args.ring)
    t0 = time.monotonic()
    dom = start_guest(src_conn, xml, hosts.serial_log('src', args.name))
    print('%s up on src after %.1f s' % (args.name, time.monotonic() - t0),
          file=sys.stderr)
    try:
        result = migrate(
            dom, hosts.info('dst')['peer_uri'], args.bandwidth,
            migrate_uri=hosts.info('dst')['migrate_uri'],
            timeout=args.timeout, source_uri=hosts.info('src')['uri'],
            abort_grace=args.abort_grace, call_timeout=args.call_timeout,
            on_sample=None if args.json else (
                lambda s: print(format_sample(s), file=sys.stderr)))
        done = {}
        if result['completed']:
            done = completed_stats(dst_conn.lookupByName(args.name))
        summary = summarize(result, done, args.mb + 64)
    finally:
        if not args.keep:
            for conn in (src_conn, dst_conn):
                try:
                    remove_domain(conn.lookupByName(args.name))
                except libvirt.libvirtError:
                    pass
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        for k in sorted(summary):
            print('%s: %s' % (k, summary[k]))
    return 0 if summary['completed'] else 1


if __name__ == '__main__':
    sys.exit(main())
