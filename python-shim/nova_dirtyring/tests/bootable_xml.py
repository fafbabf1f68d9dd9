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

"""Makes a Nova-generated domain XML bootable on this test machine.

Nova's XML names disks, networks and a CPU model that do not exist here.
Everything that decides how QEMU's accelerator is set up -- the domain type
and ``<features>`` with the ``<kvm>`` element -- is kept exactly as the
driver produced it; the rest is replaced by the tiny test guest
(tox-data/guest) booted as a multiboot kernel with a serial log.
"""

from lxml import etree


def bootable_here(xml, name, kernel, serial_path, memory_mib=128,
                  cmdline='mb=16 rate=5'):
    """Return ``xml`` with its name, memory, OS and devices replaced.

    The UUID stays: Nova repeats it in ``<sysinfo>``, which must match.
    """
    doc = etree.fromstring(xml.encode())
    doc.find('name').text = name
    for tag in ('memory', 'currentMemory'):
        element = doc.find(tag)
        if element is not None:
            element.attrib.clear()
            element.set('unit', 'MiB')
            element.text = str(memory_mib)
    # The default CPU model: host-model/passthrough fail on this nested KVM.
    for tag in ('cpu', 'numatune', 'cputune'):
        for element in doc.findall(tag):
            doc.remove(element)
    os_element = doc.find('os')
    for child in list(os_element):
        if child.tag != 'type':
            os_element.remove(child)
    os_element.find('type').set('machine', 'pc')
    etree.SubElement(os_element, 'kernel').text = kernel
    etree.SubElement(os_element, 'cmdline').text = cmdline
    devices = doc.find('devices')
    for child in list(devices):
        devices.remove(child)
    serial = etree.SubElement(devices, 'serial', type='file')
    etree.SubElement(serial, 'source', path=serial_path, append='off')
    etree.SubElement(serial, 'target', port='0')
    etree.SubElement(devices, 'controller', type='usb', model='none')
    etree.SubElement(devices, 'memballoon', model='none')
    return etree.tostring(doc, encoding='unicode')
