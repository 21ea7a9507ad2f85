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


def shows_result(tag):
    """Seconds from a passive result sent as a Livestatus COMMAND to the broker showing it
    (broker → receiver → scheduler → broks → broker)."""
    t = time.perf_counter()
    once(f"COMMAND [{int(time.time())}] PROCESS_SERVICE_CHECK_RESULT;host5000;svc0;1;{tag}")
    while tag.encode() not in once("GET services\nColumns: plugin_output\nFilter: host_name = host5000\n"
                                   "Filter: description = svc0"):
        time.sleep(0.005)
    return time.perf_counter() - t


def intake(what, n=10):
    times = sorted(shows_result(f"{what.split()[0]}-{i}-{time.time()}") for i in range(n))
    print(f"a passive result shown, {what}: median {times[n // 2] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms")


# A web UI with 50 users, each polling a service page and a hostgroup overview every 5 s:
# queries read a snapshot, so the broker's intake of broks must not slow down.
intake("idle")
import threading
stop = threading.Event()
done = [0]


def user(k):
    time.sleep(k * 0.1)
    while not stop.is_set():
        once("GET services\nColumns: host_name description state plugin_output last_check host_state\n"
             "Filter: state != 0\nSort: last_check desc\nLimit: 100\nOutputFormat: json")
        once("GET hostgroups\nColumns: name num_services_ok num_services_crit\nOutputFormat: json")
        done[0] += 2
        stop.wait(5)


users = [threading.Thread(target=user, args=(k,), daemon=True) for k in range(50)]
t0 = time.perf_counter()
for u in users:
    u.start()
time.sleep(6)
intake("50 users polling")
time.sleep(4)
print(f"  (the 50 users were answered {done[0] / (time.perf_counter() - t0):.1f} queries/s over "
      f"{time.perf_counter() - t0:.0f} s)")
stop.set()
