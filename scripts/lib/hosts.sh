# shellcheck shell=bash
# Two libvirt hosts on this machine, for live-migration tests (issue 5). Sourced by scripts/hosts;
# `set -euo pipefail` safe. TEST RIG ONLY: each libvirtd listens on plain TCP with auth_tcp="none"
# (bound only to its address on a private veth link between two network namespaces that nothing
# else can reach) and runs QEMU as root without a security driver.
#
# Layout (NAME is src or dst):
#   netns drhost-NAME, veth drv-src (10.77.0.1/30) <-> drv-dst (10.77.0.2/30)
#   /var/lib/dirtyring-hosts/NAME/{etc,lib,log}   bound over /etc/libvirt, /var/lib/libvirt,
#                                                 /var/log/libvirt inside the host's mount namespace
#   /run/dirtyring-hosts/NAME/libvirt             bound over /run/libvirt (sockets, QEMU pid files)
#   /run/dirtyring-hosts/NAME/libvirtd.pid        the host's libvirtd pid file
#   /var/cache/dirtyring-hosts/NAME               bound over /var/cache/libvirt (QEMU capabilities;
#                                                 kept by `down` so the next `up` is warm; --purge)
#   /var/lib/dirtyring-hosts/shared               seen at the same path by both hosts (guest kernel)
# Each libvirtd runs in `ip netns exec drhost-NAME unshare --mount --uts --propagation private`:
# the bind mounts exist only in its own mount namespace (the system's /etc/libvirt, /run/libvirt,
# /var/lib/libvirt are never written), with hostname drhost-NAME and its own host_uuid.
# QEMU's stdio goes to files (stdio_handler = "file"), so no virtlogd is needed; lock_manager is
# the default "nop", so no virtlockd.
#
# Functions: dr_hosts_up, dr_hosts_down [--purge], dr_hosts_status, dr_host_uri NAME,
#   dr_host_peer_uri NAME, dr_host_info NAME, dr_host_exec NAME CMD...
# Tunables: DR_HOSTS_TIMEOUT (s, default 90: the first capabilities probe of a cold cache ~10 s),
#   DR_HOSTS_LOG_FILTERS (libvirtd log_filters, e.g. "1:qemu.qemu_monitor 1:qemu.qemu_migration
#   1:qemu.qemu_domainjob": a debug trail of the monitor and the migration job in libvirtd.log;
#   default none, warnings and errors only).

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DR_HOSTS=(src dst)
DR_HOSTS_NET="10.77.0"                  # 10.77.0.0/30: checked unused on this machine by `up`
DR_HOSTS_RUN=/run/dirtyring-hosts
DR_HOSTS_STATE=/var/lib/dirtyring-hosts
DR_HOSTS_CACHE=/var/cache/dirtyring-hosts
DR_HOSTS_SHARED="$DR_HOSTS_STATE/shared"
DR_HOSTS_PORT=16509

# (No `cmd | grep -q` here: grep's early exit makes the pipeline fail under pipefail.)
dr_netns_exists() { [[ -e "/run/netns/$1" ]] && [[ " $(ip netns list | cut -d' ' -f1 | tr '\n' ' ') " == *" $1 "* ]]; }

dr_host_check() {
    [[ "${1:-}" == src || "${1:-}" == dst ]] || dr_die "unknown host '${1:-}' (src, dst)"
}
dr_host_ip()     { case "$1" in src) echo "$DR_HOSTS_NET.1" ;; dst) echo "$DR_HOSTS_NET.2" ;; esac; }
dr_host_netns()  { echo "drhost-$1"; }
dr_host_veth()   { echo "drv-$1"; }
dr_host_run()    { echo "$DR_HOSTS_RUN/$1"; }
dr_host_state()  { echo "$DR_HOSTS_STATE/$1"; }
dr_host_pidfile() { echo "$DR_HOSTS_RUN/$1/libvirtd.pid"; }
dr_host_log()    { echo "$DR_HOSTS_STATE/$1/log/libvirtd.log"; }
# From the root namespace (this machine's clients): the host's own unix socket.
dr_host_uri()    { echo "qemu:///system?socket=$DR_HOSTS_RUN/$1/libvirt/libvirt-sock"; }
# From the other host (peer-to-peer migration): TCP over the veth link.
dr_host_peer_uri() { echo "qemu+tcp://$(dr_host_ip "$1")/system"; }

