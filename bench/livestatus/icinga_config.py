#!/usr/bin/env python3
"""The objects of bench/scale/generate.py's Alignak layout (bench/livestatus/run.sh's cluster),
written in Icinga 2's DSL for bench/livestatus/icinga.sh, with a Livestatus listener on IP:PORT.

usage: icinga_config.py HOSTS SERVICES_PER_HOST IP PORT OUT_FILE

Same objects, same numbers (taken from bench/config/generate.py): hosts host0..hostN-1 with
alias "Host i", its address and `_OS linux`, in hostgroups of GROUP_SIZE, in parent chains of
PARENT_CHAIN (a Dependency from host i-1 to host i unless i % PARENT_CHAIN == 0), checked
actively with check_dummy every 5 minutes; SERVICES_PER_HOST passive services svcK on every host
(active checks off, passive on; Icinga has no freshness setting: a service without
active checks is never checked); the contact admin in the contact group admins as
every object's contact (Icinga: a Notification for each host and service, as Icinga has no
other way to say it; no NotificationComponent runs, so none is sent).
"""
import importlib.util
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("config_generate", os.path.join(here, "..", "config", "generate.py"))
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)


def icinga(hosts, per_host, ip, port):
    parts = [f"""object IcingaApplication "app" {{ }}
object CheckerComponent "checker" {{ }}
object LivestatusListener "livestatus" {{
  socket_type = "tcp"
  bind_host = "{ip}"
  bind_port = "{port}"
}}
object TimePeriod "24x7" {{
  import "legacy-timeperiod"
  display_name = "24x7"
  ranges = {{
    monday = "00:00-24:00"; tuesday = "00:00-24:00"; wednesday = "00:00-24:00"; thursday = "00:00-24:00"
    friday = "00:00-24:00"; saturday = "00:00-24:00"; sunday = "00:00-24:00"
  }}
}}
object CheckCommand "check_dummy" {{
  command = [ "/usr/lib/nagios/plugins/check_dummy", "$dummy_state$", "$dummy_text$" ]
}}
object NotificationCommand "notify" {{ command = [ "/bin/true" ] }}
object User "admin" {{ display_name = "Admin"; period = "24x7"; groups = [ "admins" ] }}
object UserGroup "admins" {{ display_name = "Admins" }}
template Host "linux-host" {{
  check_command = "check_dummy"; vars.dummy_state = 0; vars.dummy_text = "up"
  max_check_attempts = 3; check_interval = 5m; retry_interval = 1m; check_period = "24x7"
  vars.OS = "linux"
}}
apply Notification "admins" to Host {{
  command = "notify"; user_groups = [ "admins" ]; period = "24x7"; interval = 60m; assign where true
}}
apply Notification "admins" to Service {{
  command = "notify"; user_groups = [ "admins" ]; period = "24x7"; interval = 60m; assign where true
}}
"""]
    for s in range(per_host):
        parts.append(f"""apply Service "svc{s}" {{
  check_command = "check_dummy"; vars.dummy_state = 0; vars.dummy_text = "svc{s}"
  max_check_attempts = 3; check_interval = 5m; retry_interval = 1m; check_period = "24x7"
  enable_active_checks = false; enable_passive_checks = true
  assign where true
}}
""")
    for h in range(hosts):
        group = h // generate.GROUP_SIZE
        if h % generate.GROUP_SIZE == 0:
            parts.append(f'object HostGroup "group{group}" {{ display_name = "Group {group}" }}\n')
        parts.append(f'object Host "host{h}" {{ import "linux-host"; display_name = "Host {h}"; '
                     f'address = "{generate.host_address(h)}"; groups = [ "group{group}" ] }}\n')
        if h % generate.PARENT_CHAIN:
            parts.append(f'object Dependency "host{h}-parent" {{ parent_host_name = "host{h - 1}"; '
                         f'child_host_name = "host{h}" }}\n')
    return "".join(parts)


def main():
    hosts, per_host, ip, port, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
    with open(out, "w") as f:
        f.write(icinga(hosts, per_host, ip, port))


if __name__ == "__main__":
    main()
