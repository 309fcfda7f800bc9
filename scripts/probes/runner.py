"""Runs the probes: starts the `keyward serve` instances they need, runs each probe on its own
connection (several at a time), prints one line per probe and a summary per family."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from wire import Ended, Outcome, ProbeError

# The servers the probes run against: name -> extra arguments of `keyward serve`.
SERVERS = {
    "default": [],
    "ems-optional": ["--ems-optional"],
    "tls12": ["--tls1.2"],
    "legacy": ["--legacy-clients", "--ems-optional"],
    "no-etm": ["--no-etm"],
    # Servers of one probe each, whose log that probe reads.
    "log-ems": [],
    "log-sigalgs": ["--ems-optional"],
    "log-groups": ["--ems-optional"],
}


class Probe:
    """One case: a name, the family it belongs to, the server it runs against, the outcome
    the RFCs demand, and the function that plays it (it gets the server's address and an
    environment, and returns what it saw)."""

    def __init__(self, family, name, expect, run, server="default", rfc=""):
        self.family, self.name, self.expect, self.run = family, name, expect, run
        self.server, self.rfc = server, rfc

    @property
    def full_name(self):
        return "%s/%s" % (self.family, self.name)


class Env:
    """What probes share: the keyward binary, the work directory, the servers."""

    def __init__(self, keyward, work):
        self.keyward, self.work = keyward, work
        self.home = os.path.join(work, "home")
        self.servers = {}
        self.procs = []
        self.lock = threading.Lock()

    def start_server(self, name):
        args = [self.keyward, "serve", "--addr", "127.0.0.1:0"] + SERVERS[name]
        log = open(os.path.join(self.work, "serve-%s.log" % name), "wb")
        env = dict(os.environ, KEYWARD_HOME=self.home, RUST_LOG=os.environ.get("RUST_LOG", "info"))
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, env=env)
        self.procs.append(proc)
        deadline = time.time() + 60
        addr = None
        while time.time() < deadline:
            line = proc.stdout.readline().decode(errors="replace")
            if not line:
                break
            if "listening on" in line:
                host, port = line.strip().rsplit(" ", 1)[-1].rsplit(":", 1)
                addr = (host, int(port))
                break
        if addr is None:
            proc.kill()
            log.close()
            with open(os.path.join(self.work, "serve-%s.log" % name), "rb") as f:
                why = f.read().decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            self.servers[name] = "cannot start `keyward serve %s`: %s" % (
                " ".join(SERVERS[name]), why[0])
            return
        # Drain stdout so the server never blocks on a full pipe.
        threading.Thread(target=lambda: proc.stdout.read(), daemon=True).start()
        self.servers[name] = addr

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()

    def log_of(self, name):
        return os.path.join(self.work, "serve-%s.log" % name)

    def bundle(self):
        return os.path.join(self.home, "certs", "localhost.pem")


def run_one(env, probe):
    addr = env.servers.get(probe.server)
    if not isinstance(addr, tuple):
        return Outcome("error", note=addr or "no server %s" % probe.server)
    try:
        got = probe.run(addr, env)
    except Ended as ended:
        got = ended.outcome
    except ProbeError as err:
        got = Outcome("error", note=str(err))
    except Exception as err:  # a bug in the probe: report it as a failure, with where
        where = traceback.extract_tb(sys.exc_info()[2])[-1]
        got = Outcome("error", note="%s: %s (%s:%d)" % (type(err).__name__, err,
                                                        os.path.basename(where.filename), where.lineno))
    return got


def main(all_probes):
    parser = argparse.ArgumentParser(description="keyward TLS probe suite")
    parser.add_argument("keyward", help="path to the keyward binary")
    parser.add_argument("--family", action="append", default=[], help="run only this family")
    parser.add_argument("--probe", action="append", default=[],
                        help="run only this probe (FAMILY/NAME; a prefix selects several)")
    parser.add_argument("--list", action="store_true", help="list the probes and exit")
    parser.add_argument("-j", "--jobs", type=int, default=12, help="probes at a time")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()

    names = set()
    for probe in all_probes:
        if probe.full_name in names:
            sys.exit("error: two probes named %s" % probe.full_name)
        names.add(probe.full_name)
    probes = [p for p in all_probes
              if (not args.family or p.family in args.family)
              and (not args.probe or any(p.full_name.startswith(s) for s in args.probe))]
    if args.list:
        for p in probes:
            print("%s  expect %s  [%s]%s" % (p.full_name, p.expect, p.server,
                                             "  " + p.rfc if p.rfc else ""))
        return 0
    if not probes:
        sys.exit("error: no probe matches")
    keyward = os.path.abspath(args.keyward)
    if not (os.path.isfile(keyward) and os.access(keyward, os.X_OK)):
        sys.exit("error: %s is not an executable" % args.keyward)

    work = tempfile.mkdtemp(prefix="keyward-tls-probes.")
    env = Env(keyward, work)
    started = time.time()
    try:
        wanted = sorted({p.server for p in probes if p.server in SERVERS})
        # The first server creates the key store's keys; the others start once it has.
        env.start_server(wanted[0])
        with ThreadPoolExecutor(len(wanted)) as pool:
            list(pool.map(env.start_server, wanted[1:]))
        results = {}
        with ThreadPoolExecutor(args.jobs) as pool:
            futures = [(p, pool.submit(run_one, env, p)) for p in probes]
            for probe, future in futures:
                got = future.result()
                ok = got == probe.expect
                results[probe.full_name] = ok
                if ok:
                    print("PASS %s: %s" % (probe.full_name, got), flush=True)
                else:
                    print("FAIL %s: expected %s, got %s%s" % (
                        probe.full_name, probe.expect, got,
                        "  (" + probe.rfc + ")" if probe.rfc else ""), flush=True)
    finally:
        env.stop()
        if args.keep:
            print("work directory kept: %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    print("\nsummary per family:")
    families = []
    for p in probes:
        if p.family not in families:
            families.append(p.family)
    total_fail = 0
    for family in families:
        members = [p for p in probes if p.family == family]
        failed = sum(1 for p in members if not results[p.full_name])
        total_fail += failed
        print("  %-16s %4d probes, %4d passed, %4d failed" % (
            family, len(members), len(members) - failed, failed))
    print("total: %d probes, %d passed, %d failed (%.0f s)" % (
        len(probes), len(probes) - total_fail, total_fail, time.time() - started))
    return 1 if total_fail else 0
