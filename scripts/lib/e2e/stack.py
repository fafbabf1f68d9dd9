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

"""A small, real OpenStack on this machine, for the end-to-end scenarios.

Keystone, Glance, Placement and nova-api under gunicorn, a network stub
(``neutron_stub``), nova-conductor and nova-scheduler on loopback, and one
nova-compute with ``compute_driver = dirtyring.LibvirtDriver`` per libvirt
host of ``scripts/hosts``.  Each compute runs in its host's mount and UTS
namespaces (its ``/run/libvirt``, its ``/var/lib/nova`` bound over a
directory of its own, so the two hosts share no instance directory and
Nova block-migrates) and in the machine's network namespace (RabbitMQ and
the APIs on loopback); its libvirtd migrates over the hosts' own link.
The databases are MariaDB's, on a unix socket (with sqlite, four
writers made Nova fail with "database is locked" during the first live
migration).  Everything lives under one run directory.
"""

import configparser
import os
import pathlib
import shutil
import socket
import subprocess
import time

from e2e import process

PASSWORD = 'e2e-admin'          # the admin user: test rig only
REGION = 'RegionOne'
PORTS = {'identity': 5000, 'image': 9292, 'placement': 8778,
         'compute': 8774, 'network': 9696}
ENDPOINT_PATHS = {'identity': '/v3', 'image': '', 'placement': '',
                  'compute': '/v2.1', 'network': ''}


def url(service):
    return 'http://127.0.0.1:%d%s' % (PORTS[service],
                                      ENDPOINT_PATHS[service])


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(('127.0.0.1', port)) == 0


