# shellcheck shell=bash
# Installs what the build and the tests need. Sourced; safe under `set -euo pipefail`.
# Idempotent and fast when everything is already there:
#   - Debian packages: checked with dpkg-query; apt-get runs only for missing ones.
#   - Swift: put /opt/swift/usr/bin on PATH when `swift` is not found.
#   - Python: <repo>/.venv with nova + test deps (+ python-shim/test-requirements.txt, + the shim
#     itself, editable, + ceilometer 27 with --no-deps for the Telemetry test), pinned by
#     scripts/constraints.txt; pip runs only when the stamp (hash of constraints, requirement
#     lists, shim pyproject) changed.
#
# The libvirt/QEMU stack: DIRTYRING_STACK=stock (default: Debian 12's libvirt 9.0, QEMU 7.2) or
# backports (bookworm-backports' libvirt 11.x, QEMU 10.x: the suite is added to apt's sources and
# those packages are installed or upgraded from it). The code detects features by version and
# capability; CI runs the stock stack.
#
# Functions:
#   dr_install_apt       Debian packages (and the backports stack when asked for)
#   dr_swift_on_path     export PATH with the Swift toolchain
#   dr_install_venv      <repo>/.venv (exports DR_VENV, DR_PYTHON)
#   dr_install_all       all of the above

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The packages of the libvirt/QEMU stack.
DR_STACK_PACKAGES=(libvirt-daemon-system libvirt-clients libvirt-dev qemu-system-x86 qemu-utils)

DR_APT_PACKAGES=(
    "${DR_STACK_PACKAGES[@]}"
    librabbitmq-dev libpython3-dev rabbitmq-server
    gcc gcc-multilib iproute2 pkg-config
    mariadb-server          # the end-to-end OpenStack's databases (scripts/e2e)
)

# Python packages for the venv (beside the python-shim itself).
DR_PIP_PACKAGES=(
    nova==34.0.0 openstack-placement "SQLAlchemy<2.1"
    fixtures testtools oslotest stestr pytest ddt requests-mock libvirt-python
    # Ceilometer 27's dependencies that its config (ceilometer.opts), meter-definition and
    # gnocchi-publisher code import (the Telemetry test); ceilometer itself is below.
    jsonpath-rw-ext gnocchiclient aodhclient python-novaclient python-swiftclient xmltodict
    # nova-api and placement under gunicorn, on MariaDB (scripts/e2e).
    gunicorn PyMySQL
)

# The end-to-end OpenStack's Keystone and Glance (and the openstack CLI), in a venv of their own
# (<repo>/.venv-e2e), so that the product's venv holds only what nova-compute has.
DR_E2E_PIP_PACKAGES=(
    keystone==30.0.0 glance==33.0.0 python-openstackclient gunicorn PyMySQL
)

# Installed with --no-deps, after the above (pinned by scripts/constraints.txt as well).
# ceilometer 27.0.0 (OpenStack 2026.2, the series of nova 34): its full requirement set cannot be
# resolved against nova's pins (awscurl/botocore need python-dateutil<3; 4.0.0 is pinned), and
# only its RGW pollster, never loaded by the tests, needs them. `pip check` names awscurl,
# botocore and python-zaqarclient as missing: expected.
DR_PIP_NODEPS_PACKAGES=(
    ceilometer==27.0.0
)

DR_BACKPORTS_SOURCES=/etc/apt/sources.list.d/dirtyring-backports.sources

# Without policy-rc.d scripts (no systemd here), runs apt-get update and install with ARGS.
dr_apt_get_install() {
    local policy=/usr/sbin/policy-rc.d had_policy=0
    if [[ -e "$policy" ]]; then had_policy=1; dr_root cp -p "$policy" "$policy.dirtyring-save"; fi
    printf '#!/bin/sh\nexit 101\n' | dr_root tee "$policy" >/dev/null
    dr_root chmod 755 "$policy"
    local rc=0
    {
        export DEBIAN_FRONTEND=noninteractive
        dr_root apt-get update -qq &&
        dr_root apt-get install -y -qq --no-install-recommends "$@" </dev/null
    } || rc=$?
    if [[ $had_policy -eq 1 ]]; then dr_root mv -f "$policy.dirtyring-save" "$policy"
    else dr_root rm -f "$policy"; fi
    return $rc
}

# DIRTYRING_STACK=backports: libvirt and QEMU from bookworm-backports.
dr_install_backports_stack() {
    local version
    version="$(dpkg-query -W -f='${Version}' libvirt-daemon-system 2>/dev/null || true)"
    if [[ "$version" == *bpo* ]]; then
        dr_log "apt: backports stack present (libvirt-daemon-system $version)"
        return 0
    fi
    printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        | dr_root tee "$DR_BACKPORTS_SOURCES" >/dev/null
    dr_log "apt: installing the backports stack: ${DR_STACK_PACKAGES[*]}"
    dr_apt_get_install -t bookworm-backports "${DR_STACK_PACKAGES[@]}" \
        || dr_die "apt-get install -t bookworm-backports failed for: ${DR_STACK_PACKAGES[*]}"
}

dr_install_apt() {
    case "${DIRTYRING_STACK:-stock}" in
        stock) ;;
        backports) dr_install_backports_stack ;;
        *) dr_die "DIRTYRING_STACK=${DIRTYRING_STACK} is not one of: stock, backports" ;;
    esac
    local missing=() p status
    for p in "${DR_APT_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)"
        [[ "$status" == ii* ]] || missing+=("$p")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        dr_log "apt: all ${#DR_APT_PACKAGES[@]} packages present"
        return 0
    fi
    dr_log "apt: installing ${missing[*]}"
    # No systemd here: package scripts must not start services (libvirtd.sh starts what the
    # tests need, with the configuration they need).
    dr_apt_get_install "${missing[@]}" || dr_die "apt-get install failed for: ${missing[*]}"
}

