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

"""The dirtyring: extra spec validators, as nova-api runs them."""

import testtools

from nova.api.openstack.compute import flavors_extraspecs
from nova.api.validation.extra_specs import validators
from nova import exception
from nova import test
from nova.tests.unit.api.openstack import fakes

from nova_dirtyring import extra_specs
from nova_dirtyring import native
from nova_dirtyring.tests import dr_fixtures

GOOD = {
    'dirtyring:ring': ('on', 'off', 'auto'),
    'dirtyring:ring_size': ('1024', '2048', '4096', '8192', '16384',
                            '32768', '65536'),
}
BAD = {
    'dirtyring:ring': ('yes', 'true', 'ON', '', 'bogus'),
    'dirtyring:ring_size': ('3000', '512', '131072', '0', '-4096', '4096.0',
                            ' 4096', 'abc', '', '10240'),
}


class ValidatorTestCase(test.NoDBTestCase):

    def test_registered_through_entry_point(self):
        # nova loads nova.api.extra_spec_validators at import: our entry
        # point must have put both validators in nova's registry.
        for name in GOOD:
            self.assertIs(
                validators.VALIDATORS[name],
                next(v for v in extra_specs.register() if v.name == name))
        self.assertIn('dirtyring', validators.NAMESPACES)

    def test_accepts_good_values(self):
        for name, values in GOOD.items():
            for value in values:
                validators.validate(name, value)

    def test_rejects_bad_values(self):
        for name, values in BAD.items():
            for value in values:
                self.assertRaises(exception.ValidationError,
                                  validators.validate, name, value)

    def test_api_and_library_agree_on_ring_sizes(self):
        # nova-api may run without the native library, so the validator
        # carries its own list; it must be exactly the library's rule.
        library = native.Library(dr_fixtures.library_path())
        candidates = [1 << n for n in range(21)] + [1000, 3000, 10240, 65535]
        for size in candidates:
            try:
                validators.validate('dirtyring:ring_size', str(size))
                api_accepts = True
            except exception.ValidationError:
                api_accepts = False
            try:
                library.config_check(
                    {'ring_mode': 'auto', 'ring_size': size}, None)
                library_accepts = True
            except native.InvalidConfig:
                library_accepts = False
            self.assertEqual(library_accepts, api_accepts, size)

    def test_rejects_unknown_key_in_namespace(self):
        self.assertRaises(exception.ValidationError,
                          validators.validate, 'dirtyring:rign', 'on')


class FlavorExtraSpecsAPITestCase(test.TestCase):
    """A bad value is refused by nova-api's extra specs controller (400)."""

    def setUp(self):
        super().setUp()
        self.controller = flavors_extraspecs.FlavorExtraSpecsController()

    def _create(self, key, value):
        req = fakes.HTTPRequest.blank(
            '/v2.1/flavors/1/os-extra_specs', use_admin_context=True,
            version='2.86')
        return self.controller.create(req, 1, body={'extra_specs': {
            key: value}})

    def test_bad_value_is_http_400(self):
        self.assertEqual(400, exception.ValidationError.code)
        with testtools.ExpectedException(exception.ValidationError,
                                         'Validation failed; .*'):
            self._create('dirtyring:ring_size', '3000')
        with testtools.ExpectedException(exception.ValidationError,
                                         'Validation failed; .*'):
            self._create('dirtyring:ring', 'yes')

    def test_good_value_is_stored(self):
        self.stub_out('nova.objects.flavor._flavor_extra_specs_add',
                      lambda ctxt, flavor_id, specs, *a, **k: specs)
        result = self._create('dirtyring:ring_size', '8192')
        self.assertEqual('8192', result['extra_specs']['dirtyring:ring_size'])
