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

"""Ceilometer 27 turns our unversioned notifications into samples.

Ceilometer's own code does all the work here: its options
(``ceilometer.opts``), its meter-definition loader and endpoint
(``ceilometer.meter.notifications.ProcessMeterNotifications``) reading
``etc/ceilometer/meters.d/dirtyring.yaml`` together with Ceilometer's own
``data/meters.d``, and its Gnocchi publisher reading the resource definitions
that ``scripts/ceilometer-gnocchi-resources`` writes.  The notifications are
the AMQP bodies oslo.messaging wrote (``tox-data/notifications``), decoded by
oslo's rabbit-driver helpers and handed over by oslo's batch notification
dispatcher, the way Ceilometer's notification agent receives them.  Only the
network clients of the Gnocchi publisher (Keystone, Gnocchi) are mocks.
"""

import json
import os
import subprocess
import sys
import types
from unittest import mock

from ceilometer.meter import notifications as ceilo_meters
from ceilometer import opts as ceilo_opts
from ceilometer.publisher import gnocchi as ceilo_gnocchi
from ceilometer import sample as ceilo_sample
import fixtures
from oslo_config import cfg
from oslo_messaging._drivers import amqp as oslo_amqp
from oslo_messaging._drivers import common as oslo_common
from oslo_messaging.notify import dispatcher as oslo_dispatcher
from oslo_utils import netutils
import testtools
import yaml

from nova_dirtyring.tests import dr_fixtures

REPO = dr_fixtures.REPO_ROOT
FIXTURES = REPO / 'tox-data' / 'notifications'
OUR_METERS_D = REPO / 'etc' / 'ceilometer' / 'meters.d'
OUR_GNOCCHI = REPO / 'etc' / 'ceilometer' / 'gnocchi_resources.dirtyring.yaml'
MERGE_SCRIPT = REPO / 'scripts' / 'ceilometer-gnocchi-resources'
CEILO_DATA = os.path.join(
    os.path.dirname(os.path.dirname(ceilo_meters.__file__)), 'data')
CEILO_METERS_D = os.path.join(CEILO_DATA, 'meters.d')
CEILO_GNOCCHI = os.path.join(os.path.dirname(ceilo_gnocchi.__file__),
                             'data', 'gnocchi_resources.yaml')

INSTANCE = '6f3a1c2e-9b4d-4e8f-a1b2-c3d4e5f60718'
TENANT = '8d2c4a1f0e9b4c7d8a6b5c4d3e2f1a0b'
USER = 'f1e2d3c4b5a697887766554433221100'
METER = 'memory.dirty_rate'
MEASURE_BODIES = ('dirty_rate_measure.unversioned',     # messagingv2 (2.0)
                  'dirty_rate_measure.unversioned.v1')  # messaging (1.0)
OTHER_BODIES = ('precheck_accept.unversioned',
                'precheck_throttle.unversioned',
                'precheck_reject.unversioned',
                'throttle_start.unversioned',
                'throttle_end.unversioned',
                'dirty_ring_fault.unversioned')
EXPECTED_METADATA = {
    'host': 'cmp-7',
    'mode': 'dirty-ring',
    'period_seconds': 1,
    'memory_mib': 2048,
    'vcpus': 2,
    'ring_size': 4096,
    'measured_at': '2026-11-28T03:18:09Z',
    'vcpu_megabytes_per_second': [60.25, 60.25],
}


def ceilometer_conf(meter_dirs):
    """Ceilometer's configuration, as ceilometer.service.prepare_service

    builds it (every option of ceilometer.opts, no config file), without its
    process-wide logging and Guru Meditation set-up.
    """
    conf = cfg.ConfigOpts()
    for group, options in ceilo_opts.list_opts():
        conf.register_opts(list(options),
                           group=None if group == 'DEFAULT' else group)
    conf([], project='ceilometer', validate_default_values=True,
         default_config_files=[], default_config_dirs=[])
    ceilo_sample.setup(conf)
    conf.set_override('meter_definitions_dirs', [str(d) for d in meter_dirs],
                      group='meter')
    return conf


def oslo_incoming(name):
    """The notification as oslo's rabbit listener hands it to a dispatcher.

    kombu decodes the JSON body (content type application/json), the rabbit
    driver's RabbitMessage unwraps the oslo envelope (deserialize_msg), the
    AMQP listener takes the context keys and the unique id out.
    """
    with open(FIXTURES / (name + '.json'), 'rb') as source:
        message = oslo_common.deserialize_msg(json.loads(source.read()))
    ctxt = oslo_amqp.unpack_context(message)
    oslo_amqp._MsgIdCache().check_duplicate_message(message)
    return types.SimpleNamespace(ctxt=ctxt.to_dict(), message=message)


