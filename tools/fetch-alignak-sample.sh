#!/usr/bin/env bash
# Fetches the Alignak 2.1.5 wheel from PyPI into target/alignak-sample/ (as
# crates/vigia/tests/alignak_sample.rs does) and extracts its sample configuration (etc/) into
# target/alignak-sample/etc, with alignak.ini edited so that it loads alignak.cfg from there.
#
# With --verify, also installs the real Alignak 2.1.5 in a venv (target/alignak-sample/venv) and
# runs its arbiter in verify mode on that copy: this reproduces the numbers the test expects
# ("- checking hosts... checked N", "- checking services... checked N"). The arbiter in -V mode
# only reads the configuration; it contacts no daemon.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEEL=alignak-2.1.5-py2.py3-none-any.whl
SHA256=23712c429694aed91ade738d98f4b0da7871f87d63944b0a3a7f6f1cfec4889b
dir=$PWD/target/alignak-sample
mkdir -p "$dir"

if [ ! -f "$dir/$WHEEL" ] || ! echo "$SHA256  $dir/$WHEEL" | sha256sum -c --quiet - 2>/dev/null; then
    rm -f "$dir/$WHEEL"
    python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check --no-input \
        alignak==2.1.5 -d "$dir"
    echo "$SHA256  $dir/$WHEEL" | sha256sum -c --quiet -
fi

etc=$dir/etc
rm -rf "$etc"
python3 - "$dir/$WHEEL" "$etc" <<'EOF'
import sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
prefix = "alignak-2.1.5.data/data/share/alignak/etc/"
with zipfile.ZipFile(wheel) as z:
    for m in z.infolist():
        if m.filename.startswith(prefix) and not m.is_dir():
            m.filename = m.filename[len(prefix):]
            z.extract(m, dest)
EOF
# The wheel's alignak.ini points at /usr/local and has `cfg=` commented out.
sed -i "s|^_dist=.*|_dist=$dir/run|; s|^_dist_ETC=.*|_dist_ETC=$etc|; s|^;cfg=%(etcdir)s/alignak.cfg|cfg=%(etcdir)s/alignak.cfg|" \
    "$etc/alignak.ini"
mkdir -p "$dir/run/bin" "$dir/run/var/lib/alignak" "$dir/run/var/run/alignak" "$dir/run/var/log/alignak"
echo "sample: $etc/alignak.cfg and $etc/alignak.ini"

if [ "${1:-}" = --verify ]; then
    venv=$dir/venv
    if [ ! -x "$venv/bin/alignak-arbiter" ]; then
        python3 -m venv "$venv"
        # Alignak's own pins (numpy 1.14.3, ujson 1.35, ...) do not build on recent Pythons.
        "$venv/bin/pip" install -q --no-deps "$dir/$WHEEL"
        "$venv/bin/pip" install -q future six CherryPy requests termcolor setproctitle ujson numpy docopt psutil
        # Python 3.10+ removed collections.Callable & co., which Alignak still uses.
        site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        cat > "$site/sitecustomize.py" <<'EOF'
import collections, collections.abc
for _n in dir(collections.abc):
    if not _n.startswith('_') and not hasattr(collections, _n):
        setattr(collections, _n, getattr(collections.abc, _n))
EOF
    fi
    rc=0
    "$venv/bin/alignak-arbiter" -V -e "$etc/alignak.ini" > "$dir/verify.log" 2>&1 || rc=$?
    grep -A1 -E -- "- checking (hosts|services|commands)\.\.\." "$dir/verify.log" | sed 's/^\[[^]]*\] //'
    grep -E "ERROR|Things look okay" "$dir/verify.log" | sed 's/^\[[^]]*\] //' || true
    echo "alignak-arbiter -V exit code: $rc (full log: $dir/verify.log)"
    "${CARGO_TARGET_DIR:-$PWD/target}/release/vigia" check-config "$etc/alignak.cfg" 2>/dev/null | grep -E "hosts\.|services\." \
        | sed 's/^/vigia: /' || echo "(no built vigia to compare with)"
fi