dr_host_pid() { # prints the live libvirtd pid of host $1, or fails
    local pidfile pid state
    pidfile="$(dr_host_pidfile "$1")"
    [[ -s "$pidfile" ]] || return 1
    pid="$(tr -dc 0-9 < "$pidfile")"
    [[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == libvirtd ]] || return 1
    state="$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)"
    [[ -n "$state" && "$state" != Z && "$state" != X ]] || return 1
    echo "$pid"
}

dr_host_info() {
    local h="$1"; dr_host_check "$h"
    cat <<EOF
name=$h
ip=$(dr_host_ip "$h")
netns=$(dr_host_netns "$h")
uri=$(dr_host_uri "$h")
peer_uri=$(dr_host_peer_uri "$h")
migrate_uri=tcp://$(dr_host_ip "$h")
run_dir=$(dr_host_run "$h")
state_dir=$(dr_host_state "$h")
qemu_log_dir=$(dr_host_state "$h")/log/qemu
libvirtd_log=$(dr_host_log "$h")
shared_dir=$DR_HOSTS_SHARED
EOF
}

# Runs CMD inside host $1's network, mount and UTS namespaces (sees its /run/libvirt etc.).
dr_host_exec() {
    local h="$1"; shift; dr_host_check "$h"
    local pid; pid="$(dr_host_pid "$h")" || dr_die "host $h is not up (scripts/hosts up)"
    nsenter --target "$pid" --mount --net --uts -- "$@"
}

dr_hosts_write_config() { # NAME
    local h="$1" ip state uuid
    ip="$(dr_host_ip "$h")"; state="$(dr_host_state "$h")"
    mkdir -p "$state"/{etc,lib,log/qemu} "$(dr_host_run "$h")/libvirt" "$DR_HOSTS_CACHE/$h" "$DR_HOSTS_SHARED"
    # One UUID per host, kept across `up`s while the state dir lives (libvirt refuses a migration
    # between two hosts with the same host UUID).
    [[ -s "$state/host_uuid" ]] || cat /proc/sys/kernel/random/uuid > "$state/host_uuid"
    uuid="$(cat "$state/host_uuid")"
    local level=3; [[ -z "${DR_HOSTS_LOG_FILTERS:-}" ]] || level=1
    cat > "$state/etc/libvirtd.conf" <<EOF
# dirtyring test host $h (scripts/hosts). TEST ONLY: unauthenticated TCP on a private veth link.
listen_tls = 0
listen_tcp = 1
listen_addr = "$ip"
tcp_port = "$DR_HOSTS_PORT"
auth_tcp = "none"
auth_unix_ro = "none"
auth_unix_rw = "none"
unix_sock_rw_perms = "0700"
unix_sock_ro_perms = "0700"
host_uuid = "$uuid"
log_outputs = "$level:file:/var/log/libvirt/libvirtd.log"
log_filters = "${DR_HOSTS_LOG_FILTERS:-}"
EOF
    cat > "$state/etc/qemu.conf" <<EOF
# dirtyring test host $h (scripts/hosts). TEST ONLY.
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
stdio_handler = "file"
migration_address = "$ip"
migration_host = "$ip"
EOF
    printf '127.0.0.1 localhost\n%s drhost-src\n%s drhost-dst\n' \
        "$(dr_host_ip src)" "$(dr_host_ip dst)" > "$state/hosts"
}

