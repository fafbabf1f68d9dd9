# shellcheck shell=bash
# Starts the system libvirt daemons on a machine without systemd. Sourced; `set -euo pipefail` safe.
# Idempotent: a second call finds the daemons running and returns in well under a second.
#
# Decision on /dev/kvm: this image has /dev/kvm as root:root 0600, and QEMU under libvirt runs as
# libvirt-qemu (member of group kvm on Debian). We keep QEMU unprivileged as in production and
# make the device usable by group kvm (chgrp kvm; chmod 660), which is what udev does on a normal
# Debian host. /etc/libvirt/qemu.conf is left untouched (no user = "root").
# Consequence: files handed to QEMU (the guest kernel, the serial log) must be reachable by
# libvirt-qemu; scripts/guest copies the kernel under /var/lib/libvirt/boot for that reason.
#
# Functions:
#   dr_kvm_perms          make /dev/kvm usable by QEMU
#   dr_start_virtlogd     virtlogd -d unless already running
#   dr_start_libvirtd     libvirtd -d unless already answering; waits for capabilities
#   dr_libvirt_up         all of the above (exports LIBVIRT_DEFAULT_URI=qemu:///system)
# Tunables: DR_LIBVIRTD_TIMEOUT (s, default 90), DR_LIBVIRTD_LOG (default /var/log/libvirt/libvirtd.log)

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DR_LIBVIRT_URI="qemu:///system"
DR_LIBVIRTD_LOG="${DR_LIBVIRTD_LOG:-/var/log/libvirt/libvirtd.log}"
DR_VIRTLOGD_LOG="${DR_VIRTLOGD_LOG:-/var/log/libvirt/virtlogd.log}"

dr_kvm_perms() {
    [[ -c /dev/kvm ]] || dr_die "/dev/kvm does not exist: no KVM on this machine (nested virt off?)"
    if getent group kvm >/dev/null; then
        [[ "$(stat -c %G /dev/kvm)" == kvm ]] || dr_root chgrp kvm /dev/kvm
        [[ "$(stat -c %a /dev/kvm)" == 660 || "$(stat -c %a /dev/kvm)" == 666 ]] || dr_root chmod 660 /dev/kvm
    else
        dr_warn "no group kvm: making /dev/kvm world read-write"
        dr_root chmod 666 /dev/kvm
    fi
}

# True when the pid in file $1 is a live process whose name is $2.
dr_pidfile_alive() {
    local pidfile="$1" name="$2" pid
    [[ -s "$pidfile" ]] || return 1
    pid="$(tr -dc 0-9 < "$pidfile")"
    [[ -n "$pid" && -r "/proc/$pid/comm" ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$name"* ]] || return 1
    # Not a zombie (a killed daemon stays in /proc until reaped).
    local state; state="$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != Z && "$state" != X ]]
}

dr_start_virtlogd() {
    if dr_pidfile_alive /run/virtlogd.pid virtlogd; then return 0; fi
    mkdir -p "$(dirname "$DR_VIRTLOGD_LOG")"
    dr_log "starting virtlogd"
    LIBVIRT_LOG_OUTPUTS="3:file:$DR_VIRTLOGD_LOG" dr_root virtlogd -d \
        || dr_die "virtlogd -d failed; log: $DR_VIRTLOGD_LOG"

    for _ in $(seq 50); do
        dr_pidfile_alive /run/virtlogd.pid virtlogd && return 0
        sleep 0.1
    done
    dr_die "virtlogd did not start; tail of $DR_VIRTLOGD_LOG:$(printf '\n'; tail -n 20 "$DR_VIRTLOGD_LOG" 2>/dev/null)"
}

dr_libvirtd_fail() {
    {
        printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$1"
        printf -- '--- tail of %s ---\n' "$DR_LIBVIRTD_LOG"
        tail -n 40 "$DR_LIBVIRTD_LOG" 2>/dev/null || echo "(no log)"
        printf -- '--- processes ---\n'
        pgrep -a libvirtd || echo "(no libvirtd process)"
    } >&2
    exit 1
}

dr_launch_libvirtd() {
    mkdir -p "$(dirname "$DR_LIBVIRTD_LOG")" /var/log/libvirt/qemu
    dr_log "starting libvirtd (log: $DR_LIBVIRTD_LOG)"
    # Log level 3 (warnings) to our file; the daemon detaches itself (-d). A stale pid file or
    # socket left by a killed daemon is fine: libvirtd takes the pid file's lock and re-creates it.
    LIBVIRT_LOG_OUTPUTS="3:file:$DR_LIBVIRTD_LOG" dr_root libvirtd -d \
        || dr_libvirtd_fail "libvirtd -d exited with an error"
}

dr_start_libvirtd() {
    local timeout="${DR_LIBVIRTD_TIMEOUT:-90}" t0 quiet=0 launched=0
    t0="$(dr_now)"
    if timeout 15 virsh -q -c "$DR_LIBVIRT_URI" version >/dev/null 2>&1; then
        quiet=1  # already answering
    elif dr_pidfile_alive /run/libvirtd.pid libvirtd; then
        dr_log "libvirtd running (pid $(cat /run/libvirtd.pid)) but not answering yet; waiting"
    else
        dr_launch_libvirtd; launched=1
    fi
    # The first capabilities probe runs QEMU to learn what it can do (~8 s here).
    local deadline=$(( $(date +%s) + timeout ))
    while :; do
        if timeout 60 virsh -q -c "$DR_LIBVIRT_URI" capabilities >/dev/null 2>&1; then break; fi
        if (( $(date +%s) >= deadline )); then
            dr_libvirtd_fail "libvirtd did not answer 'virsh -c $DR_LIBVIRT_URI capabilities' within ${timeout}s"
        fi
        if ! dr_pidfile_alive /run/libvirtd.pid libvirtd && ! pgrep -x libvirtd >/dev/null; then
            # A daemon we found dying (or killed) is started once; one we started that died is fatal.
            [[ $launched -eq 0 ]] || dr_libvirtd_fail "libvirtd is not running (it exited during start-up)"
            dr_launch_libvirtd; launched=1
        fi
        sleep 0.5
    done
    [[ $quiet -eq 1 ]] || dr_log "libvirtd ready ($(dr_elapsed "$t0") s)"
}

dr_libvirt_up() {
    dr_kvm_perms
    dr_start_virtlogd
    dr_start_libvirtd
    export LIBVIRT_DEFAULT_URI="$DR_LIBVIRT_URI"
}
