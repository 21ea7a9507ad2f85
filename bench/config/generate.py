#!/usr/bin/env python3
"""Writes a Nagios configuration of H hosts x S services per host, readable by Nagios 4 and Vigia.

usage: generate.py HOSTS SERVICES_PER_HOST OUT_DIR

Hosts use a template chain, belong to hostgroups of 100, have parents within their group, and
services use a service template; one file per 1,000 hosts, as large installations split them.
"""
import os
import sys


def main():
    hosts, per_host, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    objs = os.path.join(out, "objects")
    os.makedirs(objs, exist_ok=True)
    with open(os.path.join(out, "nagios.cfg"), "w") as f:
        f.write("cfg_dir=objects\nresource_file=resource.cfg\ninterval_length=60\n")
        # Nagios needs these to run; Vigia ignores them.
        for k in ("log_file", "object_cache_file", "precached_object_file", "status_file", "temp_file",
                  "lock_file", "check_result_path", "command_file", "state_retention_file"):
            f.write(f"{k}={out}/var/{k}\n")
        f.write(f"query_socket={out}/var/query.sock\n")
        # Nagios checks its folders as the user it would run as; the benchmark runs as whoever runs it.
        user = os.environ.get("USER") or "root"
        f.write(f"nagios_user={user}\nnagios_group={user}\n")
        f.write("illegal_macro_output_chars=`~$&|'\"<>\n")
    os.makedirs(os.path.join(out, "var", "check_result_path"), exist_ok=True)
    with open(os.path.join(out, "resource.cfg"), "w") as f:
        f.write("$USER1$=/usr/lib/nagios/plugins\n")
    with open(os.path.join(objs, "common.cfg"), "w") as f:
        f.write("""define timeperiod {
    timeperiod_name 24x7
    alias 24x7
    sunday 00:00-24:00
    monday 00:00-24:00
    tuesday 00:00-24:00
    wednesday 00:00-24:00
    thursday 00:00-24:00
    friday 00:00-24:00
    saturday 00:00-24:00
}
define command {
    command_name check_dummy
    command_line $USER1$/check_dummy $ARG1$ $ARG2$
}
define command {
    command_name notify
    command_line /bin/true
}
define contact {
    contact_name admin
    alias Admin
    host_notification_period 24x7
    service_notification_period 24x7
    host_notification_options d,u,r
    service_notification_options w,u,c,r
    host_notification_commands notify
    service_notification_commands notify
}
define contactgroup {
    contactgroup_name admins
    alias Admins
    members admin
}
define host {
    name generic-host
    check_command check_dummy!0!up
    max_check_attempts 3
    check_interval 5
    retry_interval 1
    check_period 24x7
    notification_period 24x7
    notification_interval 60
    contact_groups admins
    register 0
}
define host {
    name linux-host
    use generic-host
    _OS linux
    register 0
}
define service {
    name generic-service
    max_check_attempts 3
    check_interval 5
    retry_interval 1
    check_period 24x7
    notification_period 24x7
    notification_interval 60
    contact_groups admins
    register 0
}
""")
    for start in range(0, hosts, 1000):
        with open(os.path.join(objs, f"hosts-{start // 1000:05d}.cfg"), "w") as f:
            w = f.write
            for h in range(start, min(hosts, start + 1000)):
                group = h // 100
                if h % 100 == 0:
                    w(f"define hostgroup {{\n    hostgroup_name group{group}\n    alias Group {group}\n}}\n")
                w(f"define host {{\n    use linux-host\n    host_name host{h}\n    alias Host {h}\n"
                  f"    address 10.{h >> 16 & 255}.{h >> 8 & 255}.{h & 255}\n    hostgroups group{group}\n")
                if h % 100:
                    w(f"    parents host{group * 100}\n")
                w("}\n")
                for s in range(per_host):
                    w(f"define service {{\n    use generic-service\n    host_name host{h}\n"
                      f"    service_description svc{s}\n    check_command check_dummy!0!svc{s}\n}}\n")


if __name__ == "__main__":
    main()
