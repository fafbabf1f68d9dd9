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

"""The stack's REST APIs as an operator calls them (admin, keystoneauth).

Compute calls use microversion 2.84 unless a call names another; every
response is checked against the status the API documents for the call.
"""

import time

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session

from e2e import stack

COMPUTE_MICROVERSION = '2.84'
PLACEMENT_MICROVERSION = '1.6'


class APIError(Exception):
    """A call answered with a status other than the one expected."""


class Cloud:
    """An admin session on the stack's Keystone."""

    def __init__(self):
        auth = v3.Password(auth_url=stack.url('identity'), username='admin',
                           password=stack.PASSWORD, project_name='admin',
                           user_domain_name='Default',
                           project_domain_name='Default')
        self.session = ks_session.Session(auth=auth)

    def _call(self, service, method, path, expect, microversion=None,
              **kwargs):
        headers = kwargs.pop('headers', {})
        if service == 'compute':
            microversion = microversion or COMPUTE_MICROVERSION
        elif service == 'placement':
            microversion = microversion or PLACEMENT_MICROVERSION
        resp = self.session.request(
            path, method,
            endpoint_filter={'service_type': service,
                             'interface': 'public',
                             'region_name': stack.REGION},
            microversion=microversion,
            microversion_service_type=service if microversion else None,
            headers=headers, raise_exc=False, **kwargs)
        if resp.status_code != expect:
            raise APIError('%s %s %s: %d %s (expected %d)' % (
                service, method, path, resp.status_code, resp.text[:2000],
                expect))
        return resp

    def get(self, service, path, **kw):
        return self._call(service, 'GET', path, 200, **kw).json()

    # --------------------------------------------------------- identity
    def register_catalog(self):
        """Services and endpoints (public, internal, admin) of the stack."""
        ident = {'service_type': 'identity', 'interface': 'public'}
        names = {'image': 'glance', 'placement': 'placement',
                 'compute': 'nova', 'network': 'neutron'}
        for service_type, name in names.items():
            svc = self.session.post('/services', endpoint_filter=ident, json={
                'service': {'type': service_type, 'name': name}}).json()
            for interface in ('public', 'internal', 'admin'):
                self.session.post('/endpoints', endpoint_filter=ident, json={
                    'endpoint': {'service_id': svc['service']['id'],
                                 'interface': interface,
                                 'region_id': stack.REGION,
                                 'url': stack.url(service_type)}})
        # A new token sees the new catalog.
        self.session.invalidate()

    def wait_ready(self, service, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._call(service, 'GET', path, 200)
                return
            except (APIError, ks_exc.ConnectFailure,
                    ks_exc.EndpointNotFound, ks_exc.DiscoveryFailure,
                    ks_exc.ServiceUnavailable):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    # ------------------------------------------------------------ image
    def create_image(self, name, data, disk_format, container_format,
                     **properties):
        body = dict(properties, name=name, disk_format=disk_format,
                    container_format=container_format, visibility='public')
        image = self._call('image', 'POST', '/v2/images', 201,
                           json=body).json()
        self._call('image', 'PUT', '/v2/images/%s/file' % image['id'], 204,
                   data=data,
                   headers={'Content-Type': 'application/octet-stream'})
        return image['id']

    # ---------------------------------------------------------- compute
    def create_flavor(self, name, ram, vcpus=1, disk=1, extra_specs=None):
        flavor = self._call('compute', 'POST', '/flavors', 200, json={
            'flavor': {'name': name, 'ram': ram, 'vcpus': vcpus,
                       'disk': disk}}).json()['flavor']
        if extra_specs:
            # 2.86: nova-api validates extra specs (ours included).
            self._call('compute', 'POST',
                       '/flavors/%s/os-extra_specs' % flavor['id'], 200,
                       microversion='2.86',
                       json={'extra_specs': extra_specs})
        return flavor['id']

    def flavor_extra_specs(self, flavor):
        return self.get('compute', '/flavors/%s/os-extra_specs' %
                        flavor)['extra_specs']

    def create_server(self, name, image, flavor, host):
        # 'host' (2.74+): the boot goes to that host, as the scenarios need.
        server = self._call('compute', 'POST', '/servers', 202,
                            json={'server': {
                                'name': name, 'imageRef': image,
                                'flavorRef': flavor, 'networks': 'none',
                                'host': host}}).json()['server']
        return server['id']

    def server(self, uuid):
        return self.get('compute', '/servers/%s' % uuid)['server']

    def wait_server(self, uuid, timeout, status=None, task_state=None,
                    host=None):
        """Wait until the server shows status, no task and (opt.) host.

        Raises at once on ERROR when another status is awaited.
        """
        deadline = time.monotonic() + timeout
        while True:
            server = self.server(uuid)
            if (server['status'] == (status or server['status']) and
                    server['OS-EXT-STS:task_state'] == task_state and
                    (host is None or
                     server['OS-EXT-SRV-ATTR:host'] == host)):
                return server
            if server['status'] == 'ERROR' and status != 'ERROR':
                raise APIError('server %s went to ERROR: %s' % (
                    uuid, server.get('fault')))
            if time.monotonic() > deadline:
                raise APIError('server %s: status %s task %s host %s after '
                               '%d s (waited for %s/%s/%s)' % (
                                   uuid, server['status'],
                                   server['OS-EXT-STS:task_state'],
                                   server['OS-EXT-SRV-ATTR:host'], timeout,
                                   status, task_state, host))
            time.sleep(1)

    def live_migrate(self, uuid, host):
        """Starts a live migration; returns the request id of the action."""
        resp = self._call('compute', 'POST', '/servers/%s/action' % uuid,
                          202, json={'os-migrateLive': {
                              'host': host, 'block_migration': 'auto'}})
        return resp.headers['x-openstack-request-id']

    def migrations(self, uuid):
        """Every live migration of the server, newest first."""
        migs = self.get('compute', '/os-migrations',
                        params={'instance_uuid': uuid,
                                'migration_type': 'live-migration'})
        return sorted(migs['migrations'], key=lambda m: m['id'],
                      reverse=True)

    def wait_migration(self, uuid, statuses, timeout):
        deadline = time.monotonic() + timeout
        while True:
            migs = self.migrations(uuid)
            if migs and migs[0]['status'] in statuses:
                return migs[0]
            if time.monotonic() > deadline:
                raise APIError('migration of %s: %s after %d s (waited for '
                               '%s)' % (uuid, migs[0]['status'] if migs
                                        else 'none', timeout, statuses))
            time.sleep(1)

    def abort_migration(self, uuid, migration_id):
        self._call('compute', 'DELETE', '/servers/%s/migrations/%s' % (
            uuid, migration_id), 202)

    def actions(self, uuid):
        return self.get('compute', '/servers/%s/os-instance-actions' %
                        uuid)['instanceActions']

    def action_events(self, uuid, request_id):
        return self.get('compute', '/servers/%s/os-instance-actions/%s' % (
            uuid, request_id))['instanceAction']

    def delete_server(self, uuid):
        self._call('compute', 'DELETE', '/servers/%s' % uuid, 204)

    def compute_services(self):
        return self.get('compute', '/os-services',
                        params={'binary': 'nova-compute'})['services']

    # -------------------------------------------------------- placement
    def provider_traits(self, host):
        """Traits of the compute node provider of host (by hypervisor)."""
        hypervisors = self.get('compute', '/os-hypervisors')['hypervisors']
        nodes = {h['id'] for h in hypervisors}
        for hv in self.get('compute',
                           '/os-hypervisors/detail')['hypervisors']:
            if hv['service']['host'] == host and hv['id'] in nodes:
                return hv['hypervisor_hostname'], self.get(
                    'placement', '/resource_providers/%s/traits' %
                    hv['id'])['traits']
        raise APIError('no hypervisor of host %s' % host)
