#!/bin/sh
# install-test.sh DEB PLANS: the Debian package installed into a fresh root, as a school's box does
# it (`apt-get install ./carillon_VERSION_ARCH.deb`), then run from the installed files as the user
# `carillon`; then upgraded from a previous version, then purged. Run by PackageTests (make test).
#
# The fresh root: its own /etc (a copy of this machine's, without any carillon account), its own
# dpkg and apt state (a copy of this machine's status: what a Debian 12 box with the runtime
# libraries has), an empty /var, /run and /tmp, and /usr an overlay whose lower layer is this
# machine's /usr, read-only, so the package's files land in a layer of their own. Everything happens
# in a private mount namespace and under one temporary directory, both gone at the end. The
# maintainer scripts run chrooted, as dpkg runs them on a real box. There is no systemd as PID 1
# here, so the service is not started by systemd: the test starts carillond itself, from the
# unit's ExecStart=, as User=carillon with SupplementaryGroups=audio, UMask=0027 and the
# RuntimeDirectory the unit would make. The box has no sound card: the root's /etc/asound.conf
# makes ALSA's `default` a file PCM over `null`, writing to /dev/null.
#
# The previous version is the same package relabelled 0.1.9 (dpkg-deb -R, Version changed,
# dpkg-deb -b): the same binaries and maintainer scripts under a lower version, so that the
# upgrade path (conffiles kept, statoverrides applied, data kept, unit restarted) is exercised
# without a second release build.
set -eu

deb=$1
plans=$2
old_version=${3:-0.1.9}

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

if [ -z "${CARILLON_IN_NAMESPACE:-}" ]; then
    [ "$(id -u)" = 0 ] || fail "needs root (mount namespace, chroot)"
    [ -f "$deb" ] || fail "no package $deb: run make deb"
    work=$(mktemp -d /tmp/carillon-package.XXXXXX)
    trap 'rm -rf "$work"' EXIT INT TERM
    status=0
    CARILLON_IN_NAMESPACE=1 CARILLON_WORK=$work unshare --mount --propagation private "$0" "$@" || status=$?
    exit $status
fi

work=$CARILLON_WORK
root=$work/root
daemon_pid=

# Whether a child still runs (kill -0 also succeeds on a zombie not yet waited for).
alive() {
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
    [ -n "$state" ] && [ "$state" != Z ]
}

# As systemd stops the unit: SIGTERM, then SIGKILL after TimeoutStopSec.
stop_daemon() {
    if [ -n "$daemon_pid" ]; then
        kill -TERM "$daemon_pid" 2>/dev/null || true
        timeout=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$root/lib/systemd/system/carillond.service" 2>/dev/null || true)
        i=0
        while alive "$daemon_pid" && [ $i -lt $((${timeout:-10} * 10)) ]; do sleep 0.1; i=$((i + 1)); done
        if alive "$daemon_pid"; then
            echo "note: carillond did not stop within ${timeout:-10} s of SIGTERM: killed, as systemd would"
            kill -KILL "$daemon_pid" 2>/dev/null || true
        fi
        wait "$daemon_pid" 2>/dev/null || true
        daemon_pid=
    fi
}
trap stop_daemon EXIT INT TERM

in_root() { chroot "$root" "$@"; }

step "the fresh root"
mkdir -p "$root/usr" "$work/usr-upper" "$work/usr-work" "$root/var/lib" "$root/var/cache/apt/archives/partial" \
    "$root/var/log/apt" "$root/run" "$root/tmp" "$root/dev" "$root/proc"
for link in bin lib lib64 sbin; do ln -s "usr/$link" "$root/$link"; done
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$work/usr-upper,workdir=$work/usr-work" "$root/usr"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc" 2>/dev/null || mount --rbind /proc "$root/proc"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
chmod 1777 "$root/tmp"
cp -a /etc "$root/etc"
cp -a /var/lib/dpkg "$root/var/lib/dpkg"
mkdir -p "$root/var/lib/apt/lists/partial" "$root/var/lib/systemd"
for db in passwd group shadow gshadow; do
    [ -f "$root/etc/$db" ] && sed -i -e '/^carillon:/d' -e 's/\(:[^:]*\),carillon$/\1/' -e 's/:carillon$/:/' -e 's/:carillon,/:/' "$root/etc/$db"
