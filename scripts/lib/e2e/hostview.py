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

"""What a libvirt host itself says about a guest (never Nova's view).

Domains and their XML and QEMU's throttles come from the host's libvirtd
(``virsh``); the guest's own progress comes from its serial
console log, which Nova has QEMU write into the host's instance directory.
"""

import json
import re
import subprocess

ACHIEVED = re.compile(r'dirtyring-guest: t=(\d+) achieved=([0-9.]+) MiB/s')


def virsh(host, *args, timeout=30):
    return subprocess.run(['virsh', '-q', '-c', host.uri] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def running_domains(host):
    out = virsh(host, 'list', '--name')
    return {line.strip() for line in out.stdout.splitlines()
            if line.strip()}


def domain_xml(host, name):
    out = virsh(host, 'dumpxml', name)
    if out.returncode != 0:
        raise RuntimeError('virsh dumpxml %s on %s: %s' % (
            name, host.name, out.stderr.strip()))
    return out.stdout


def qmp(host, name, command):
    out = virsh(host, 'qemu-monitor-command', name,
                json.dumps({'execute': command}))
    if out.returncode != 0:
        raise RuntimeError('%s on %s/%s: %s' % (command, host.name, name,
                                                out.stderr.strip()))
    return json.loads(out.stdout)['return']


def throttles(host, name):
    """QEMU's throttles on the guest now: auto-converge %, dirty-limits.

    An empty dict means none: no CPU throttle from auto-converge and no
    per-vCPU dirty-rate limit.
    """
    found = {}
    migrate = qmp(host, name, 'query-migrate')
    percent = migrate.get('cpu-throttle-percentage', 0)
    if percent:
        found['auto_converge_percent'] = percent
    try:
        limits = qmp(host, name, 'query-vcpu-dirty-limit')
    except RuntimeError:
        limits = []     # a QEMU without dirty-limit has none to leave
    if limits:
        found['dirty_limits'] = limits
    return found


def console_rates(host, uuid):
    """The guest's own per-second write rates, oldest first: [(t, MiB/s)]."""
    path = host.instance_dir(uuid) / 'console.log'
    try:
        text = path.read_text(errors='replace')
    except OSError:
        return []
    return [(int(m.group(1)), float(m.group(2)))
            for m in ACHIEVED.finditer(text)]
