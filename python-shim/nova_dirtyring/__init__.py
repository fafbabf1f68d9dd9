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

"""KVM dirty ring support for Nova's libvirt driver.

Set ``compute_driver = dirtyring.LibvirtDriver`` in nova.conf; the driver
itself lives in :mod:`nova_dirtyring.driver` and is reached through the small
:mod:`nova.virt.dirtyring` package, because Nova only loads drivers from
``nova.virt``.
"""