done
rm -rf "$root/etc/carillon" "$root/etc/asound.conf"
if in_root dpkg-query -W carillon >/dev/null 2>&1 || [ -e "$root/usr/bin/carillond" ] || [ -e "$root/usr/share/carillon" ]; then
    fail "this machine has carillon installed: the root would not be fresh"
fi
cat > "$root/etc/asound.conf" <<'EOF'
pcm.!default { type file slave.pcm "null" file "/dev/null" format "raw" }
EOF

step "the previous version, $old_version: the same package relabelled"
dpkg-deb -R "$deb" "$work/old"
sed -i "s/^Version: .*/Version: $old_version/" "$work/old/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip -z1 -b "$work/old" "$root/tmp/carillon_${old_version}.deb" >/dev/null
rm -rf "$work/old"
cp "$deb" "$root/tmp/carillon_new.deb"
version=$(dpkg-deb -f "$deb" Version)

apt_install() {
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confdef \
        -o Dpkg::Options::=--force-confold "$1" > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install $1"; }
}

# The daemon, as the unit starts it.
start_daemon() {
    unit=$root/lib/systemd/system/carillond.service
    [ -f "$unit" ] || fail "no unit at /lib/systemd/system/carillond.service"
    exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
    user=$(sed -n 's/^User=//p' "$unit")
    group=$(sed -n 's/^Group=//p' "$unit")
    groups=$(sed -n 's/^SupplementaryGroups=//p' "$unit")
    [ "$user" = carillon ] && [ "$group" = carillon ] && [ "$groups" = audio ] || fail "the unit runs as $user:$group ($groups)"
    rm -rf "$root/run/carillon"
    in_root install -d -o carillon -g carillon -m 0750 /run/carillon
    (umask 0027; cd "$root" && exec chroot --userspec="$user:$group" --groups="$group,$groups" "$root" \
        env -i PATH=/usr/bin:/bin HOME=/var/lib/carillon LANG=C.UTF-8 $exec_start) >> "$work/daemon.log" 2>&1 &
    daemon_pid=$!
    i=0
    until [ -S "$root/run/carillon/control.sock" ]; do
        i=$((i + 1))
        if [ $i -gt 600 ] || ! alive "$daemon_pid"; then
            cat "$work/daemon.log"; fail "carillond did not open its socket"
        fi
        sleep 0.1
    done
    # The subshell execs chroot, which execs env, which execs carillond: the pid is the daemon's.
    [ "$(ps -o uid= -p "$daemon_pid" | tr -d ' ')" = "$(in_root id -u carillon)" ] || fail "carillond does not run as carillon"
}

client() { in_root carillon "$@"; }

check_plans() {
    listed=$(client plan list --json | grep -c . || true)
    [ "$listed" = "$plans" ] || { client plan list; cat "$work/daemon.log"; fail "plan list shows $listed plans, not $plans"; }
    echo "plan list: $listed plans"
}

check_owners() {
    for dir in /etc/carillon /etc/carillon/plans; do
        got=$(in_root stat -c '%U:%G %a' "$dir")
        [ "$got" = "root:carillon 750" ] || fail "$dir is $got, not root:carillon 750"
    done
    count=0
    for file in $(in_root dpkg-query --showformat='${Conffiles}\n' --show carillon | awk '{ print $1 }'); do
        got=$(in_root stat -c '%U:%G %a' "$file")
        [ "$got" = "root:carillon 640" ] || fail "$file is $got, not root:carillon 640"
        count=$((count + 1))
    done
    [ "$count" = $((plans + 2)) ] || fail "$count conffiles, not $((plans + 2)) (carillon.toml, schedule.toml, the plans)"
    in_root chroot --userspec=carillon:carillon / sh -c 'cat /etc/carillon/carillon.toml /etc/carillon/schedule.toml /etc/carillon/plans/*.toml' \
        > /dev/null || fail "carillon cannot read its config"
    in_root chroot --userspec=nobody:nogroup / sh -c 'ls /etc/carillon' > /dev/null 2>&1 && fail "other users can read /etc/carillon"
    echo "config: root:carillon, 0750 directories, $count conffiles 0640, readable by carillon only"
}