class SampleSink(object):
    """Stands for Ceilometer's pipeline PublishContext: collects samples."""

    def __init__(self):
        self.samples = []

    def __enter__(self):
        return self.samples.extend

    def __exit__(self, *exc_info):
        return False


class TestCeilometerMeters(testtools.TestCase):

    def setUp(self):
        super(TestCeilometerMeters, self).setUp()
        # Ours first, as /etc/ceilometer/meters.d comes before Ceilometer's
        # data/meters.d in the default meter_definitions_dirs.
        self.conf = ceilometer_conf([OUR_METERS_D, CEILO_METERS_D])
        self.sink = SampleSink()
        self.log = self.useFixture(
            fixtures.MockPatch('ceilometer.meter.notifications.LOG')).mock
        self.endpoint = ceilo_meters.ProcessMeterNotifications(
            self.conf, self.sink)

    def _dispatch(self, name):
        """Ceilometer's listener: oslo's batch dispatcher, no serializer."""
        dispatcher = oslo_dispatcher.BatchNotificationDispatcher(
            [self.endpoint], None)
        requeue = dispatcher.dispatch([oslo_incoming(name)])
        self.assertEqual(set(), requeue)
        samples, self.sink.samples = self.sink.samples, []
        return samples

    def _notification(self, name):
        """The dict oslo's dispatcher gives NotificationEndpoint.info()."""
        incoming = oslo_incoming(name)
        return oslo_dispatcher.NotificationDispatcher(
            [], None)._extract_user_message(incoming)[2]

    def test_measure_event_gives_one_dirty_rate_sample(self):
        for name in MEASURE_BODIES:
            samples = self._dispatch(name)
            # No meter of Ceilometer's own matches our event either.
            self.assertEqual([METER], [s.name for s in samples], name)
            sample = samples[0]
            self.assertEqual('gauge', sample.type)
            self.assertEqual('MB/s', sample.unit)
            self.assertEqual(120.5, sample.volume)
            self.assertEqual(INSTANCE, sample.resource_id)
            self.assertEqual(TENANT, sample.project_id)
            self.assertEqual(USER, sample.user_id)
            self.assertEqual('2026-11-28T03:18:09+00:00', sample.timestamp)
            self.assertEqual(EXPECTED_METADATA, sample.resource_metadata)
            self.assertEqual('openstack', sample.source)

    def test_volume_follows_the_payload(self):
        notification = self._notification('dirty_rate_measure.unversioned')
        notification['payload']['megabytes_per_second'] = 0.75
        notification['payload']['host'] = 'cmp-9'
        samples = list(self.endpoint.build_sample(notification))
        self.assertEqual([0.75], [s.volume for s in samples])
        self.assertEqual('cmp-9', samples[0].resource_metadata['host'])

    def test_other_events_give_no_dirty_rate_sample(self):
        for name in OTHER_BODIES:
            self.assertEqual([], self._dispatch(name), name)
            # reject (WARN) and fault (ERROR) are dropped by priority before
            # the definitions are consulted: ask the definitions directly.
            notification = self._notification(name)
            self.assertNotEqual('instance.dirty_rate.measure',
                                notification['event_type'])
            self.assertEqual(
                [], list(self.endpoint.build_sample(notification)), name)

    def test_loads_beside_ceilometers_own_definitions(self):
        with open(OUR_METERS_D / 'dirtyring.yaml') as source:
            ours = yaml.safe_load(source)['metric']
        self.assertEqual([METER], [m['name'] for m in ours])
        names = [d.cfg['name'] for d in self.endpoint.definitions]
        self.assertEqual(len(names), len(set(names)))
        self.assertIn(METER, names)
        self.assertIn('image.size', names)  # Ceilometer's own
        # No duplicate skipped, nothing failed to load.
        self.log.warning.assert_not_called()
        self.log.error.assert_not_called()
        # Exactly Ceilometer's own meters plus ours.
        alone = ceilo_meters.ProcessMeterNotifications(
            ceilometer_conf([CEILO_METERS_D]), SampleSink())
        own = sorted(d.cfg['name'] for d in alone.definitions)
        self.assertNotIn(METER, own)
        self.assertEqual(sorted(own + [METER]), sorted(names))
        ours_only = ceilo_meters.ProcessMeterNotifications(
            ceilometer_conf([OUR_METERS_D]), SampleSink())
        self.assertEqual([METER],
                         [d.cfg['name'] for d in ours_only.definitions])


