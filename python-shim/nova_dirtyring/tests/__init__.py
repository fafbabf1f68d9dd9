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

"""Tests of nova-dirtyring against nova 34's own test fixtures.

Same start-up as nova/tests/unit/__init__.py: monkey patch as nova's tests
do, then register the versioned objects.
"""

from nova import monkey_patch ; monkey_patch.patch()  # noqa

from nova import objects  # noqa: E402

objects.register_all()
