#!/usr/bin/env python3
"""The scale benchmark's configuration, as a new Alignak user writes it.

usage: generate.py HOSTS SERVICES_PER_HOST SCHEDULERS OUT_DIR [--files N]
env:   IP (default 127.0.31.1): the loopback address of every daemon

Writes OUT_DIR/vigia.cfg, one file per daemon in OUT_DIR/arbiter/daemons/ (an arbiter,
SCHEDULERS master schedulers scheduler-master-K on port 7800+K each with a spare
scheduler-spare-K on port 7900+K, one poller, reactionner, broker and receiver on their
standard ports) and every object in ONE file, OUT_DIR/arbiter/objects/objects.cfg (with
--files N, the same objects spread over N files): hosts in hostgroups of 1,000 and in parent
chains of 50, SERVICES_PER_HOST passive services applied through the hostgroups. The writer is
bench/config/generate.py's Alignak layout (one generator for every benchmark); this is its CLI
for bench/scale. `vigia check-config OUT_DIR` validates the result.
"""
import argparse
import importlib.util
import os

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("config_generate", os.path.join(here, "..", "config", "generate.py"))
generate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(generate)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("hosts", type=int)
    p.add_argument("services_per_host", type=int)
    p.add_argument("schedulers", type=int)
    p.add_argument("out_dir")
    p.add_argument("--files", type=int, default=1, help="spread the objects over N files (default: one)")
    a = p.parse_args()
    generate.write_alignak(a.out_dir, a.hosts, a.services_per_host, a.schedulers, a.files,
                           os.environ.get("IP") or "127.0.31.1")


if __name__ == "__main__":
    main()