class TestCeilometerGnocchiResources(testtools.TestCase):

    def setUp(self):
        super(TestCeilometerGnocchiResources, self).setUp()
        self.conf = ceilometer_conf([OUR_METERS_D, CEILO_METERS_D])
        self.gnocchi = mock.MagicMock()
        self.useFixture(fixtures.MockPatch(
            'ceilometer.keystone_client.get_client'))
        self.useFixture(fixtures.MockPatch(
            'ceilometer.gnocchi_client.get_gnocchiclient',
            return_value=self.gnocchi))
        sink = SampleSink()
        endpoint = ceilo_meters.ProcessMeterNotifications(self.conf, sink)
        oslo_dispatcher.BatchNotificationDispatcher([endpoint], None).dispatch(
            [oslo_incoming('dirty_rate_measure.unversioned')])
        self.assertEqual([METER], [s.name for s in sink.samples])
        self.sample = sink.samples[0]
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def _publisher(self, resources_file):
        url = ('gnocchi://?enable_filter_project=false'
               '&resources_definition_file=%s' % resources_file)
        return ceilo_gnocchi.GnocchiPublisher(self.conf,
                                              netutils.urlsplit(url))

    def _merged(self):
        merged = os.path.join(self.tmp, 'gnocchi_resources.yaml')
        subprocess.run([sys.executable, str(MERGE_SCRIPT),
                        '--base', CEILO_GNOCCHI, '-o', merged],
                       check=True, capture_output=True, timeout=60)
        return merged

    def test_sample_lands_on_instance_resource(self):
        publisher = self._publisher(self._merged())
        definition = publisher.metric_map[METER]
        self.assertEqual('instance', definition.cfg['resource_type'])
        # The same definition as Ceilometer's instance metrics, not a copy.
        self.assertIs(definition, publisher.metric_map['memory.usage'])
        self.assertEqual({'archive_policy_name': 'ceilometer-low'},
                         definition.metrics[METER])

        publisher.publish_samples([self.sample])

        batch = self.gnocchi.metric.batch_resources_metrics_measures
        batch.assert_called_once_with(
            {INSTANCE: {METER: {
                'measures': [{'timestamp': '2026-11-28T03:18:09+00:00',
                              'value': 120.5}],
                'archive_policy_name': 'ceilometer-low',
                'unit': 'MB/s'}}},
            create_metrics=True)
        self.gnocchi.resource.update.assert_called_once_with(
            'instance', INSTANCE, {'project_id': TENANT, 'host': 'cmp-7'})

    def test_without_the_addition_gnocchi_drops_the_sample(self):
        publisher = self._publisher(CEILO_GNOCCHI)
        self.assertNotIn(METER, publisher.metric_map)
        self.assertIn('memory.usage', publisher.metric_map)
        publisher.publish_samples([self.sample])
        batch = self.gnocchi.metric.batch_resources_metrics_measures
        batch.assert_called_once_with({}, create_metrics=True)
        self.gnocchi.resource.update.assert_not_called()

    def test_merge_keeps_ceilometers_resources_and_is_idempotent(self):
        merged = self._merged()
        with open(CEILO_GNOCCHI) as source:
            base = yaml.safe_load(source)
        with open(merged) as source:
            ours = yaml.safe_load(source)
        again = os.path.join(self.tmp, 'again.yaml')
        subprocess.run([sys.executable, str(MERGE_SCRIPT),
                        '--base', merged, '-o', again],
                       check=True, capture_output=True, timeout=60)
        with open(again) as source:
            self.assertEqual(ours, yaml.safe_load(source))
        self.assertEqual([r['resource_type'] for r in base['resources']],
                         [r['resource_type'] for r in ours['resources']])
        for before, after in zip(base['resources'], ours['resources']):
            added = set(after['metrics']) - set(before['metrics'])
            self.assertEqual({METER} if before['resource_type'] == 'instance'
                             else set(), added, before['resource_type'])
            self.assertEqual(before.get('attributes'), after.get('attributes'))
        self.assertEqual(base['archive_policies'], ours['archive_policies'])