dr_swift_on_path() {
    if ! command -v swift >/dev/null 2>&1; then
        local d
        for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
            if [[ -x "$d/swift" ]]; then export PATH="$d:$PATH"; break; fi
        done
    fi
    command -v swift >/dev/null 2>&1 || dr_die "swift not found (looked on PATH and in /opt/swift/usr/bin)"
}

# Pick a Python >= 3.11 that has venv: a pyenv install first (the image's default; no shim
# needed, so it works with a bare CI PATH), then PATH.
dr_find_python() {
    local c
    for c in "${DR_BASE_PYTHON:-}" "${PYENV_ROOT:-/root/.pyenv}"/versions/3.1[1-9]*/bin/python3 /root/.pyenv/shims/python3 \
             "$(command -v python3.11 || true)" "$(command -v python3 || true)"; do
        [[ -n "$c" && -x "$c" ]] || continue
        if "$c" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
            printf '%s\n' "$c"; return 0
        fi
    done
    return 1
}

dr_install_venv() {
    export DR_VENV="${DR_VENV:-$DR_REPO/.venv}"
    export DR_PYTHON="$DR_VENV/bin/python"
    local constraints="$DR_REPO/scripts/constraints.txt"
    local shim="$DR_REPO/python-shim"
    local stamp="$DR_VENV/.dirtyring-stamp"
    local want
    want="$( { cat "$constraints"; printf '%s\n' "${DR_PIP_PACKAGES[@]}" "${DR_PIP_NODEPS_PACKAGES[@]}";
               [[ -f "$shim/pyproject.toml" ]] && cat "$shim/pyproject.toml";
               [[ -f "$shim/setup.cfg" ]] && cat "$shim/setup.cfg";
               [[ -f "$shim/test-requirements.txt" ]] && cat "$shim/test-requirements.txt"; true; } | sha256sum | cut -d' ' -f1)"
    if [[ -x "$DR_PYTHON" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        dr_log "venv: $DR_VENV up to date"
        return 0
    fi
    local base
    base="$(dr_find_python)" || dr_die "no Python >= 3.11 with venv found (pyenv or python3)"
    if [[ ! -x "$DR_PYTHON" ]]; then
        dr_log "venv: creating $DR_VENV with $base"
        "$base" -m venv "$DR_VENV"
    fi
    dr_log "venv: installing nova and test deps (first time: ~2-3 min, ~420 MB)"
    "$DR_PYTHON" -m pip install -q --disable-pip-version-check -c "$constraints" "${DR_PIP_PACKAGES[@]}" \
        || dr_die "pip install failed"
    if [[ -f "$shim/test-requirements.txt" ]]; then
        dr_log "venv: installing python-shim/test-requirements.txt"
        "$DR_PYTHON" -m pip install -q --disable-pip-version-check -c "$constraints" -r "$shim/test-requirements.txt" \
            || dr_die "pip install -r python-shim/test-requirements.txt failed"
    fi
    if [[ -f "$shim/pyproject.toml" || -f "$shim/setup.py" ]]; then
        # Editable install: the shim ships nova/virt/dirtyring, which must land beside nova.
        dr_log "venv: installing python-shim (editable)"
        "$DR_PYTHON" -m pip install -q --disable-pip-version-check -c "$constraints" -e "$shim" \
            || dr_die "pip install -e python-shim failed"
    else
        dr_warn "venv: python-shim/pyproject.toml not found: shim not installed (not written yet?)"
    fi
    # Last: pip would otherwise repeat ceilometer's unmet (unneeded) requirements after each step.
    if [[ ${#DR_PIP_NODEPS_PACKAGES[@]} -gt 0 ]]; then
        dr_log "venv: installing ${DR_PIP_NODEPS_PACKAGES[*]} (--no-deps)"
        "$DR_PYTHON" -m pip install -q --disable-pip-version-check --no-deps -c "$constraints" "${DR_PIP_NODEPS_PACKAGES[@]}" \
            || dr_die "pip install --no-deps ${DR_PIP_NODEPS_PACKAGES[*]} failed"
    fi
    printf '%s\n' "$want" > "$stamp"
}

# <repo>/.venv-e2e for scripts/e2e (exports DR_E2E_VENV); pip runs only when its list changed.
dr_install_e2e_venv() {
    export DR_E2E_VENV="${DR_E2E_VENV:-$DR_REPO/.venv-e2e}"
    local constraints="$DR_REPO/scripts/constraints.txt"
    local stamp="$DR_E2E_VENV/.dirtyring-stamp"
    local want
    want="$( { cat "$constraints"; printf '%s\n' "${DR_E2E_PIP_PACKAGES[@]}"; } | sha256sum | cut -d' ' -f1)"
    if [[ -x "$DR_E2E_VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        dr_log "venv: $DR_E2E_VENV up to date"
        return 0
    fi
    local base
    base="$(dr_find_python)" || dr_die "no Python >= 3.11 with venv found (pyenv or python3)"
    [[ -x "$DR_E2E_VENV/bin/python" ]] || "$base" -m venv "$DR_E2E_VENV"
    dr_log "venv: installing ${DR_E2E_PIP_PACKAGES[*]} into $DR_E2E_VENV (first time: ~1-2 min, ~320 MB)"
    "$DR_E2E_VENV/bin/python" -m pip install -q --disable-pip-version-check -c "$constraints" \
        "${DR_E2E_PIP_PACKAGES[@]}" || dr_die "pip install into $DR_E2E_VENV failed"
    printf '%s\n' "$want" > "$stamp"
}

dr_install_all() {
    dr_install_apt
    dr_swift_on_path
    dr_install_venv
}
