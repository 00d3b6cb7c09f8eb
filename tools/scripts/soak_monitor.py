#!/usr/bin/env python3
"""The soak's watcher and judge (tools/scripts/soak.sh starts and stops the processes).

  run     counts the agent's cycles from its status file (one cycle per service connection, each
          with a new Kmc), pulls the card every so often through the emulated card's control port
          and waits for the agent to recover, and samples RSS, open descriptors and threads of the
          agent and m2m-netsim from /proc at the start (after warm-up), at each quarter and at
          the end. Writes what it saw as JSON.
  report  adds the readings as the network stored them (m2m-netsim show --json), the sanitizer
          logs and the exit codes; prints the summary and the verdict (exit 0: pass, 1: fail).
"""

import argparse
import glob
import json
import os
import socket
import sys
import time

WARMUP_CYCLES = 20  # the first service connections: caches, arenas and quarantine fill up
STALL_S = 60  # no new cycle for this long: the agent is stuck
PULL_OUT_S = 0.6  # pcscd polls a vpcd reader every 400 ms: shorter absences go unseen
RECOVERY_S = 60
FD_SLACK = 2  # a TLS connection being replaced (old one closing, new one open) at a sample
THREAD_SLACK = 1
# Growth of RSS from the first quarter to the end, per 1000 cycles, above which the run fails.
RSS_GROWTH_KIB_PER_1000 = 512


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None  # not written yet, or caught between write and rename


