"""Writes the input fixtures with nova 34's own libvirt config classes.

Run with a Python that has nova==34.0.0 installed, from this directory:
    python generate_inputs.py
The expected outputs (*.ring4096.xml) are written by hand-checked Swift code and
committed next to the inputs; this script only regenerates the inputs.
"""
from nova.virt.libvirt import config as vconfig


def guest(name, uuid, features, meta=None):
    g = vconfig.LibvirtConfigGuest()
    g.virt_type = "kvm"
    g.name = name
    g.uuid = uuid
    g.memory = 512 * 1024
    g.vcpus = 2
    g.cpuset = None
    g.os_type = "hvm"
    g.os_mach_type = "q35"
    g.os_boot_dev = ["hd"]
    g.os_smbios = vconfig.LibvirtConfigGuestSMBIOS()
    g.sysinfo = vconfig.LibvirtConfigGuestSysinfo()
    g.sysinfo.system_manufacturer = "OpenStack Foundation"
    g.sysinfo.system_product = "OpenStack Nova"
    g.sysinfo.system_version = "34.0.0"
    g.sysinfo.system_serial = uuid
    g.sysinfo.system_uuid = uuid
    g.sysinfo.system_family = "Virtual Machine"
    for f in features:
        g.features.append(f)
    if meta is not None:
        g.metadata.append(meta)
    cpu = vconfig.LibvirtConfigGuestCPU()
    cpu.mode = "host-model"
    cpu.match = "exact"
    g.cpu = cpu
    clk = vconfig.LibvirtConfigGuestClock()
    clk.offset = "utc"
    for name_, present in (("pit", "delay"), ("rtc", "catchup")):
        t = vconfig.LibvirtConfigGuestTimer()
        t.name = name_
        t.tickpolicy = present
        clk.add_timer(t)
    hpet = vconfig.LibvirtConfigGuestTimer()
    hpet.name = "hpet"
    hpet.present = False
    clk.add_timer(hpet)
    g.set_clock(clk)
    disk = vconfig.LibvirtConfigGuestDisk()
    disk.source_type = "file"
    disk.source_device = "disk"
    disk.driver_name = "qemu"
    disk.driver_format = "qcow2"
    disk.driver_cache = "none"
    disk.source_path = "/var/lib/nova/instances/%s/disk" % uuid
    disk.target_dev = "vda"
    disk.target_bus = "virtio"
    g.add_device(disk)
    iface = vconfig.LibvirtConfigGuestInterface()
    iface.net_type = "bridge"
    iface.mac_addr = "fa:16:3e:4c:2c:30"
    iface.model = "virtio"
    iface.source_dev = "br-int"
    iface.target_dev = "tap567a4527-b0"
    g.add_device(iface)
    serial = vconfig.LibvirtConfigGuestSerial()
    serial.type = "pty"
    serial.log = None
    g.add_device(serial)
    mem = vconfig.LibvirtConfigMemoryBalloon()
    mem.model = "virtio"
    mem.period = 10
    g.add_device(mem)
    return g


def meta(name, flavor_name, extra_specs):
    m = vconfig.LibvirtConfigGuestMetaNovaInstance()
    m.package = "34.0.0"
    m.name = name
    m.creationTime = 1764300000
    f = vconfig.LibvirtConfigGuestMetaNovaFlavor()
    f.name = flavor_name
    f.id = "6a4f3c2b-1d0e-4f9a-8b7c-5e6d4c3b2a19"
    f.memory = 512
    f.vcpus = 2
    f.disk = 10
    f.swap = 0
    f.ephemeral = 0
    f.extra_specs = extra_specs
    m.flavor = f
    o = vconfig.LibvirtConfigGuestMetaNovaOwner()
    o.userid = "3472c2a6de91400e98b5ac7a6d5b7d59"
    o.username = "demo"
    o.projectid = "f9d7d7a4a6d44a2a8c5e4e7a7e4b1f3b"
    o.projectname = "R&D <lab>"
    m.owner = o
    m.roottype = "image"
    m.rootid = "fe55c69a-8b2e-4bbc-811a-9ad2023a0426"
    return m


def write(path, g, decorate=False):
    xml = g.to_xml()
    if decorate:
        # What a domain XML can also carry once libvirt and other tools have touched it: the
        # comment libvirt writes at the top of its config files, an XML declaration, CDATA and
        # character references in third-party metadata.
        xml = ("<?xml version='1.0' encoding='UTF-8'?>\n"
               "<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"
               "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n"
               "  virsh edit instance-00000004\n-->\n" + xml)
        xml = xml.replace(
            "  </metadata>",
            "    <app:notes xmlns:app='http://example.org/app'><![CDATA[if a < b && c > d "
            "then <features> stays]]> &#169; &#x2603; <!-- not <kvm> --></app:notes>\n"
            "  </metadata>")
    with open(path, "w") as fh:
        fh.write(xml)


acpi, apic = vconfig.LibvirtConfigGuestFeatureACPI(), vconfig.LibvirtConfigGuestFeatureAPIC()
write("plain.xml", guest("instance-00000001", "c7a5fdbd-cdaf-9455-926a-d65c16db1809",
                         [acpi, apic], meta("plain-vm", "m1.small", {})))
write("kvm-hidden.xml", guest("instance-00000002", "5b5e3b1c-1e56-4b5f-9a53-0c2b7e1c9a01",
                              [vconfig.LibvirtConfigGuestFeatureACPI(),
                               vconfig.LibvirtConfigGuestFeatureAPIC(),
                               vconfig.LibvirtConfigGuestFeatureKvmHidden()],
                              meta("hidden-vm", "m1.hidden", {"hw:hide_hypervisor_id": "true"})))
write("no-features.xml", guest("instance-00000003", "0e9b2f0c-7a4d-4c38-9f37-5d0f3b6c2e11",
                               [], None))
write("metadata-entities.xml", guest("instance-00000004", "8d2c4f51-93a7-4b0e-b1f6-2a7c9e0d4b55",
                                     [vconfig.LibvirtConfigGuestFeatureACPI(),
                                      vconfig.LibvirtConfigGuestFeatureAPIC()],
                                     meta("Tom & Jerry's \"<best>\" VM \u00fc\u00f1\u00ee", "m1.r&d",
                                          {"dirtyring:ring": "on",
                                           "dirtyring:ring_size": "4096"})),
      decorate=True)
