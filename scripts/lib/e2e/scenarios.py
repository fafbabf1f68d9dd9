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

"""The end-to-end scenarios: Nova's API in, the hosts' own view out.

Each scenario drives the stack only through the REST API and asserts what
the API reports and what the libvirt hosts report (domains, XML, QEMU's
throttles, the guest's serial console), and where it says so what an
oslo.messaging listener or Ceilometer received.  Each yields table rows.
"""

import json
import re
import time

from e2e import hostview

# Guests: the test kernel (tox-data/guest/guest.c) writing `rate` MiB/s
# over a working set of `mb` MiB; the link is capped at LINK MiB/s with
# Nova's [libvirt] live_migration_bandwidth.
LINK = 20
CALM = {'ram': 128, 'mb': 16, 'rate': 5}
BUSY = {'ram': 256, 'mb': 64, 'rate': 50}
FULL_RATE = 0.9         # "at its full rate": within 10 % of what it asks
GUESTS = {'calm': CALM, 'busy': BUSY}
HOST_WIDE_REJECT = {'dirtyring': {'precheck_action': 'reject'}}
# What our driver logs once per start of nova-compute (init_host).
DRIVER_STARTED = 'KVM dirty ring: offered='
RING_TRAIT = 'CUSTOM_KVM_DIRTY_RING'


class Failed(Exception):
    """A scenario saw something other than what it expects."""


def expect(condition, message):
    if not condition:
        raise Failed(message)


class Row:
    """One line of the result table."""

    def __init__(self, scenario, expected):
        self.scenario = scenario
        self.expected = expected
        self.seen = ''
        self.seconds = 0.0
        self.ok = False


