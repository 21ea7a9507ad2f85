#!/usr/bin/env bash
# The whole test suite: unit, property and integration tests, with the real programs they use
# (Debian's monitoring plugins, Nagios 4 as the configuration oracle, Thruk's Livestatus client
# library, Icinga 2 as the Livestatus server to compare with, Chromium for the web UI, iproute2's
# network namespaces for partitions). Installs what is missing
# when it can (root with apt-get); tests that need a missing program say so loudly.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/lib/nagios/plugins/check_dummy ] || need+=(monitoring-plugins-basic monitoring-plugins-common)
[ -x /usr/sbin/nagios4 ] || need+=(nagios4-core)
perl -MMonitoring::Livestatus -e1 2>/dev/null || need+=(libmonitoring-livestatus-perl)
[ -x /usr/sbin/icinga2 ] || need+=(icinga2-bin)
# The web UI tests drive a real browser.
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
# The partition tests cut links between network namespaces (root).
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        echo "WARNING: missing ${need[*]}: install them (apt-get install ${need[*]}) or the tests that need them fail" >&2
    fi
fi

cargo test --workspace --release
