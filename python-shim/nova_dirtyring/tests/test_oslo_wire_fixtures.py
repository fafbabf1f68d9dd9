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

"""The notification fixtures are oslo.messaging's own output.

``tox-data/notifications/generate.py`` sends every catalogue event through a
real oslo.messaging Notifier and records what the rabbit driver publishes;
the Swift tests encode the same inputs and compare byte for byte.  Here the
generator runs again (in a subprocess: it patches oslo and kombu) and every
committed file must come out identical, and oslo's own listener side must
accept every body.
"""

import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

import kombu
from oslo_messaging._drivers import common
from oslo_messaging.notify import dispatcher
import testtools

from nova_dirtyring import native
from nova_dirtyring.tests import dr_fixtures

FIXTURES = dr_fixtures.REPO_ROOT / 'tox-data' / 'notifications'
EVENTS = {
    'instance.dirty_rate.measure': 'INFO',
    'instance.live_migration_precheck.accept': 'INFO',
    'instance.live_migration_precheck.throttle': 'INFO',
    'instance.live_migration_precheck.reject': 'WARN',
    'instance.live_migration_throttle.start': 'INFO',
    'instance.live_migration_throttle.end': 'INFO',
    'compute.dirty_ring.fault': 'ERROR',
}


RABBIT_URL = dr_fixtures.RABBIT_URL
PROPERTIES = ('content_type', 'content_encoding', 'delivery_mode', 'priority',
              'headers')


def _inputs():
    with open(FIXTURES / 'inputs.json') as source:
        return json.load(source)


class TestOsloWireFixtures(testtools.TestCase):

    def test_regenerated_with_oslo_identical(self):
        with tempfile.TemporaryDirectory() as output:
            subprocess.run(
                [sys.executable, str(FIXTURES / 'generate.py'), output],
                check=True, capture_output=True, timeout=300)
            generated = sorted(os.listdir(output))
            committed = sorted(name for name in os.listdir(FIXTURES)
                               if name not in ('generate.py', 'README.md')
                               and not name.startswith('.'))
            self.assertEqual(committed, generated)
            match, mismatch, errors = filecmp.cmpfiles(
                output, FIXTURES, generated, shallow=False)
            self.assertEqual([], mismatch)
            self.assertEqual([], errors)
            self.assertEqual(generated, sorted(match))

    def test_catalogue_in_both_formats(self):
        seen = set()
        for item in _inputs():
            self.assertEqual(EVENTS[item['event_type']], item['priority'])
            payload = item['payload']
            if item['topic'] == 'versioned_notifications':
                self.assertTrue(item['publisher_id'].startswith(
                    'nova-compute:'))
                self.assertEqual(
                    ['nova_object.name', 'nova_object.namespace',
                     'nova_object.version', 'nova_object.data'],
                    list(payload))
                self.assertEqual('nova-dirtyring',
                                 payload['nova_object.namespace'])
                self.assertEqual('1.0', payload['nova_object.version'])
                seen.add((item['event_type'], 'versioned'))
            else:
                self.assertEqual('notifications', item['topic'])
                self.assertTrue(item['publisher_id'].startswith('compute.'))
                self.assertNotIn('nova_object.data', payload)
                seen.add((item['event_type'], 'unversioned'))
        self.assertEqual(len(EVENTS) * 2, len(seen))

    def test_oslo_listeners_accept_every_body(self):
        for item in _inputs():
            with open(FIXTURES / (item['name'] + '.json'), 'rb') as source:
                body = source.read()
            body.decode('ascii')
            message = common.deserialize_msg(json.loads(body))
            self.assertIn(message['priority'].lower(), dispatcher.PRIORITIES)
            for key in ('message_id', 'publisher_id', 'event_type',
                        'priority', 'timestamp'):
                self.assertEqual(
                    item['unique_id' if key == '_unique_id' else key],
                    message[key])
            self.assertEqual(item['unique_id'], message['_unique_id'])
            self.assertEqual(item['payload'], message['payload'])
            self.assertFalse([key for key in message
                              if key.startswith('_context_')])


class TestThroughTheBroker(testtools.TestCase):
    """oslo.messaging and our notifier, both read back from RabbitMQ."""

    def test_oslo_through_rabbitmq_is_the_fixtures_and_ours_alike(self):
        out = subprocess.run(
            [sys.executable, str(FIXTURES / 'generate.py'), '--through-broker',
             RABBIT_URL], check=True, capture_output=True, text=True,
            timeout=300).stdout
        results = json.loads(out)
        self.assertEqual(len(_inputs()), len(results))
        with open(FIXTURES / 'publish.json') as source:
            published = {p['name']: p for p in json.load(source)}
        for result in results:
            name = result['name']
            with open(FIXTURES / (name + '.json')) as body:
                self.assertEqual(body.read(), result['body'], name)
            self.assertEqual(published[name]['exchange'], result['exchange'])
            self.assertEqual(published[name]['routing_key'],
                             result['routing_key'], name)
        ours = self._ours_through_the_broker()
        oslo = results[0]
        self.assertEqual(oslo['properties'], ours['properties'])
        self.assertEqual(oslo['exchange'], ours['exchange'])

    def _ours_through_the_broker(self):
        topic = 'drwire_%s' % uuid.uuid4().hex[:8]
        spool = tempfile.mkdtemp(prefix='dirtyring-wire-')
        self.addCleanup(shutil.rmtree, spool, True)
        notifier = native.Library(dr_fixtures.library_path()).open_notifier({
            'host': 'cmp-7', 'default_transport_url': RABBIT_URL,
            'notifications': {'driver': ['messagingv2'], 'topics': [topic]},
            'rabbit': {}, 'spool_dir': spool, 'spool_max_bytes': 1 << 24})
        notifier.notify({
            'event': 'instance.dirty_rate.measure',
            'instance': {'uuid': 'u', 'tenant_id': 't', 'user_id': 'u'},
            'measurement': {
                'domain': 'd', 'uuid': 'u', 'mode': 'dirty-bitmap',
                'period_seconds': 1, 'megabytes_per_second': 1.5,
                'vcpu_megabytes_per_second': [], 'memory_mib': 64,
                'vcpus': 1, 'ring_size': 0,
                'measured_at': '2026-11-28T03:18:09Z'}})
        status = notifier.close(10)
        self.assertEqual(1, status['confirmed'], status)
        with kombu.Connection(dr_fixtures.amqp_url()) as connection:
            channel = connection.channel()
            message = channel.basic_get(topic + '.info', no_ack=True)
            channel.queue_delete(topic + '.info')
        self.assertIsNotNone(message)
        return {'properties': {k: message.properties.get(k)
                               for k in PROPERTIES},
                'exchange': message.delivery_info['exchange']}