def write_ini(path, sections):
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    for section, options in sections.items():
        parser[section] = {k: str(v) for k, v in options.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open('w') as f:
        parser.write(f)


def keystone_auth(section_extra=None):
    """A ``[keystone_authtoken]``-style password auth section as admin."""
    opts = {
        'auth_type': 'password',
        'auth_url': url('identity'),
        'project_domain_name': 'Default',
        'user_domain_name': 'Default',
        'project_name': 'admin',
        'username': 'admin',
        'password': PASSWORD,
        'region_name': REGION,
    }
    opts.update(section_extra or {})
    return opts


class Host:
    """One libvirt host of ``scripts/hosts`` and its nova-compute."""

    def __init__(self, name, info):
        self.name = name
        self.ip = info['ip']
        self.uri = info['uri']
        self.state_dir = pathlib.Path(info['state_dir'])
        self.run_dir = pathlib.Path(info['run_dir'])
        # /var/lib/nova inside the host's mount namespace.
        self.nova_dir = self.state_dir / 'nova'
        self.compute = None
        self.conf = None

    def libvirtd_pid(self):
        return int((self.run_dir / 'libvirtd.pid').read_text().strip())

    def instance_dir(self, uuid):
        return self.nova_dir / 'instances' / uuid

    def dirtyring_state_dir(self):
        return self.nova_dir / 'dirtyring'


class Stack:
    """Configures, starts and stops the services; knows where they log."""

    def __init__(self, repo, run_dir, venv, e2e_venv, transport_url, hosts,
                 live_migration_bandwidth):
        self.repo = pathlib.Path(repo)
        self.run = pathlib.Path(run_dir)
        self.venv = pathlib.Path(venv)
        self.e2e_venv = pathlib.Path(e2e_venv)
        self.transport_url = transport_url
        self.hosts = hosts
        self.bandwidth = live_migration_bandwidth
        self.etc = self.run / 'etc'
        self.logs = self.run / 'logs'
        self.services = []
        self.timings = {}

    # ------------------------------------------------------------ helpers
    def _bin(self, venv, name):
        return str(venv / 'bin' / name)

    def _run(self, argv, env=None, timeout=300):
        """Runs a set-up command; its output goes to logs/setup.log."""
        self.logs.mkdir(parents=True, exist_ok=True)
        full_env = dict(os.environ)
        full_env.update(env or {})
        with (self.logs / 'setup.log').open('ab') as log:
            log.write(('--- %s\n' % ' '.join(argv)).encode())
            log.flush()
            rc = subprocess.call(argv, stdout=log, stderr=subprocess.STDOUT,
                                 env=full_env, timeout=timeout)
        if rc != 0:
            tail = (self.logs / 'setup.log').read_text().splitlines()[-20:]
            raise process.ProcessFailed('%s exited %d:\n%s' % (
                ' '.join(argv), rc, '\n'.join(tail)))

    def _service(self, name, argv, env=None, cwd=None):
        svc = process.Service(name, argv, self.logs / ('%s.log' % name),
                              env=env, cwd=cwd)
        svc.start()
        self.services.append(svc)
        return svc

    def _gunicorn(self, name, venv, module, port, env):
        env = dict(env, E2E_WSGI_MODULE=module,
                   PYTHONPATH=str(self.repo / 'scripts' / 'lib'))
        svc = self._service(name, [
            self._bin(venv, 'gunicorn'), '--bind', '127.0.0.1:%d' % port,
            '--workers', '1', '--threads', '4', '--worker-class', 'gthread',
            '--timeout', '300', '--graceful-timeout', '5',
            '--no-control-socket',
            'e2e.wsgi_app:application'], env=env)
        return svc

    def _timed(self, key, func, *args):
        t0 = time.monotonic()
        result = func(*args)
        self.timings[key] = time.monotonic() - t0
        return result

    def _db(self, name):
        return 'mysql+pymysql://root@/%s?unix_socket=%s&charset=utf8' % (
            name, self.db_socket)

    @property
    def db_socket(self):
        return self.run / 'mariadb' / 'mariadb.sock'

    # ------------------------------------------------------------ configs
    def nova_shared(self):
        """Options every Nova service of the stack shares."""
        return {
            'DEFAULT': {
                'transport_url': self.transport_url,
                'my_ip': '127.0.0.1',
                'state_path': str(self.run / 'nova'),
                'debug': 'False',
                'use_stderr': 'True',
            },
            'placement': keystone_auth(),
            'glance': keystone_auth(),
            'neutron': keystone_auth(),
            'cinder': {'os_region_name': REGION},
            'notifications': {'notification_format': 'both'},
            'oslo_messaging_notifications': {'driver': 'messagingv2'},
            'oslo_concurrency': {'lock_path': str(self.run / 'nova' / 'lock')},
            'vnc': {'enabled': 'False'},
            'spice': {'enabled': 'False'},
        }

    def nova_control(self):
        """nova-api's, the conductor's and the scheduler's options."""
        conf = self.nova_shared()
        conf.update({
            'api': {'auth_strategy': 'keystone'},
            'api_database': {'connection': self._db('nova_api')},
            'database': {'connection': self._db('nova_cell1')},
            'keystone_authtoken': keystone_auth(
                {'www_authenticate_uri': url('identity')}),
            'scheduler': {'discover_hosts_in_cells_interval': '-1',
                          'workers': '1'},
            'conductor': {'workers': '1'},
        })
        return conf

    def compute_conf(self, host, overrides=None):
        """A nova-compute with our driver: no database, as upstream."""
        conf = self.nova_shared()
        conf.update({
            'libvirt': {
                'virt_type': 'kvm',
                'connection_uri': 'qemu:///system',
                'cpu_mode': 'none',
                'live_migration_inbound_addr': host.ip,
                'live_migration_bandwidth': str(self.bandwidth),
            },
            'workarounds': {'skip_cpu_compare_on_dest': 'True'},
            'oslo_concurrency': {'lock_path': '/var/lib/nova/lock'},
            'nova_sys_admin': {'helper_command': ' '.join([
                self._bin(self.venv, 'privsep-helper'),
                '--config-file', str(self.compute_conf_path(host))])},
            'dirtyring': {
                'library_path': str(self.repo / '.build' / 'release' /
                                    'libdirtyring.so'),
                'state_dir': '/var/lib/nova/dirtyring',
                'canary_kernel': str(self.repo / '.build' / 'guest' /
                                     'guest.elf'),
            },
        })
        conf['DEFAULT'].update({
            'host': host.name,
            'my_ip': host.ip,
            'compute_driver': 'dirtyring.LibvirtDriver',
            'state_path': '/var/lib/nova',
            'instances_path': '/var/lib/nova/instances',
            'reserved_host_memory_mb': '512',
        })
        for section, options in (overrides or {}).items():
            conf.setdefault(section, {}).update(options)
        return conf

    def compute_conf_path(self, host):
        return self.etc / ('nova-compute-%s.conf' % host.name)

    def write_configs(self):
        etc = self.etc
        common = {'debug': 'False', 'use_stderr': 'True'}
        write_ini(etc / 'keystone' / 'keystone.conf', {
            'DEFAULT': common,
            'database': {'connection': self._db('keystone')},
            'token': {'provider': 'fernet'},
            'fernet_tokens': {'key_repository': str(self.run / 'fernet')},
            'credential': {'key_repository': str(self.run / 'credential')},
        })
        glance = self.run / 'glance'
        for d in ('images', 'staging', 'tasks'):
            (glance / d).mkdir(parents=True, exist_ok=True)
        write_ini(etc / 'glance' / 'glance-api.conf', {
            'DEFAULT': dict(common, enabled_backends='fs:file'),
            'database': {'connection': self._db('glance')},
            'glance_store': {'default_backend': 'fs'},
            'fs': {'filesystem_store_datadir': str(glance / 'images')},
            'os_glance_staging_store': {
                'filesystem_store_datadir': str(glance / 'staging')},
            'os_glance_tasks_store': {
                'filesystem_store_datadir': str(glance / 'tasks')},
            'keystone_authtoken': keystone_auth(
                {'www_authenticate_uri': url('identity')}),
            'paste_deploy': {'flavor': 'keystone'},
            'oslo_concurrency': {'lock_path': str(glance / 'lock')},
        })
        shutil.copy(self.e2e_venv / 'etc' / 'glance' /
                    'glance-api-paste.ini', etc / 'glance')
        write_ini(etc / 'placement' / 'placement.conf', {
            'DEFAULT': common,
            'placement_database': {'connection': self._db('placement')},
            'api': {'auth_strategy': 'keystone'},
            'keystone_authtoken': keystone_auth(
                {'www_authenticate_uri': url('identity')}),
        })
        write_ini(etc / 'nova' / 'nova.conf', self.nova_control())
        shutil.copy(self.venv / 'etc' / 'nova' / 'api-paste.ini',
                    etc / 'nova')
        for host in self.hosts.values():
            self.write_compute_conf(host)
        (self.run / 'mariadb').mkdir(parents=True, exist_ok=True)
        (self.run / 'nova' / 'lock').mkdir(parents=True, exist_ok=True)

    def write_compute_conf(self, host, overrides=None):
        host.conf = self.compute_conf(host, overrides)
        write_ini(self.compute_conf_path(host), host.conf)

    # ------------------------------------------------------------ start
    def start_database(self):
        data = self.run / 'mariadb'
        self._run(['mariadb-install-db', '--no-defaults', '--user=root',
                   '--datadir=%s' % (data / 'data'),
                   '--auth-root-authentication-method=normal',
                   '--skip-test-db'])
        svc = self._service('mariadb', [
            'mariadbd', '--no-defaults', '--user=root',
            '--datadir=%s' % (data / 'data'), '--skip-networking',
            '--socket=%s' % self.db_socket,
            '--pid-file=%s' % (data / 'mariadb.pid'),
            '--innodb-buffer-pool-size=64M', '--max-connections=500',
            '--skip-log-bin'])
        svc.wait_until(self.db_socket.exists, 60, 'no socket')
        names = ('keystone', 'glance', 'placement', 'nova_api',
                 'nova_cell0', 'nova_cell1')
        self._run(['mariadb', '--no-defaults', '--user=root',
                   '--socket=%s' % self.db_socket, '-e',
                   ' '.join('CREATE DATABASE %s;' % n for n in names)])

    def prepare_databases(self):
        ks = self._bin(self.e2e_venv, 'keystone-manage')
        ks_conf = ['--config-file', str(self.etc / 'keystone' /
                                        'keystone.conf')]
        self._run([ks] + ks_conf + ['db_sync'])
        for what in ('fernet_setup', 'credential_setup'):
            self._run([ks] + ks_conf + [what, '--keystone-user', 'root',
                                        '--keystone-group', 'root'])
        self._run([ks] + ks_conf + [
            'bootstrap', '--bootstrap-password', PASSWORD,
            '--bootstrap-region-id', REGION,
            '--bootstrap-admin-url', url('identity'),
            '--bootstrap-internal-url', url('identity'),
            '--bootstrap-public-url', url('identity')])
        self._run([self._bin(self.e2e_venv, 'glance-manage'),
                   '--config-file',
                   str(self.etc / 'glance' / 'glance-api.conf'), 'db_sync'])
        self._run([self._bin(self.venv, 'placement-manage'),
                   '--config-file',
                   str(self.etc / 'placement' / 'placement.conf'),
                   'db', 'sync'])
        nm = [self._bin(self.venv, 'nova-manage'), '--config-file',
              str(self.etc / 'nova' / 'nova.conf')]
        self._run(nm + ['api_db', 'sync'])
        self._run(nm + ['cell_v2', 'map_cell0', '--database_connection',
                        self._db('nova_cell0')])
        self._run(nm + ['cell_v2', 'create_cell', '--name', 'cell1'])
        self._run(nm + ['db', 'sync'])

    def start_apis(self):
        lib = str(self.repo / 'scripts' / 'lib')
        # name, venv, WSGI module, catalog service, config-dir variable, dir
        wsgi = (
            ('keystone', self.e2e_venv, 'keystone.wsgi.api', 'identity',
             'OS_KEYSTONE_CONFIG_DIR', 'keystone'),
            ('glance-api', self.e2e_venv, 'glance.wsgi.api', 'image',
             'OS_GLANCE_CONFIG_DIR', 'glance'),
            ('placement-api', self.venv, 'placement.wsgi.api', 'placement',
             'OS_PLACEMENT_CONFIG_DIR', 'placement'),
            ('nova-api', self.venv, 'nova.wsgi.osapi_compute', 'compute',
             'OS_NOVA_CONFIG_DIR', 'nova'),
        )
        apis = [self._gunicorn(name, venv, module, PORTS[service],
                               {variable: str(self.etc / directory)})
                for name, venv, module, service, variable, directory in wsgi]
        apis.append(self._service('neutron-stub', [
            self._bin(self.venv, 'python'), '-m', 'e2e.neutron_stub',
            str(PORTS['network'])], env={'PYTHONPATH': lib}))
        ports = [PORTS[s] for s in ('identity', 'image', 'placement',
                                    'compute', 'network')]
        for svc, port in zip(apis, ports):
            svc.wait_until(lambda p=port: port_open(p), 120,
                           'port %d did not open' % port)

    def start_conductor_scheduler(self):
        conf = ['--config-file', str(self.etc / 'nova' / 'nova.conf')]
        for name in ('nova-conductor', 'nova-scheduler'):
            self._service(name, [self._bin(self.venv, name)] + conf)

    def prepare_host(self, host, verdict_file):
        """The host's /var/lib/nova (its own), with this machine's verdict.

        ``verdict_file`` is the ring qualification of this machine (the
        hosts share its kernel, KVM, CPU, libvirt and QEMU, which key it).
        """
        state = host.dirtyring_state_dir()
        state.mkdir(parents=True, exist_ok=True)
        shutil.copy(verdict_file, state / 'ring-qualification.json')
        (host.nova_dir / 'instances').mkdir(parents=True, exist_ok=True)
        (host.nova_dir / 'lock').mkdir(parents=True, exist_ok=True)
        pid = str(host.libvirtd_pid())
        self._run(['nsenter', '--target', pid, '--mount', '--',
                   'sh', '-euc',
                   'mountpoint -q /var/lib/nova || {'
                   ' mkdir -p /var/lib/nova;'
                   ' mount --bind "$1" /var/lib/nova; }',
                   'sh', str(host.nova_dir)])

    def start_compute(self, host):
        pid = str(host.libvirtd_pid())
        svc = process.Service('nova-compute-%s' % host.name, [
            'nsenter', '--target', pid, '--mount', '--uts', '--',
            self._bin(self.venv, 'nova-compute'),
            '--config-file', str(self.compute_conf_path(host))],
            self.logs / ('nova-compute-%s.log' % host.name))
        svc.start()
        if host.compute is not None and host.compute in self.services:
            self.services.remove(host.compute)
        self.services.append(svc)
        host.compute = svc
        return svc

    def discover_hosts(self):
        self._run([self._bin(self.venv, 'nova-manage'), '--config-file',
                   str(self.etc / 'nova' / 'nova.conf'),
                   'cell_v2', 'discover_hosts', '--verbose'])

    def register(self, cloud):
        """Keystone's catalog; waits until every API answers through it."""
        deadline = time.monotonic() + 120
        while True:
            try:
                cloud.session.get_token()
                break
            except Exception:
                self.check_alive()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        cloud.register_catalog()
        for service, path in (('image', '/v2/images'),
                              ('placement', '/resource_providers'),
                              ('compute', '/flavors')):
            cloud.wait_ready(service, path, 120)

    def start(self, verdict_file, cloud):
        if self.run.exists():
            shutil.rmtree(self.run)
        busy = [s for s, p in PORTS.items() if port_open(p)]
        if busy:
            raise process.ProcessFailed(
                'ports in use on 127.0.0.1: %s (another OpenStack running?)'
                % ', '.join('%s %d' % (s, PORTS[s]) for s in busy))
        self._timed('configure', self.write_configs)
        self._timed('mariadb', self.start_database)
        self._timed('databases', self.prepare_databases)
        self._timed('apis', self.start_apis)
        self._timed('catalog', self.register, cloud)
        self._timed('conductor+scheduler', self.start_conductor_scheduler)
        for host in self.hosts.values():
            self.prepare_host(host, verdict_file)
            self.start_compute(host)

    def wait_computes(self, cloud, names, timeout=180):
        """Both computes up, mapped to the cell, their nodes in Placement."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            up = {s['host'] for s in cloud.compute_services()
                  if s['state'] == 'up' and s['status'] == 'enabled'}
            providers = cloud.get('placement',
                                  '/resource_providers')['resource_providers']
            if set(names) <= up and len(providers) >= len(names):
                break
            if time.monotonic() > deadline:
                raise process.ProcessFailed(
                    'computes up: %s, providers: %d after %d s' % (
                        sorted(up), len(providers), timeout))
            time.sleep(1)
        self.discover_hosts()

    def check_alive(self):
        for svc in self.services:
            svc.check_alive()

    def rss_kib(self):
        return {svc.name: svc.rss_kib() for svc in self.services}

    def stop(self):
        process.stop_all(self.services)