class Scenarios:
    """The scenarios, in the order they run, on one running stack."""

    def __init__(self, stack, cloud, listener, ceilometer, ring_offered):
        self.stack = stack
        self.cloud = cloud
        self.listener = listener
        self.ceilometer = ceilometer
        self.ring_offered = ring_offered
        self.src = stack.hosts['src']
        self.dst = stack.hosts['dst']
        self.rows = []
        self.images = {}
        self.flavors = {}

    # ----------------------------------------------------------- running
    def run(self, number, title, expected, func, *args):
        row = Row('%s %s' % (number, title), expected)
        self.rows.append(row)
        t0 = time.monotonic()
        try:
            row.seen = func(*args)
            row.ok = True
        except Exception as exc:     # every failure becomes a table line
            row.seen = 'FAILED: %s: %s' % (type(exc).__name__, exc)
        row.seconds = time.monotonic() - t0
        return row.ok

    # ---------------------------------------------------------- fixtures
    def prepare(self, kernel_path):
        with open(kernel_path, 'rb') as f:
            kernel = f.read()
        kernel_id = self.cloud.create_image(
            'dirtyring-guest-kernel', kernel, 'aki', 'aki')
        root = b'\0' * (1 << 20)
        for name, guest in (('calm', CALM), ('busy', BUSY)):
            self.images[name] = self.cloud.create_image(
                'dirtyring-guest-%s' % name, root, 'raw', 'bare',
                kernel_id=kernel_id, hw_machine_type='pc',
                os_command_line='mb=%d rate=%d' % (guest['mb'],
                                                   guest['rate']))
        self.flavors['calm'] = self.cloud.create_flavor('calm', CALM['ram'])
        self.flavors['busy'] = self.cloud.create_flavor('busy', BUSY['ram'])
        self.flavors['ring-on'] = self.cloud.create_flavor(
            'ring-on', CALM['ram'], extra_specs={'dirtyring:ring': 'on'})
        self.flavors['ring-trait'] = self.cloud.create_flavor(
            'ring-trait', CALM['ram'], extra_specs={
                'dirtyring:ring': 'on',
                'trait:%s' % RING_TRAIT: 'required'})
        self.flavors['busy-reject'] = self.cloud.create_flavor(
            'busy-reject', BUSY['ram'],
            extra_specs={'dirtyring:precheck_action': 'reject'})
        # The extra-spec validator answers for our keys (400 on a bad one).
        try:
            self.cloud.create_flavor('bogus', 64, extra_specs={
                'dirtyring:precheck_action': 'bogus'})
        except Exception as exc:
            expect('400' in str(exc), 'bad extra spec: %s' % exc)
        else:
            raise Failed('dirtyring:precheck_action=bogus was accepted')

    def boot(self, name, kind, flavor=None, timeout=180):
        """Boots on src; returns once the guest writes at its own rate.

        (ACTIVE comes while the firmware still runs: a pre-flight check
        right then would measure a guest that does not write yet.)
        """
        uuid = self.cloud.create_server(name, self.images[kind],
                                        self.flavors[flavor or kind], 'src')
        server = self.cloud.wait_server(uuid, timeout, status='ACTIVE',
                                        host='src')
        rates = self.full_rate(self.src, uuid, GUESTS[kind]['rate'])
        return uuid, server['OS-EXT-SRV-ATTR:instance_name'], rates

    def wait_rates(self, host, uuid, count, after=0, timeout=60):
        """The guest's next `count` per-second rates after second `after`."""
        deadline = time.monotonic() + timeout
        while True:
            rates = [r for t, r in hostview.console_rates(host, uuid)
                     if t > after]
            if len(rates) >= count:
                return rates[:count]
            if time.monotonic() > deadline:
                raise Failed('guest %s on %s: %d rate lines after t=%d in '
                             '%d s' % (uuid, host.name, len(rates), after,
                                       timeout))
            time.sleep(0.5)

    def last_second(self, host, uuid):
        rates = hostview.console_rates(host, uuid)
        return rates[-1][0] if rates else 0

    def full_rate(self, host, uuid, rate):
        """Asserts the guest writes at its own rate on host now."""
        t = self.last_second(host, uuid)
        rates = self.wait_rates(host, uuid, 3, after=t)
        expect(min(rates) >= FULL_RATE * rate,
               'guest on %s writes %s MiB/s, asks %d' % (
                   host.name, rates, rate))
        return rates

    def src_log(self, uuid, *markers):
        """src's nova-compute log lines of uuid that hold every marker.

        Each is returned from its message on (the prefix up to the request
        context cut off).
        """
        log = self.src.compute.log_path.read_text(errors='replace')
        return [line.split('] ', 1)[-1] for line in log.splitlines()
                if uuid in line and all(m in line for m in markers)]

    def precheck_verdicts(self, uuid):
        """The unversioned pre-flight verdict notifications of uuid."""
        return [n for n in self.listener.all(instance=uuid)
                if n.event_type.startswith(
                    'instance.live_migration_precheck.') and
                not n.versioned]

    def no_throttle(self, host, name):
        found = hostview.throttles(host, name)
        expect(not found, 'throttle left on %s/%s: %s' % (host.name, name,
                                                          found))

    def migrate_and_wait(self, uuid, dest, statuses, timeout=300):
        request = self.cloud.live_migrate(uuid, dest)
        migration = self.cloud.wait_migration(uuid, statuses, timeout)
        return request, migration

    def throttled(self, uuid, name, after, timeout=120):
        """Waits for our throttle.start, then QEMU's throttle on src."""
        start = self.listener.wait_for(
            'instance.live_migration_throttle.start', uuid, timeout,
            versioned=False, after=after)
        deadline = time.monotonic() + 30
        while True:
            found = hostview.throttles(self.src, name)
            if found or start.data.get('method') != 'auto-converge':
                return start, found
            if time.monotonic() > deadline:
                raise Failed('throttle.start (%s) but QEMU on src shows no '
                             'throttle' % start.data.get('method'))
            time.sleep(0.5)

    # --------------------------------------------------------- scenarios
    def boot_scenario(self):
        uuid, name, rates = self.boot('calm-1', 'calm')
        self.calm = (uuid, name)
        xml = hostview.domain_xml(self.src, name)
        ring = re.search(r"<dirty-ring state='on' size='(\d+)'/>", xml)
        node, traits = self.cloud.provider_traits('src')
        expect(bool(ring) == self.ring_offered,
               'ring in XML: %s; qualification offers it: %s' % (
                   ring.group(0) if ring else 'none', self.ring_offered))
        expect((RING_TRAIT in traits) == self.ring_offered,
               '%s on %s: %s; offered: %s' % (RING_TRAIT, node,
                                              RING_TRAIT in traits,
                                              self.ring_offered))
        return ('ACTIVE on src; XML ring: %s; trait %s: %s; serial: %s MiB/s'
                % ('size %s' % ring.group(1) if ring else 'none',
                   RING_TRAIT, 'yes' if RING_TRAIT in traits else 'no',
                   '/'.join('%.1f' % r for r in rates)))

    def ring_required(self, flavor):
        """A flavor that requires the ring, booted on src.

        Where the host offers the ring the guest has it. Where it does not:
        with only ``dirtyring:ring=on`` our driver refuses the spawn on src
        (its reason in src's log; Nova, forced to src, has no other host
        and reports only its generic fault); with the trait required as
        well, the scheduler finds no host and no compute is asked.
        """
        uuid = self.cloud.create_server(flavor, self.images['calm'],
                                        self.flavors[flavor], 'src')
        deadline = time.monotonic() + 180
        while True:
            server = self.cloud.server(uuid)
            if (server['status'] in ('ACTIVE', 'ERROR') and
                    server['OS-EXT-STS:task_state'] is None):
                break
            expect(time.monotonic() < deadline, 'status %s after 180 s' %
                   server['status'])
            time.sleep(1)
        name = server['OS-EXT-SRV-ATTR:instance_name']
        refusal = self.src_log(uuid, 'DirtyRingUnsupported:')
        if self.ring_offered:
            expect(server['status'] == 'ACTIVE', 'status %s: %s' % (
                server['status'], server.get('fault')))
            ring = re.search(r"<dirty-ring state='on' size='(\d+)'/>",
                             hostview.domain_xml(self.src, name))
            expect(ring, 'no ring in the XML of a guest that requires it')
            seen = 'ACTIVE on src with ring size %s' % ring.group(1)
        else:
            fault = (server.get('fault') or {}).get('message', '')
            expect(server['status'] == 'ERROR', 'status %s' %
                   server['status'])
            if 'trait:%s' % RING_TRAIT in self.cloud.flavor_extra_specs(
                    self.flavors[flavor]):
                # Never scheduled: in cell0, no host, no domain anywhere.
                expect(server['OS-EXT-SRV-ATTR:host'] is None,
                       'scheduled to %s' % server['OS-EXT-SRV-ATTR:host'])
                expect(not refusal, 'src was asked: %s' % refusal[:1])
                expect('No valid host' in fault, 'fault: %r' % fault)
                seen = 'ERROR, no host, no compute asked; fault: "%s"' % fault
            else:
                expect(name not in hostview.running_domains(self.src),
                       '%s runs on src' % name)
                expect(refusal, 'no refusal in %s' % self.src.compute.log_path)
                seen = ('ERROR, no domain on src; fault: "%s"; src log: "%s"'
                        % (fault, refusal[0][:400]))
        self.cloud.delete_server(uuid)
        return seen

    def calm_migration(self):
        uuid, name = self.calm
        _, migration = self.migrate_and_wait(
            uuid, 'dst', ('completed', 'error', 'failed'))
        expect(migration['status'] == 'completed',
               'migration %s' % migration['status'])
        server = self.cloud.wait_server(uuid, 60, status='ACTIVE',
                                        host='dst')
        expect(name in hostview.running_domains(self.dst),
               '%s not running on dst' % name)
        expect(name not in hostview.running_domains(self.src),
               '%s still running on src' % name)
        rates = self.full_rate(self.dst, uuid, CALM['rate'])
        return ('%s on %s, migration %s; dst serial %s MiB/s' % (
            server['status'], server['OS-EXT-SRV-ATTR:host'],
            migration['status'], '/'.join('%.1f' % r for r in rates)))

    def refusal(self, flavor, source):
        uuid, name, _ = self.boot('busy-refused-%s' % source, 'busy',
                                  flavor)
        request, migration = self.migrate_and_wait(
            uuid, 'dst', ('completed', 'error', 'failed'))
        expect(migration['status'] == 'error',
               'migration %s' % migration['status'])
        self.cloud.wait_server(uuid, 60, status='ACTIVE', host='src')
        expect(name in hostview.running_domains(self.src),
               '%s not running on src' % name)
        action = self.cloud.action_events(uuid, request)
        events = {e['event']: e for e in action['events']}
        check = events.get('compute_check_can_live_migrate_source')
        expect(check is not None and check['result'] == 'Error',
               'events: %s' % json.dumps(action['events'])[:600])
        reject = self.listener.wait_for(
            'instance.live_migration_precheck.reject', uuid, 30,
            versioned=False)
        reason = reject.data['reason']
        expect(reject.data['action_source'] == source,
               'action_source %s' % reject.data['action_source'])
        expect(reason in (check.get('details') or ''),
               'event details %r lack the reason %r' % (
                   check.get('details'), reason))
        self.cloud.delete_server(uuid)
        return ('ACTIVE on src, migration error; event %s Error: "%s"' % (
            check['event'], check['details']))

    def convergence(self):
        uuid, name, _ = self.boot('busy-1', 'busy')
        self.busy = (uuid, name)
        t0 = time.monotonic()
        request = self.cloud.live_migrate(uuid, 'dst')
        start, qemu = self.throttled(uuid, name, t0)
        migration = self.cloud.wait_migration(
            uuid, ('completed', 'error', 'failed'), 600)
        took = time.monotonic() - t0
        expect(migration['status'] == 'completed',
               'migration %s' % migration['status'])
        self.cloud.wait_server(uuid, 60, status='ACTIVE', host='dst')
        self.no_throttle(self.dst, name)
        rates = self.full_rate(self.dst, uuid, BUSY['rate'])
        self.busy_request = request
        # Nova alone would not converge: the guest outruns the capped link.
        check = self.precheck_verdicts(uuid)[0]
        expect('would not converge' in check.data['reason'],
               'pre-flight forecast: %s' % check.data['reason'])
        wanted = [
            ('instance.live_migration_throttle.start', None),
            ('instance.live_migration_throttle.end', None),
            ('instance.live_migration_pre.start', True),
            ('instance.live_migration_post.end', True),
            ('compute.instance.live_migration._post.end', False),
        ]
        seen = []
        for event_type, versioned in wanted:
            for v in ((True, False) if versioned is None else (versioned,)):
                self.listener.wait_for(event_type, uuid, 60, versioned=v)
            seen.append(event_type)
        end = self.listener.wait_for('instance.live_migration_throttle.end',
                                     uuid, 5, versioned=False)
        expect(end.data.get('result') == 'completed',
               'throttle.end result %s' % end.data.get('result'))
        return ('pre-flight: %s; completed in %.0f s via %s (%s; QEMU on '
                'src: %s); on dst no throttle, serial %s MiB/s; received '
                '(both formats for ours): %s' % (
                    check.data['reason'].split(';')[0], took,
                    start.data.get('method'),
                    start.data.get('reason'), qemu,
                    '/'.join('%.1f' % r for r in rates), ', '.join(seen)))

    def warn_goes(self):
        uuid, _ = self.busy
        action = self.cloud.action_events(uuid, self.busy_request)
        events = {e['event']: e['result'] for e in action['events']}
        expect(events.get('compute_check_can_live_migrate_source') ==
               'Success', 'events %s' % events)
        warning = self.src_log(uuid, 'WARNING nova_dirtyring', 'pre-flight')
        expect(warning, 'no pre-flight WARNING for %s in %s' % (
            uuid, self.src.compute.log_path))
        verdict = self.precheck_verdicts(uuid)
        expect(len(verdict) == 1, 'precheck notifications: %s' % verdict)
        data = verdict[0].data
        return ('check Success, migration went (row 4); src log: %s; '
                'notified: %s (action %s from %s)' % (
                    warning[0],
                    verdict[0].event_type, data.get('action'),
                    data.get('action_source')))

    def abort(self):
        uuid, name, _ = self.boot('busy-abort', 'busy')
        t0 = time.monotonic()
        self.cloud.live_migrate(uuid, 'dst')
        self.throttled(uuid, name, t0)
        migration = self.cloud.migrations(uuid)[0]
        self.cloud.abort_migration(uuid, migration['id'])
        migration = self.cloud.wait_migration(
            uuid, ('cancelled', 'completed', 'error', 'failed'), 120)
        expect(migration['status'] == 'cancelled',
               'migration %s' % migration['status'])
        self.cloud.wait_server(uuid, 60, status='ACTIVE', host='src')
        # ... and stays so once Nova's migration thread has ended too.
        time.sleep(5)
        server = self.cloud.wait_server(uuid, 5, status='ACTIVE', host='src')
        migration = self.cloud.migrations(uuid)[0]
        expect(migration['status'] == 'cancelled',
               'migration %s after 5 s' % migration['status'])
        expect(name in hostview.running_domains(self.src),
               '%s not running on src' % name)
        self.no_throttle(self.src, name)
        end = self.listener.wait_for('instance.live_migration_throttle.end',
                                     uuid, 30, versioned=False, after=t0)
        rates = self.full_rate(self.src, uuid, BUSY['rate'])
        self.aborted = (uuid, name)
        return ('migration cancelled; %s on src; QEMU: no throttle; '
                'serial %s MiB/s; throttle.end result=%s removed=%s' % (
                    server['status'], '/'.join('%.1f' % r for r in rates),
                    end.data.get('result'), end.data.get('removed')))

    def restart(self):
        """kill -9 of the source nova-compute in a throttled migration.

        Upstream's start-up (ComputeManager._init_instance) aborts the
        migration it finds running, sets it to ``error`` and clears the
        instance's task; libvirt then ends the job and the guest runs on
        the source only.
        """
        uuid, name = self.aborted
        t0 = time.monotonic()
        self.cloud.live_migrate(uuid, 'dst')
        start, _ = self.throttled(uuid, name, t0)
        migration = self.cloud.migrations(uuid)[0]
        self.src.compute.kill_main()
        killed = time.monotonic()
        # The operator's config change rides on the restart (row 3b).
        self.restart_src(HOST_WIDE_REJECT)
        migration = self.cloud.wait_migration(
            uuid, ('error', 'completed', 'cancelled', 'failed'), 120)
        expect(migration['status'] == 'error',
               'migration %s (upstream sets error)' % migration['status'])
        server = self.cloud.wait_server(uuid, 120)
        host = server['OS-EXT-SRV-ATTR:host']
        deadline = time.monotonic() + 120
        while True:
            where = [h for h in (self.src, self.dst)
                     if name in hostview.running_domains(h)]
            if len(where) == 1 or time.monotonic() > deadline:
                break
            time.sleep(1)
        expect(len(where) == 1, 'running on %s' % [h.name for h in where])
        expect(where[0].name == host == 'src',
               'API says %s, libvirt runs it on %s' % (host, where[0].name))
        expect(server['status'] == 'ACTIVE',
               'status %s' % server['status'])
        for h in (self.src, self.dst):
            for dom in hostview.running_domains(h):
                self.no_throttle(h, dom)
        end = self.listener.wait_for('instance.live_migration_throttle.end',
                                     uuid, 60, versioned=False,
                                     after=killed)
        rates = self.full_rate(where[0], uuid, BUSY['rate'])
        return ('after kill -9 (throttle %s on) and restart: %s on %s, task '
                '%s, migration %s (libvirt: src only); no throttle on any '
                'guest; throttle.end result=%s; serial %s MiB/s' % (
                    start.data.get('method'), server['status'], host,
                    server['OS-EXT-STS:task_state'], migration['status'],
                    end.data.get('result'),
                    '/'.join('%.1f' % r for r in rates)))

    def restart_src(self, overrides, timeout=120):
        """Starts src's nova-compute (again) with overrides; waits for it.

        Up means: its log shows our driver's host check of this start and
        the API lists the service up.
        """
        host = self.src
        if host.compute.alive():
            host.compute.stop()
        log = host.compute.log_path
        before = log.read_text(errors='replace').count(DRIVER_STARTED)
        self.stack.write_compute_conf(host, overrides)
        self.stack.start_compute(host)
        deadline = time.monotonic() + timeout
        while True:
            self.stack.check_alive()
            services = [s for s in self.cloud.compute_services()
                        if s['host'] == host.name]
            started = log.read_text(errors='replace').count(DRIVER_STARTED)
            if started > before and services and services[0]['state'] == 'up':
                return
            if time.monotonic() > deadline:
                raise Failed('nova-compute on %s not up %d s after restart'
                             % (host.name, timeout))
            time.sleep(1)

    def host_wide_refusal(self):
        if self.src.conf['dirtyring'].get('precheck_action') != 'reject':
            self.restart_src(HOST_WIDE_REJECT)
        return self.refusal('busy', 'host')

    def telemetry(self):
        measures = [n for n in self.listener.all(
            'instance.dirty_rate.measure') if not n.versioned]
        expect(measures, 'no instance.dirty_rate.measure was published')
        seen = []
        for measure in measures:
            uuid = measure.data['instance_uuid']
            rate = measure.data['megabytes_per_second']
            samples = self.ceilometer.wait_for_samples(
                lambda s, u=uuid, r=rate: (s['resource_id'] == u and
                                           abs(s['volume'] - r) < 1e-6),
                timeout=60)
            seen.append('%s %.1f %s' % (uuid[:8], samples[0]['volume'],
                                        samples[0]['unit']))
        return '%d memory.dirty_rate samples read back: %s' % (
            len(seen), '; '.join(seen))