dr_hosts_net_up() {
    local h ns
    if ! dr_netns_exists "$(dr_host_netns src)" || ! dr_netns_exists "$(dr_host_netns dst)"; then
        # Our subnet must be free in the root namespace (an address or a route in it).
        if [[ "$(ip -o addr show)" == *" $DR_HOSTS_NET."* || "$(ip route show)" == *"$DR_HOSTS_NET."* ]]; then
            dr_die "$DR_HOSTS_NET.0/30 is in use on this machine (ip addr / ip route); change DR_HOSTS_NET in scripts/lib/hosts.sh"
        fi
    fi
    for h in "${DR_HOSTS[@]}"; do
        ns="$(dr_host_netns "$h")"
        dr_netns_exists "$ns" || dr_root ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
    if ! ip -n "$(dr_host_netns src)" link show "$(dr_host_veth src)" >/dev/null 2>&1 ||
       ! ip -n "$(dr_host_netns dst)" link show "$(dr_host_veth dst)" >/dev/null 2>&1; then
        # Half-made pair (crash during `up`): remove what exists and make it again.
        for h in "${DR_HOSTS[@]}"; do
            ip -n "$(dr_host_netns "$h")" link del "$(dr_host_veth "$h")" 2>/dev/null || true
            ip link del "$(dr_host_veth "$h")" 2>/dev/null || true
        done
        dr_root ip link add "$(dr_host_veth src)" type veth peer name "$(dr_host_veth dst)"
        for h in "${DR_HOSTS[@]}"; do
            dr_root ip link set "$(dr_host_veth "$h")" netns "$(dr_host_netns "$h")"
        done
    fi
    for h in "${DR_HOSTS[@]}"; do
        ns="$(dr_host_netns "$h")"
        [[ "$(ip -n "$ns" -o addr show dev "$(dr_host_veth "$h")")" == *" $(dr_host_ip "$h")/30 "* ]] ||
            dr_root ip -n "$ns" addr add "$(dr_host_ip "$h")/30" dev "$(dr_host_veth "$h")"
        dr_root ip -n "$ns" link set "$(dr_host_veth "$h")" up
    done
}

dr_host_fail() { # NAME MESSAGE
    {
        printf '[%s] ERROR: host %s: %s\n' "$(date +%H:%M:%S)" "$1" "$2"
        printf -- '--- tail of %s ---\n' "$(dr_host_log "$1")"
        tail -n 30 "$(dr_host_log "$1")" 2>/dev/null || echo "(no log)"
        printf -- '--- tail of %s ---\n' "$(dr_host_state "$1")/log/start.log"
        tail -n 10 "$(dr_host_state "$1")/log/start.log" 2>/dev/null || echo "(no output)"
    } >&2
    exit 1
}

dr_host_launch() { # NAME
    local h="$1" state run
    state="$(dr_host_state "$h")"; run="$(dr_host_run "$h")"
    dr_log "host $h: starting libvirtd in netns $(dr_host_netns "$h") ($(dr_host_ip "$h"))"
    # The mounts exist only in the new (private) mount namespace, which lives as long as the
    # daemon and its QEMUs. --pid-file: the default /run/libvirtd.pid is the system daemon's.
    # shellcheck disable=SC2016  # the inner script's variables are its own ($1..$4)
    dr_root ip netns exec "$(dr_host_netns "$h")" \
        unshare --mount --uts --propagation private -- /bin/bash -euc '
            state="$1" run="$2" cache="$3" h="$4"
            mount --bind "$state/etc" /etc/libvirt
            mount --bind "$run/libvirt" /run/libvirt
            mount --bind "$state/lib" /var/lib/libvirt
            mount --bind "$cache" /var/cache/libvirt
            mount --bind "$state/log" /var/log/libvirt
            mount --bind "$state/hosts" /etc/hosts
            hostname "drhost-$h"
            exec libvirtd --listen --daemon --config /etc/libvirt/libvirtd.conf --pid-file "$run/libvirtd.pid"
        ' bash "$state" "$run" "$DR_HOSTS_CACHE/$h" "$h" > "$state/log/start.log" 2>&1 \
        || dr_host_fail "$h" "libvirtd --daemon exited with an error"
}

dr_host_answers() { timeout 30 virsh -q -c "$(dr_host_uri "$1")" "${2:-version}" >/dev/null 2>&1; }