def proc_sample(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()
    return {
        "rss_kib": int(fields["VmRSS"][0]),
        "vsz_kib": int(fields["VmSize"][0]),
        "threads": int(fields["Threads"][0]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def card_control(port, line):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(line.encode() + b"\n")
        reply = s.makefile().readline().strip()
    if reply != "ok":
        raise RuntimeError(f"card control '{line}': {reply}")


def counters(status):
    c = status["counters"]
    return {
        "connections": c["connections"],
        "registrations": c["registrations"],
        "refreshes": c["registration_refreshes"],
        "readings": status["content_instances"],
        "apdus": c["card"]["apdus"],
        "handshakes": c["tls_handshakes"],
        "http_requests": c["http_requests"],
        "secure_channel_setups": c["secure_channel_setups"],
    }


class Soak:
    def __init__(self, args):
        self.args = args
        self.samples = []
        self.pulls = []
        self.incomplete = []  # cycles without a reading or a registration/refresh
        self.last = None  # counters at the latest service connection
        self.pull_cycles = set()  # cycles during which the card was out or being recovered

    def status(self):
        return read_json(self.args.status)

    def check_alive(self):
        for name, pid in (("agent", self.args.agent), ("m2m-netsim", self.args.netsim)):
            if not alive(pid):
                raise RuntimeError(f"{name} (pid {pid}) exited during the soak")

    def sample(self, label, cycle, status):
        entry = {"label": label, "cycle": cycle, "time": time.time(), "counters": counters(status)}
        for name, pid in (("agent", self.args.agent), ("netsim", self.args.netsim)):
            entry[name] = proc_sample(pid)
        self.samples.append(entry)
        a, n = entry["agent"], entry["netsim"]
        print(f"[soak] {label:>5} cycle {cycle:>6}: agent RSS {a['rss_kib']} KiB, {a['fds']} fds, "
              f"{a['threads']} threads; m2m-netsim RSS {n['rss_kib']} KiB, {n['fds']} fds, "
              f"{n['threads']} threads", flush=True)

    def wait_for(self, what, predicate, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.check_alive()
            s = self.status()
            if s is not None and predicate(s):
                return s
            time.sleep(0.05)
        s = self.status() or {}
        raise RuntimeError(f"{what}: not within {timeout} s (state {s.get('state')}, "
                           f"last error {s.get('last_error_type')}: {s.get('last_error')})")

    def pull(self, cycle):
        before = counters(self.status())
        t0 = time.time()
        card_control(self.args.control_port, "remove")
        # The agent notices at its next card operation (a reading every 250 ms).
        noticed = self.wait_for(
            "the agent noticing the pulled card",
            lambda s: s["state"] == "backoff" and s.get("last_error_cause") == "card_lost",
            20)
        time.sleep(max(0.0, PULL_OUT_S - (time.time() - t0)))
        card_control(self.args.control_port, "insert")
        t1 = time.time()
        back = self.wait_for(
            "recovery after the card came back",
            lambda s: s["state"] == "registered" and s["content_instances"] > before["readings"]
            and s.get("last_error_recovered_at") is not None,
            RECOVERY_S)
        self.pulls.append({"cycle": cycle, "error": noticed.get("last_error_type"),
                           "out_s": round(t1 - t0, 3), "recovery_s": round(time.time() - t1, 3),
                           "readings_before": before["readings"],
                           "readings_after": back["content_instances"]})
        print(f"[soak] card pulled at cycle {cycle} ({noticed.get('last_error_type')}), "
              f"back in {time.time() - t1:.2f} s", flush=True)

    def note_cycle(self, cycle, now):
        """A service connection happened: did the cycle it closes do its work?"""
        if self.last is not None and cycle not in self.pull_cycles:
            readings = now["readings"] - self.last["readings"]
            registered = (now["registrations"] + now["refreshes"]
                          - self.last["registrations"] - self.last["refreshes"])
            if readings == 0 or registered == 0:
                self.incomplete.append({"cycle": cycle, "readings": readings,
                                        "registrations_or_refreshes": registered})
        self.last = now

    def run(self):
        status = self.wait_for("the agent registered after warm-up",
                               lambda s: s["state"] == "registered"
                               and s["counters"]["connections"] >= WARMUP_CYCLES, 120)
        base = counters(status)["connections"]
        self.last = counters(status)
        started = time.time()
        self.sample("start", 0, status)
        marks = [(self.args.cycles * q // 4, f"{25 * q}%") for q in (1, 2, 3)]
        next_pull = self.args.pull_every if self.args.pull_every > 0 else None
        cycle, progress_at = 0, time.time()
        while cycle < self.args.cycles:
            time.sleep(0.05)
            self.check_alive()
            status = self.status()
            if status is None:
                continue
            now = counters(status)
            reached = now["connections"] - base
            if reached == cycle:
                if time.time() - progress_at > STALL_S:
                    raise RuntimeError(f"no new cycle for {STALL_S} s at cycle {cycle} (state "
                                       f"{status['state']}, last error {status.get('last_error')})")
                continue
            progress_at = time.time()
            # Only a cycle whose start and end were both seen is judged on its own.
            if reached != cycle + 1:
                self.last = None
            cycle = min(reached, self.args.cycles)
            self.note_cycle(cycle, now)
            while marks and cycle >= marks[0][0] and cycle < self.args.cycles:
                self.sample(marks.pop(0)[1], cycle, status)
            if next_pull is not None and cycle >= next_pull and cycle < self.args.cycles:
                self.pull_cycles.update(range(cycle + 1, cycle + 3))
                self.pull(cycle)
                next_pull += self.args.pull_every
        self.sample("end", cycle, self.status())
        return {"cycles": cycle, "duration_s": time.time() - started, "samples": self.samples,
                "pulls": self.pulls, "incomplete_cycles": self.incomplete}


def command_run(args):
    soak = Soak(args)
    result = {"cycles_asked": args.cycles}
    code = 0
    try:
        result.update(soak.run())
    except (RuntimeError, OSError) as e:
        print(f"[soak] stopped: {e}", file=sys.stderr, flush=True)
        result.update({"error": str(e), "samples": soak.samples, "pulls": soak.pulls,
                       "incomplete_cycles": soak.incomplete})
        code = 1
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return code


def stored_readings(show):
    """The seq of every reading the network stored, in the order it stored them."""
    seqs = []
    for instance in show.get("content_instances", []):
        seqs.append(json.loads(instance["content"])["seq"])
    return seqs


def command_report(args):
    run = read_json(args.samples) or {}
    show = read_json(args.show) or {}
    final = read_json(args.status) or {}
    failures = []
    if args.monitor_exit != 0:
        failures.append(f"the run stopped early: {run.get('error', 'see the log')}")
    cycles = run.get("cycles", 0)
    if cycles < run.get("cycles_asked", 1):
        failures.append(f"{cycles} cycles of {run.get('cycles_asked')}")

    samples = run.get("samples", [])
    print("\n== soak summary")
    print(f"cycles: {cycles} (asked {run.get('cycles_asked')}), after a warm-up of "
          f"{WARMUP_CYCLES}; {run.get('duration_s', 0) / 60:.1f} min "
          f"({run.get('duration_s', 0) / max(cycles, 1):.2f} s a cycle); whole run "
          f"{(time.time() - args.started) / 60:.1f} min with build and set-up")
    print(f"{'sample':>6} {'cycle':>6} | {'agent RSS KiB':>13} {'fds':>4} {'thr':>4} | "
          f"{'netsim RSS KiB':>14} {'fds':>4} {'thr':>4} | {'APDUs':>8} {'handshakes':>10} "
          f"{'readings':>8}")
    for s in samples:
        a, n, c = s["agent"], s["netsim"], s["counters"]
        print(f"{s['label']:>6} {s['cycle']:>6} | {a['rss_kib']:>13} {a['fds']:>4} "
              f"{a['threads']:>4} | {n['rss_kib']:>14} {n['fds']:>4} {n['threads']:>4} | "
              f"{c['apdus']:>8} {c['handshakes']:>10} {c['readings']:>8}")

    if len(samples) >= 2:
        first, end = samples[0], samples[-1]
        # RSS from the first quarter on: the start still includes the allocator's warm-up.
        base = samples[1] if len(samples) > 2 else first
        span = max(end["cycle"] - base["cycle"], 1)
        for name in ("agent", "netsim"):
            fds = end[name]["fds"] - first[name]["fds"]
            threads = end[name]["threads"] - first[name]["threads"]
            growth = (end[name]["rss_kib"] - base[name]["rss_kib"]) * 1000 / span
            print(f"{name}: RSS {first[name]['rss_kib']} -> {end[name]['rss_kib']} KiB "
                  f"({growth:+.0f} KiB per 1000 cycles after the first quarter), fds "
                  f"{first[name]['fds']} -> {end[name]['fds']}, threads "
                  f"{first[name]['threads']} -> {end[name]['threads']}")
            if fds > FD_SLACK:
                failures.append(f"{name}: {fds} more open descriptors at the end")
            if threads > THREAD_SLACK:
                failures.append(f"{name}: {threads} more threads at the end")
            if growth > RSS_GROWTH_KIB_PER_1000 and end["cycle"] >= 1000:
                failures.append(f"{name}: RSS grows {growth:.0f} KiB per 1000 cycles")
        c0, c1 = first["counters"], end["counters"]
        print(f"during the cycles: {c1['connections'] - c0['connections']} service connections "
              f"(new Kmc), {c1['registrations'] - c0['registrations']} registrations, "
              f"{c1['refreshes'] - c0['refreshes']} registration refreshes, "
              f"{c1['readings'] - c0['readings']} readings, {c1['apdus'] - c0['apdus']} card "
              f"APDUs, {c1['handshakes'] - c0['handshakes']} TLS handshakes, "
              f"{c1['http_requests'] - c0['http_requests']} HTTP requests, "
              f"{c1['secure_channel_setups'] - c0['secure_channel_setups']} secure channel setups")

    pulls = run.get("pulls", [])
    if pulls:
        worst = max(p["recovery_s"] for p in pulls)
        errors = sorted({p["error"] for p in pulls})
        print(f"card pulls: {len(pulls)}, each noticed ({', '.join(errors)}) and recovered "
              f"(slowest {worst:.2f} s after re-insertion)")
    incomplete = run.get("incomplete_cycles", [])
    print(f"cycles without a reading or a registration refresh: {len(incomplete)}")
    if incomplete:
        failures.append(f"{len(incomplete)} cycles without a reading or a refresh, first "
                        f"{incomplete[0]}")

    seqs = stored_readings(show)
    expected = list(range(1, len(seqs) + 1))
    agent_count = final.get("content_instances")
    print(f"readings stored by the network: {len(seqs)}; counted by the agent: {agent_count}")
    if seqs != expected:
        duplicates = len(seqs) - len(set(seqs))
        missing = sorted(set(expected) - set(seqs))[:5]
        failures.append(f"readings not 1..{len(seqs)} once each in order ({duplicates} "
                        f"duplicates, missing e.g. {missing})")
    if agent_count != len(seqs):
        failures.append(f"the agent counted {agent_count} readings, the network stored "
                        f"{len(seqs)}")
    for endpoint, values in sorted(show.get("counters", {}).items()):
        print(f"m2m-netsim {endpoint}: " + ", ".join(f"{k} {v}" for k, v in sorted(values.items())))

    reports = [p for p in glob.glob(args.sanitizer_log + ".*") if os.path.getsize(p) > 0]
    print(f"sanitizer reports: {len(reports)}")
    for path in reports:
        with open(path, errors="replace") as f:
            head = "".join(f.readlines()[:12])
        print(f"--- {os.path.basename(path)}\n{head}")
        failures.append(f"sanitizer report {os.path.basename(path)}")
    print(f"exit codes after SIGTERM: agent {args.agent_exit}, m2m-netsim {args.netsim_exit}")
    if args.agent_exit != 0 or args.netsim_exit != 0:
        failures.append("a process did not exit cleanly")

    if failures:
        print("verdict: FAIL\n  " + "\n  ".join(failures))
        return 1
    print("verdict: PASS (no growth, no reading lost or doubled, no sanitizer report)")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--status", required=True)
    run.add_argument("--agent", type=int, required=True)
    run.add_argument("--netsim", type=int, required=True)
    run.add_argument("--cycles", type=int, required=True)
    run.add_argument("--pull-every", type=int, required=True)
    run.add_argument("--control-port", type=int, required=True)
    run.add_argument("--out", required=True)
    report = sub.add_parser("report")
    report.add_argument("--samples", required=True)
    report.add_argument("--show", required=True)
    report.add_argument("--status", required=True)
    report.add_argument("--sanitizer-log", required=True)
    report.add_argument("--agent-exit", type=int, required=True)
    report.add_argument("--netsim-exit", type=int, required=True)
    report.add_argument("--monitor-exit", type=int, required=True)
    report.add_argument("--started", type=float, required=True)
    args = parser.parse_args()
    return command_run(args) if args.command == "run" else command_report(args)


if __name__ == "__main__":
    sys.exit(main())
