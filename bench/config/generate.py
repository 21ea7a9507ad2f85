#!/usr/bin/env python3
"""Writes generated monitoring configurations for the benchmarks. Two layouts, one set of objects
(timeperiod, commands, contact, host and service templates: `COMMON`):

usage: generate.py HOSTS SERVICES_PER_HOST OUT_DIR
    Nagios layout, readable by Nagios 4 and Vigia (bench/config, the engine bench): `nagios.cfg`
    with what Nagios needs to run; hosts use a template chain, belong to hostgroups of 100, have
    parents within their group (the group's first host), services are defined per host with a
    service template; one file per 1,000 hosts, as large installations split them.

usage: generate.py HOSTS SERVICES_PER_HOST OUT_DIR --schedulers N [--files F] [--ip IP]
    Alignak layout, as a new Alignak user writes it (bench/scale; `vigia check-config OUT_DIR`,
    `vigia run OUT_DIR`): `vigia.cfg`, one file per daemon in `arbiter/daemons/` (an arbiter, N
    master schedulers each with a spare (`spare 1`, same realm), a poller, a reactionner, a broker,
    a receiver, all on IP with distinct ports), and the objects in ONE file
    `arbiter/objects/objects.cfg` (or spread over F files). Hosts are in hostgroups of 1,000 and
    in parent chains of 50 (host i's parent is host i-1 unless i % 50 == 0); services are applied
    through the hostgroups (`define service { hostgroup_name ... }`), all passive
    (active_checks_enabled 0, passive_checks_enabled 1, check_freshness 0); hosts are checked
    actively with check_dummy every 5 minutes.
"""
import argparse
import os

COMMON = """define timeperiod {
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
"""

RESOURCE = "$USER1$=/usr/lib/nagios/plugins\n"


def host_address(h):
    return f"10.{h >> 16 & 255}.{h >> 8 & 255}.{h & 255}"


def write_nagios(out, hosts, per_host):
    """The Nagios layout (see the module's docstring)."""
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
        f.write(RESOURCE)
    with open(os.path.join(objs, "common.cfg"), "w") as f:
        f.write(COMMON)
    for start in range(0, hosts, 1000):
        with open(os.path.join(objs, f"hosts-{start // 1000:05d}.cfg"), "w") as f:
            w = f.write
            for h in range(start, min(hosts, start + 1000)):
                group = h // 100
                if h % 100 == 0:
                    w(f"define hostgroup {{\n    hostgroup_name group{group}\n    alias Group {group}\n}}\n")
                w(f"define host {{\n    use linux-host\n    host_name host{h}\n    alias Host {h}\n"
                  f"    address {host_address(h)}\n    hostgroups group{group}\n")
                if h % 100:
                    w(f"    parents host{group * 100}\n")
                w("}\n")
                for s in range(per_host):
                    w(f"define service {{\n    use generic-service\n    host_name host{h}\n"
                      f"    service_description svc{s}\n    check_command check_dummy!0!svc{s}\n}}\n")


# The Alignak layout's daemons: standard ports for the single ones; master scheduler k (1-based)
# on SCHEDULER_PORT + k, its spare on SPARE_PORT + k.
PORTS = {"arbiter": 7770, "poller": 7771, "reactionner": 7769, "broker": 7772, "receiver": 7773}
SCHEDULER_PORT = 7800
SPARE_PORT = 7900
MAX_SCHEDULERS = 99
GROUP_SIZE = 1000
PARENT_CHAIN = 50


def daemons(schedulers, ip):
    """Every daemon of the Alignak layout as (role, name, address, port, spare)."""
    out = [("arbiter", "arbiter-master", ip, PORTS["arbiter"], False)]
    for k in range(1, schedulers + 1):
        out.append(("scheduler", f"scheduler-master-{k}", ip, SCHEDULER_PORT + k, False))
        out.append(("scheduler", f"scheduler-spare-{k}", ip, SPARE_PORT + k, True))
    for role in ("poller", "reactionner", "broker", "receiver"):
        out.append((role, f"{role}-master", ip, PORTS[role], False))
    return out


def daemon_cfg(role, name, address, port, spare):
    extra = {
        "scheduler": "    weight                  1\n",
        "poller": "    poller_tags             None\n",
        "reactionner": "    reactionner_tags        None\n",
        "broker": "    manage_arbiters         1\n",
    }.get(role, "")
    return (f"define {role} {{\n    {role}_name {name}\n    address                 {address}\n"
            f"    port                    {port}\n    spare                   {1 if spare else 0}\n"
            "    realm                   All\n    manage_sub_realms       1\n    timeout                 1\n"
            "    data_timeout            120\n    max_check_attempts      3\n    check_interval          1\n"
            f"{extra}}}\n")