dr_hosts_up() {
    local t0 h
    t0="$(dr_now)"
    [[ -c /dev/kvm ]] || dr_die "/dev/kvm does not exist: no KVM on this machine"
    command -v libvirtd >/dev/null || dr_die "libvirtd not installed (scripts/test installs it)"
    # Capabilities, not versions: the monolithic daemon must take --listen and --pid-file (libvirt
    # 9.0 and 11.3 both do; a build without them would need virtqemud + virtproxyd instead).
    local help; help="$(libvirtd --help 2>&1 || true)"
    [[ "$help" == *--listen* && "$help" == *--pid-file* ]] \
        || dr_die "this libvirtd ($(libvirtd --version 2>&1)) lacks --listen/--pid-file: scripts/hosts needs the monolithic daemon"
    dr_hosts_net_up
    for h in "${DR_HOSTS[@]}"; do
        dr_hosts_write_config "$h"
        if dr_host_pid "$h" >/dev/null; then continue; fi
        # A crashed daemon may have left QEMUs behind: end them before starting a new one.
        dr_host_kill "$h" qemu
        dr_host_launch "$h"
    done
    local deadline=$(( $(date +%s) + ${DR_HOSTS_TIMEOUT:-90} ))
    for h in "${DR_HOSTS[@]}"; do
        # The first capabilities call runs QEMU to probe it (~10 s with a cold cache).
        until dr_host_answers "$h" capabilities; do
            dr_host_pid "$h" >/dev/null || dr_host_fail "$h" "libvirtd is not running (exited during start-up)"
            (( $(date +%s) < deadline )) || dr_host_fail "$h" "no answer on $(dr_host_uri "$h") within ${DR_HOSTS_TIMEOUT:-90}s"
            sleep 0.5
        done
    done
    # Each must reach the other over the link, as peer-to-peer migration does.
    local other
    for h in "${DR_HOSTS[@]}"; do
        other="$( [[ $h == src ]] && echo dst || echo src )"
        dr_host_exec "$h" timeout 20 virsh -q -c "$(dr_host_peer_uri "$other")" version >/dev/null 2>&1 \
            || dr_host_fail "$other" "host $h cannot reach $(dr_host_peer_uri "$other")"
    done
    dr_log "hosts up ($(dr_elapsed "$t0") s): src $(dr_host_ip src), dst $(dr_host_ip dst)"
}

# Pids of host $1's processes: those in its network namespace, its libvirtd, its QEMUs' pid files.
dr_host_pids() {
    local h="$1" f
    { ip netns pids "$(dr_host_netns "$h")" 2>/dev/null || true
      dr_host_pid "$h" 2>/dev/null || true
      for f in "$(dr_host_run "$h")"/libvirt/qemu/*.pid; do
          [[ -s "$f" ]] && tr -dc '0-9\n' < "$f" && echo
      done
    } | grep -E '^[0-9]+$' | sort -un
}

# Ends host $1's processes (all, or only QEMUs with "qemu"): TERM, then KILL after 5 s.
dr_host_kill() {
    local h="$1" only="${2:-}" pids=() p
    while read -r p; do
        [[ -d "/proc/$p" ]] || continue
        [[ -z "$only" || "$(cat "/proc/$p/comm" 2>/dev/null)" == qemu* ]] || continue
        pids+=("$p")
    done < <(dr_host_pids "$h")
    [[ ${#pids[@]} -gt 0 ]] || return 0
    dr_log "host $h: ending ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
        local alive=0
        for p in "${pids[@]}"; do [[ -d "/proc/$p" && "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ]] && alive=1; done
        [[ $alive -eq 0 ]] && return 0
        sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
}

dr_hosts_down() {
    local purge=0 h
    [[ "${1:-}" == --purge ]] && purge=1
    for h in "${DR_HOSTS[@]}"; do
        dr_host_kill "$h"
    done
    for h in "${DR_HOSTS[@]}"; do
        ! dr_netns_exists "$(dr_host_netns "$h")" || dr_root ip netns del "$(dr_host_netns "$h")"
        # A veth left in the root namespace by an interrupted `up`.
        ! ip link show "$(dr_host_veth "$h")" >/dev/null 2>&1 || dr_root ip link del "$(dr_host_veth "$h")"
    done
    dr_root rm -rf "$DR_HOSTS_RUN" "$DR_HOSTS_STATE"
    [[ $purge -eq 0 ]] || dr_root rm -rf "$DR_HOSTS_CACHE"
    dr_log "hosts down"
}

dr_hosts_status() {
    local h pid rc=0
    printf 'libvirtd %s, %s\n' "$(libvirtd --version 2>/dev/null | awk '{print $NF}')" \
        "$(qemu-system-x86_64 --version 2>/dev/null | head -n1 | sed 's/ (.*//')"
    for h in "${DR_HOSTS[@]}"; do
        if pid="$(dr_host_pid "$h")" && dr_host_answers "$h"; then
            printf '%s up   libvirtd pid %s  %s  %s  domains: %s\n' "$h" "$pid" "$(dr_host_ip "$h")" \
                "$(dr_host_peer_uri "$h")" \
                "$(virsh -q -c "$(dr_host_uri "$h")" list --name 2>/dev/null | paste -sd, || true)"
        else
            printf '%s down\n' "$h"; rc=1
        fi
    done
    return $rc
}