step "apt-get install ./carillon_${old_version}.deb"
apt_install "/tmp/carillon_${old_version}.deb"
[ "$(in_root dpkg-query -W -f='${Version}' carillon)" = "$old_version" ] || fail "$old_version is not installed"

step "what the package installed"
in_root getent passwd carillon | grep -q ':/var/lib/carillon:/usr/sbin/nologin$' || fail "no system account carillon: $(in_root getent passwd carillon)"
in_root id -nG carillon | grep -qw audio || fail "carillon is not in the group audio"
[ "$(in_root stat -c '%U:%G %a' /var/lib/carillon)" = "carillon:carillon 750" ] || fail "/var/lib/carillon is $(in_root stat -c '%U:%G %a' /var/lib/carillon)"
[ -L "$root/etc/systemd/system/multi-user.target.wants/carillond.service" ] || fail "carillond.service is not enabled"
for path in /usr/bin/carillond /usr/bin/carillon /usr/share/carillon/audio-library/catalog.toml \
    /usr/share/carillon/contrib/notify-webhook /usr/share/doc/carillon/OPERATIONS.md /usr/share/doc/carillon/copyright \
    /usr/share/man/man1/carillon.1.gz /usr/share/man/man8/carillond.8.gz /usr/share/bash-completion/completions/carillon \
    /usr/share/zsh/vendor-completions/_carillon /usr/share/fish/vendor_completions.d/carillon.fish \
    /usr/lib/sysusers.d/carillon.conf /usr/lib/tmpfiles.d/carillon.conf; do
    [ -e "$root$path" ] || fail "missing $path"
done
for binary in carillond carillon; do
    if in_root ldd "/usr/bin/$binary" | grep -E 'not found|libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime'; then
        fail "$binary needs a library the box does not have, or the Swift runtime"
    fi
done
echo "binaries: no Swift runtime libraries, every shared library found"
check_owners
in_root chroot --userspec=carillon:carillon / carillond --check-config --config /etc/carillon/carillon.toml \
    || fail "carillond --check-config as carillon"

step "carillond as carillon, from the unit's ExecStart="
start_daemon
check_plans
client status
client play bell.start --wait
client log --json | grep -q '"bell.start"' || fail "the play log does not hold bell.start"
stop_daemon

step "the school edits its config; then apt-get install ./carillon_${version}.deb"
echo "# edited by the school" >> "$root/etc/carillon/carillon.toml"
cp "$root/etc/carillon/carillon.toml" "$work/edited.toml"
apt_install /tmp/carillon_new.deb
[ "$(in_root dpkg-query -W -f='${Version}' carillon)" = "$version" ] || fail "$version is not installed"
cmp -s "$work/edited.toml" "$root/etc/carillon/carillon.toml" || fail "the upgrade changed the school's config"
[ ! -e "$root/etc/carillon/carillon.toml.dpkg-dist" ] && [ ! -e "$root/etc/carillon/carillon.toml.dpkg-old" ] || fail "the upgrade left a .dpkg- file"
check_owners
start_daemon
check_plans
client log --json | grep -q '"bell.start"' || fail "the upgrade lost the play log"
echo "upgrade: config, owners, data and play log kept"
stop_daemon

step "apt-get purge carillon"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q carillon > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "purge"; }
for path in /etc/carillon /var/lib/carillon /usr/bin/carillond /usr/share/carillon \
    /etc/systemd/system/multi-user.target.wants/carillond.service; do
    [ ! -e "$root$path" ] && [ ! -L "$root$path" ] || fail "purge left $path"
done
! in_root dpkg-statoverride --list '/etc/carillon*' > /dev/null || fail "purge left statoverrides: $(in_root dpkg-statoverride --list '/etc/carillon*')"
echo "purge: config, data, overrides and the unit's links removed (the account stays, as Debian's do)"
echo "PASS"
