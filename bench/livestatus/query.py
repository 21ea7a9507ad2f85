#!/usr/bin/env python3
"""Times Livestatus queries against HOST:PORT (bench/livestatus/run.sh starts the cluster).

Prints one line per measure: the best of REPEAT runs for the scans, the rate for the small
queries. The client is an ordinary one: Python's socket with TCP_NODELAY left as it is.
"""
import socket
import sys
import time

host, port, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 5


def once(lql):
    """One request on its own connection, read to EOF."""
    s = socket.create_connection((host, port))
    s.sendall(lql.encode() + b"\n\n")
    s.shutdown(socket.SHUT_WR)
    out = bytearray()
    while True:
        d = s.recv(1 << 16)
        if not d:
            break
        out += d
    s.close()
    return bytes(out)


def best(what, lql):
    times, size = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        out = once(lql)
        times.append(time.perf_counter() - t)
        size = len(out)
    print(f"{what}: best {min(times) * 1000:.1f} ms, median {sorted(times)[len(times) // 2] * 1000:.1f} ms, {size / 1e6:.2f} MB")


def read_fixed16(f):
    header = f.read(16)
    length = int(header[4:].strip())
    return header[:3], f.read(length)


best("all services, 4 columns, json",
     "GET services\nColumns: host_name description state plugin_output\nOutputFormat: json")
best("Stats: 4 counts by state",
     "GET services\nStats: state = 0\nStats: state = 1\nStats: state = 2\nStats: state = 3\nOutputFormat: json")
best("a Thruk service page: 20 columns with host_ ones, problems first, 100 rows",
     "GET services\nColumns: host_name host_alias host_address host_state host_groups description display_name state "
     "state_type has_been_checked plugin_output last_check next_check last_state_change current_attempt "
     "max_check_attempts acknowledged scheduled_downtime_depth comments groups\nSort: state desc\nLimit: 100\n"
     "OutputFormat: json")
best("hostgroup overview: every group's host and service counts",
     "GET hostgroups\nColumns: name alias num_hosts num_hosts_up num_hosts_down num_services_ok num_services_warn "
     "num_services_crit num_services_unknown num_services_pending\nOutputFormat: json")
assert b"[]" not in once("GET hosts\nColumns: groups\nLimit: 1\nOutputFormat: json"), "no configuration at the broker"
best("one host's services by Filter: host_name =",
     "GET services\nColumns: description state\nFilter: host_name = host5000\nOutputFormat: json")

s = socket.create_connection((host, port))
f = s.makefile("rb")
n = 1000
t = time.perf_counter()
for i in range(n):
    s.sendall(b"GET status\nColumns: num_services\nOutputFormat: json\nResponseHeader: fixed16\nKeepAlive: on\n\n")
    code, _ = read_fixed16(f)
    assert code == b"200", code
print(f"{n} small queries on one KeepAlive connection: {n / (time.perf_counter() - t):.0f} queries/s")
s.close()

t = time.perf_counter()
for i in range(n):
    once("GET status\nColumns: num_services")
print(f"{n} connections of one small query: {n / (time.perf_counter() - t):.0f} queries/s")
