#!/usr/bin/env python3
"""What TLS adds to a kill -9 fail-over (issue 13's target: at most 0.5 s).

usage: python3 bench/tls/failover.py [VIGIA] [ROUNDS]   (VIGIA: target/release/vigia)

The same cluster twice, on 127.0.41.1 with `vigia run`: one master and one spare scheduler,
20 hosts x 5 services checked every second (check_dummy), Livestatus on the broker. Once in
plain HTTP, once with mutual TLS on every link (certificates from `vigia certs`, Livestatus
over TLS too). Each round kills the master scheduler with SIGKILL and times until the broker
shows every service checked after the kill (polled every 20 ms), then starts a new cluster.
Prints each round and the medians.
"""
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

VIGIA = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/vigia")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
IP = "127.0.41.1"
LIVE = 16641
PORTS = {"arbiter": 7770, "scheduler": 7768, "poller": 7771, "reactionner": 7769, "broker": 7772, "receiver": 7773}


def config(etc, certs):
    os.makedirs(etc)
    tls = (f" use_ssl 1\n ca_cert {certs}/ca.pem\n server_cert {certs}/NAME.pem\n"
           f" server_key {certs}/NAME-key.pem\n client_auth 1\n") if certs else ""
    daemons = ""
    for role, port in PORTS.items():
        live = f" livestatus_port {LIVE}\n" + (" livestatus_tls 1\n" if certs else "") if role == "broker" else ""
        daemons += (f"define {role} {{\n {role}_name {role}-master\n address {IP}\n port {port}\n realm All\n"
                    f" manage_sub_realms 1\n{live}{tls.replace('NAME', role + '-master')}}}\n")
    daemons += (f"define scheduler {{\n scheduler_name scheduler-spare\n address {IP}\n port 7868\n realm All\n"
                f" spare 1\n{tls.replace('NAME', 'scheduler-spare')}}}\n")
    objects = ("define realm {\n realm_name All\n default 1\n}\n"
               "define timeperiod {\n timeperiod_name 24x7\n" +
               "".join(f" {d} 00:00-24:00\n" for d in
                       ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]) + "}\n"
               "define command {\n command_name ok\n command_line /usr/lib/nagios/plugins/check_dummy 0 fine\n}\n"
               "define host {\n name h\n check_command ok\n max_check_attempts 1\n check_interval 1\n"
               " retry_interval 1\n check_period 24x7\n register 0\n}\n"
               "define service {\n name s\n check_command ok\n max_check_attempts 1\n check_interval 1\n"
               " retry_interval 1\n check_period 24x7\n register 0\n}\n")
    for h in range(20):
        objects += f"define host {{\n use h\n host_name h{h}\n address 127.0.0.1\n}}\n"
        for s in range(5):
            objects += f"define service {{\n use s\n host_name h{h}\n service_description s{s}\n}}\n"
    with open(f"{etc}/vigia.cfg", "w") as f:
        f.write("cfg_file=daemons.cfg\ncfg_file=objects.cfg\ninterval_length=1\n"
                "max_host_check_spread=0\nmax_service_check_spread=0\n")
    with open(f"{etc}/daemons.cfg", "w") as f:
        f.write(daemons)
    with open(f"{etc}/objects.cfg", "w") as f:
        f.write(objects)


def livestatus(lql, certs):
    s = socket.create_connection((IP, LIVE), timeout=5)
    if certs:
        ctx = ssl.create_default_context(cafile=f"{certs}/ca.pem")
        ctx.load_cert_chain(f"{certs}/admin.pem", f"{certs}/admin-key.pem")
        s = ctx.wrap_socket(s, server_hostname=IP)
    s.sendall(lql.encode() + b"\n\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            return out.decode()
        out += d


def unchecked_since(t, certs):
    try:
        out = livestatus(f"GET services\nStats: last_check < {t}", certs)
        return int(out.strip())
    except (OSError, ValueError):
        return None


def round_(work, certs):
    etc, data = f"{work}/etc", f"{work}/data"
    config(etc, certs)
    run = subprocess.Popen([VIGIA, "run", etc, "--data", data], stdout=subprocess.DEVNULL,
                           stderr=open(f"{work}/run.log", "w"), start_new_session=True)
    try:
        end = time.time() + 60
        while unchecked_since(time.time() - 2, certs) != 0:
            if time.time() > end:
                raise SystemExit(f"no checks after 60 s: see {work}/run.log")
            time.sleep(0.2)
        time.sleep(2)
        pid = int(subprocess.check_output(["pgrep", "-g", str(run.pid), "-f", f"scheduler --listen {IP}:7768"])
                  .split()[0])
        killed = time.time()
        os.kill(pid, signal.SIGKILL)
        while unchecked_since(int(killed) + 1, certs) != 0:
            if time.time() > killed + 60:
                raise SystemExit("no fail-over within 60 s")
            time.sleep(0.02)
        return time.time() - killed
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        try:
            run.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()


def main():
    root = tempfile.mkdtemp(prefix="vigia-bench-tls-")
    certs = f"{root}/certs"
    subprocess.run([VIGIA, "certs", "init", certs], check=True, stdout=subprocess.DEVNULL)
    for name in [f"{r}-master" for r in PORTS] + ["scheduler-spare", "admin"]:
        subprocess.run([VIGIA, "certs", "issue", name, "--dir", certs, "--host", IP], check=True,
                       stdout=subprocess.DEVNULL)
    times = {"plain": [], "mutual TLS": []}
    for i in range(ROUNDS):
        for mode, c in (("plain", None), ("mutual TLS", certs)):
            t = round_(f"{root}/{mode.replace(' ', '-')}-{i}", c)
            times[mode].append(t)
            print(f"round {i + 1} {mode}: every service checked again {t:.2f} s after kill -9", flush=True)
    for mode, ts in times.items():
        print(f"{mode}: median {statistics.median(ts):.2f} s (min {min(ts):.2f}, max {max(ts):.2f})")
    print(f"TLS adds {statistics.median(times['mutual TLS']) - statistics.median(times['plain']):+.2f} s")


if __name__ == "__main__":
    main()