def alignak_objects(hosts, per_host):
    """The objects of the Alignak layout, as one text per host group (the first one also holds the
    realm and `COMMON`), so that they can be spread over files without splitting a definition."""
    chunks = []
    for start in range(0, hosts, GROUP_SIZE):
        group = start // GROUP_SIZE
        parts = []
        if start == 0:
            parts.append("define realm {\n    realm_name All\n    default 1\n}\n" + COMMON)
        parts.append(f"define hostgroup {{\n    hostgroup_name group{group}\n    alias Group {group}\n}}\n")
        for s in range(per_host):
            parts.append(f"define service {{\n    use generic-service\n    hostgroup_name group{group}\n"
                         f"    service_description svc{s}\n    check_command check_dummy!0!svc{s}\n"
                         "    active_checks_enabled 0\n    passive_checks_enabled 1\n    check_freshness 0\n}\n")
        for h in range(start, min(hosts, start + GROUP_SIZE)):
            parts.append(f"define host {{\n    use linux-host\n    host_name host{h}\n    alias Host {h}\n"
                         f"    address {host_address(h)}\n    hostgroups group{group}\n"
                         + (f"    parents host{h - 1}\n" if h % PARENT_CHAIN else "") + "}\n")
        chunks.append("".join(parts))
    return chunks


def write_alignak(out, hosts, per_host, schedulers, files=1, ip="127.0.31.1"):
    """The Alignak layout (see the module's docstring)."""
    if not 1 <= schedulers <= MAX_SCHEDULERS:
        raise SystemExit(f"--schedulers {schedulers}: expected 1 to {MAX_SCHEDULERS}")
    if files < 1:
        raise SystemExit(f"--files {files}: expected at least 1")
    arbiter = os.path.join(out, "arbiter")
    for sub in ("daemons", "objects", "resource.d"):
        os.makedirs(os.path.join(arbiter, sub), exist_ok=True)
    with open(os.path.join(out, "vigia.cfg"), "w") as f:
        f.write(f"# {hosts} hosts x {per_host} passive services, {schedulers} master scheduler(s) each with a spare,\n"
                f"# on {ip} (bench/config/generate.py, Alignak layout). Check it with `vigia check-config {out}`.\n"
                "cfg_dir=arbiter/daemons\ncfg_dir=arbiter/objects\nresource_file=arbiter/resource.d/paths.cfg\n"
                "\ninterval_length=60\nmax_plugins_output_length=8192\nillegal_macro_output_chars=`~$&|'\"<>\n")
    with open(os.path.join(arbiter, "resource.d", "paths.cfg"), "w") as f:
        f.write(RESOURCE)
    for d in daemons(schedulers, ip):
        with open(os.path.join(arbiter, "daemons", f"{d[1]}.cfg"), "w") as f:
            f.write(daemon_cfg(*d))
    chunks = alignak_objects(hosts, per_host)
    if files == 1:
        with open(os.path.join(arbiter, "objects", "objects.cfg"), "w") as f:
            f.writelines(chunks)
        return
    # F files of about the same size: split at definitions, never inside one.
    text = "".join(chunks)
    starts = [0]
    for k in range(1, files):
        cut = text.find("\ndefine ", len(text) * k // files)
        starts.append(len(text) if cut < 0 else cut + 1)
    starts.append(len(text))
    for k in range(files):
        with open(os.path.join(arbiter, "objects", f"objects-{k + 1:04d}.cfg"), "w") as f:
            f.write(text[starts[k]:starts[k + 1]])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hosts", type=int)
    p.add_argument("services_per_host", type=int)
    p.add_argument("out_dir")
    p.add_argument("--schedulers", type=int, help="Alignak layout with this many master schedulers, each with a spare")
    p.add_argument("--files", type=int, default=1, help="Alignak layout: spread the objects over this many files")
    p.add_argument("--ip", default=os.environ.get("IP", "127.0.31.1"), help="Alignak layout: every daemon's address")
    a = p.parse_args()
    if a.schedulers is None:
        write_nagios(a.out_dir, a.hosts, a.services_per_host)
    else:
        write_alignak(a.out_dir, a.hosts, a.services_per_host, a.schedulers, a.files, a.ip)


if __name__ == "__main__":
    main()
