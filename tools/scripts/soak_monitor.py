#!/usr/bin/env python3
"""The soak's watcher and judge (tools/scripts/soak.sh starts and stops the processes).

  run     counts the cycles of every agent from its status file (one cycle per service
          connection, each with a new Kmc) until their sum reaches --cycles; every --pull-every
          cycles pulls one card (the agents in turn) through its emulated card's control port and
          waits for that agent to recover while the others go on; samples RSS, open descriptors
          and threads of every agent and of m2m-netsim from /proc at the start (after warm-up), at
          each quarter and at the end. Writes what it saw as JSON.
  report  adds the readings as the network stored them (m2m-netsim show --json), the sanitizer
          logs and the exit codes; prints the summary and the verdict (exit 0: pass, 1: fail).

Growth is judged from the first-quarter sample to the end: before it, the allocator's caches and
AddressSanitizer's quarantine (16 MiB a process) are still filling. In the validation runs an
agent levelled off after about 100 of its cycles, m2m-netsim (24 workers' caches, every agent's
traffic) was still rising, more slowly each quarter, at 800; the first quarter of the full run is
625 cycles of each agent and 2500 of the network. A process fails if its RSS grew by more than
RSS_BASE_KIB + RSS_PER_1000_KIB per 1000 of its cycles (the network's cycles are all agents'), or
ends with more descriptors or threads than at the start beyond the slack of a connection being
replaced at the moment of a sample. A run whose first quarter comes before a process has settled
(AGENT_SETTLED_CYCLES, NETSIM_SETTLED_CYCLES) does not judge that process's RSS, and says so.
"""

import argparse
import glob
import json
import os
import socket
import sys
import threading
import time

WARMUP_CYCLES = 20  # per agent: caches, arenas and the quarantine fill up
STALL_S = 60  # an agent without a new cycle for this long (not pulled) is stuck
PULL_OUT_S = 0.6  # pcscd polls a vpcd reader every 400 ms: shorter absences go unseen
RECOVERY_S = 60
AGENT_FD_SLACK = 2  # its mId connection being replaced, a service connection open
NETSIM_FD_SLACK_PER_AGENT = 2  # the same, seen from the network's side
THREAD_SLACK = 1
RSS_BASE_KIB = 1024
RSS_PER_1000_KIB = 256
AGENT_SETTLED_CYCLES = 200
NETSIM_SETTLED_CYCLES = 1000
# The registration (2 s) is refreshed at half its lifetime, on a timer of its own: a cycle may
# hold none, the next then holds one.
MAX_CYCLES_WITHOUT_REFRESH = 1


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
        raise RuntimeError(f"card control '{line}' on port {port}: {reply}")


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


def rss_allowance(cycles):
    return RSS_BASE_KIB + RSS_PER_1000_KIB * cycles / 1000


class Agent:
    def __init__(self, index, spec):
        pid, status, port = spec.rsplit(":", 2)
        self.name = f"agent{index}"
        self.pid, self.status_path, self.control_port = int(pid), status, int(port)
        self.base = 0  # service connections at the start sample
        self.cycle = 0
        self.last = None  # counters at the latest service connection seen
        self.progress_at = time.time()
        self.pull_cycles = set()  # cycles during which its card was out or being recovered
        self.incomplete = []  # cycles without a reading, or too many in a row without a refresh
        self.without_refresh = 0  # judged cycles in a row without a registration or refresh

    def status(self):
        return read_json(self.status_path)

    def note(self, status):
        """Its cycle count from `status`; a cycle seen from start to end is judged on its own."""
        now = counters(status)
        reached = now["connections"] - self.base
        if reached == self.cycle:
            return
        self.progress_at = time.time()
        if reached != self.cycle + 1:
            self.last = None
        self.cycle = reached
        if self.last is not None and reached not in self.pull_cycles:
            readings = now["readings"] - self.last["readings"]
            registered = (now["registrations"] + now["refreshes"]
                          - self.last["registrations"] - self.last["refreshes"])
            self.without_refresh = 0 if registered > 0 else self.without_refresh + 1
            if readings == 0 or self.without_refresh > MAX_CYCLES_WITHOUT_REFRESH:
                self.incomplete.append({"agent": self.name, "cycle": reached,
                                        "readings": readings,
                                        "cycles_without_refresh": self.without_refresh})
        else:
            self.without_refresh = 0
        self.last = now


class Soak:
    def __init__(self, args):
        self.args = args
        self.agents = [Agent(i, spec) for i, spec in enumerate(args.agent)]
        self.samples = []
        self.pulls = []
        self.pulling = None  # (agent, thread) of the pull under way
        self.pull_error = None

    def total(self):
        return sum(a.cycle for a in self.agents)

    def check_alive(self):
        for a in self.agents:
            if not alive(a.pid):
                raise RuntimeError(f"{a.name} (pid {a.pid}) exited during the soak")
        if not alive(self.args.netsim):
            raise RuntimeError(f"m2m-netsim (pid {self.args.netsim}) exited during the soak")

    def sample(self, label):
        entry = {"label": label, "cycle": self.total(), "time": time.time(), "agents": []}
        for a in self.agents:
            status = a.status()
            entry["agents"].append({"name": a.name, "cycle": a.cycle,
                                    "counters": counters(status), **proc_sample(a.pid)})
        entry["netsim"] = proc_sample(self.args.netsim)
        self.samples.append(entry)
        n = entry["netsim"]
        parts = [f"{s['name']} {s['rss_kib']} KiB/{s['fds']} fds/{s['threads']} thr"
                 for s in entry["agents"]]
        print(f"[soak] {label:>5} cycle {entry['cycle']:>6}: " + "; ".join(parts) +
              f"; m2m-netsim {n['rss_kib']} KiB/{n['fds']} fds/{n['threads']} thr", flush=True)

    def wait_for(self, agent, what, predicate, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            s = agent.status()
            if s is not None and predicate(s):
                return s
            time.sleep(0.05)
        s = agent.status() or {}
        raise RuntimeError(f"{agent.name}: {what}: not within {timeout} s (state "
                           f"{s.get('state')}, last error {s.get('last_error_type')}: "
                           f"{s.get('last_error')})")

    def pull(self, agent, at_cycle):
        before = counters(agent.status())
        t0 = time.time()
        card_control(agent.control_port, "remove")
        # The agent notices at its next card operation (a reading every 250 ms).
        noticed = self.wait_for(
            agent, "noticing the pulled card",
            lambda s: s["state"] == "backoff" and s.get("last_error_cause") == "card_lost", 20)
        time.sleep(max(0.0, PULL_OUT_S - (time.time() - t0)))
        card_control(agent.control_port, "insert")
        t1 = time.time()
        back = self.wait_for(
            agent, "recovery after the card came back",
            lambda s: s["state"] == "registered" and s["content_instances"] > before["readings"]
            and s.get("last_error_recovered_at") is not None,
            RECOVERY_S)
        self.pulls.append({"agent": agent.name, "cycle": at_cycle,
                           "error": noticed.get("last_error_type"),
                           "out_s": round(t1 - t0, 3), "recovery_s": round(time.time() - t1, 3),
                           "readings_before": before["readings"],
                           "readings_after": back["content_instances"]})
        print(f"[soak] {agent.name}'s card pulled at cycle {at_cycle} "
              f"({noticed.get('last_error_type')}), back in {time.time() - t1:.2f} s", flush=True)

    def start_pull(self, agent, at_cycle):
        # Its next cycles are not judged on their own: the card was out for part of them.
        agent.pull_cycles.update(range(agent.cycle + 1, agent.cycle + 4))

        def work():
            try:
                self.pull(agent, at_cycle)
            except (RuntimeError, OSError) as e:
                self.pull_error = e
            agent.progress_at = time.time()

        thread = threading.Thread(target=work, daemon=True)
        self.pulling = (agent, thread)
        thread.start()

    def pull_done(self, wait=False):
        if self.pulling is None:
            return True
        agent, thread = self.pulling
        thread.join(timeout=None if wait else 0)
        if thread.is_alive():
            return False
        self.pulling = None
        if self.pull_error is not None:
            raise RuntimeError(str(self.pull_error))
        return True

    def run(self):
        for a in self.agents:
            status = self.wait_for(a, "registered after warm-up",
                                   lambda s: s["state"] == "registered"
                                   and s["counters"]["connections"] >= WARMUP_CYCLES, 180)
            self.check_alive()
            a.base = counters(status)["connections"]
            a.last = counters(status)
            a.progress_at = time.time()
        started = time.time()
        self.sample("start")
        goal = self.args.cycles
        marks = [(goal * q // 4, f"{25 * q}%") for q in (1, 2, 3)]
        next_pull = self.args.pull_every if self.args.pull_every > 0 else None
        pulls = 0
        while self.total() < goal:
            time.sleep(0.05)
            self.check_alive()
            self.pull_done()
            for a in self.agents:
                status = a.status()
                if status is not None:
                    a.note(status)
                pulled = self.pulling is not None and self.pulling[0] is a
                if not pulled and time.time() - a.progress_at > STALL_S:
                    s = status or {}
                    raise RuntimeError(f"{a.name}: no new cycle for {STALL_S} s at its cycle "
                                       f"{a.cycle} (state {s.get('state')}, last error "
                                       f"{s.get('last_error')})")
            total = self.total()
            while marks and total >= marks[0][0] and total < goal:
                self.sample(marks.pop(0)[1])
            if (next_pull is not None and total >= next_pull and total < goal
                    and self.pulling is None):
                self.start_pull(self.agents[pulls % len(self.agents)], total)
                pulls += 1
                next_pull += self.args.pull_every
        self.pull_done(wait=True)
        for a in self.agents:
            status = a.status()
            if status is not None:
                a.note(status)
        self.sample("end")
        return {"cycles": self.total(), "duration_s": time.time() - started}

    def result(self):
        return {"samples": self.samples, "pulls": self.pulls,
                "incomplete_cycles": [c for a in self.agents for c in a.incomplete],
                "agents": [{"name": a.name, "cycles": a.cycle} for a in self.agents]}


def command_run(args):
    soak = Soak(args)
    result = {"cycles_asked": args.cycles}
    code = 0
    try:
        result.update(soak.run())
    except (RuntimeError, OSError) as e:
        print(f"[soak] stopped: {e}", file=sys.stderr, flush=True)
        result.update({"error": str(e), "cycles": soak.total()})
        code = 1
    result.update(soak.result())
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return code


def stored_readings(show):
    """The seq of every reading the network stored, per node (lowercase hex), in stored order."""
    node_of_registration = {r["id"]: r["node_id"].lower() for r in show.get("registrations", [])}
    registration_of_application = {a["id"]: a["registration"]
                                   for a in show.get("applications", [])}
    node_of_container = {c["id"]: node_of_registration.get(
        registration_of_application.get(c["application"])) for c in show.get("containers", [])}
    seqs = {}
    for instance in show.get("content_instances", []):
        node = node_of_container.get(instance["container"])
        seqs.setdefault(node, []).append(json.loads(instance["content"])["seq"])
    return seqs


def judge_growth(name, first, base, end, settled_at, settled, cycles, fd_slack, failures,
                 unjudged):
    """settled_at: the process's cycles at the first quarter (judged from `settled` on);
    cycles: its cycles since then."""
    fds = end["fds"] - first["fds"]
    threads = end["threads"] - first["threads"]
    growth = end["rss_kib"] - base["rss_kib"]
    allowed = rss_allowance(cycles)
    judged = settled_at >= settled
    print(f"{name}: RSS {first['rss_kib']} -> {base['rss_kib']} (first quarter) -> "
          f"{end['rss_kib']} KiB ({growth:+d} KiB over its last {cycles} cycles, allowed "
          f"{allowed:.0f}{'' if judged else '; not judged'}), fds {first['fds']} -> "
          f"{end['fds']}, threads {first['threads']} -> {end['threads']}")
    if fds > fd_slack:
        failures.append(f"{name}: {fds} more open descriptors at the end")
    if threads > THREAD_SLACK:
        failures.append(f"{name}: {threads} more threads at the end")
    if not judged:
        unjudged.append(name)
    elif growth > allowed:
        failures.append(f"{name}: RSS grew {growth} KiB over {cycles} cycles (allowed "
                        f"{allowed:.0f})")


def command_report(args):
    run = read_json(args.samples) or {}
    show = read_json(args.show) or {}
    finals = [read_json(path) or {} for path in args.status]
    failures = []
    if args.monitor_exit != 0:
        failures.append(f"the run stopped early: {run.get('error', 'see the log')}")
    cycles = run.get("cycles", 0)
    if cycles < run.get("cycles_asked", 1):
        failures.append(f"{cycles} cycles of {run.get('cycles_asked')}")

    samples = run.get("samples", [])
    duration = run.get("duration_s", 0)
    print("\n== soak summary")
    print(f"cycles: {cycles} (asked {run.get('cycles_asked')}) by {len(finals)} agent(s) "
          f"({', '.join(str(a['cycles']) for a in run.get('agents', []))}), after a warm-up "
          f"of {WARMUP_CYCLES} each; {duration / 60:.1f} min ({duration / max(cycles, 1):.2f} s "
          f"a cycle in all); whole run {(time.time() - args.started) / 60:.1f} min with "
          f"set-up and warm-up")
    print(f"{'sample':>6} {'cycle':>6} {'process':>8} {'cycles':>6} | {'RSS KiB':>8} "
          f"{'fds':>4} {'thr':>4} | {'APDUs':>8} {'handshakes':>10} {'readings':>8}")
    for s in samples:
        for a in s["agents"]:
            c = a["counters"]
            print(f"{s['label']:>6} {s['cycle']:>6} {a['name']:>8} {a['cycle']:>6} | "
                  f"{a['rss_kib']:>8} {a['fds']:>4} {a['threads']:>4} | {c['apdus']:>8} "
                  f"{c['handshakes']:>10} {c['readings']:>8}")
        n = s["netsim"]
        print(f"{s['label']:>6} {s['cycle']:>6} {'netsim':>8} {s['cycle']:>6} | "
              f"{n['rss_kib']:>8} {n['fds']:>4} {n['threads']:>4} |")

    unjudged = []
    if len(samples) >= 2:
        first, end = samples[0], samples[-1]
        base = samples[1] if len(samples) > 2 else first
        for i, a_end in enumerate(end["agents"]):
            a_base = base["agents"][i]
            judge_growth(a_end["name"], first["agents"][i], a_base, a_end,
                         WARMUP_CYCLES + a_base["cycle"], AGENT_SETTLED_CYCLES,
                         a_end["cycle"] - a_base["cycle"], AGENT_FD_SLACK, failures, unjudged)
        judge_growth("m2m-netsim", first["netsim"], base["netsim"], end["netsim"],
                     WARMUP_CYCLES * len(end["agents"]) + base["cycle"], NETSIM_SETTLED_CYCLES,
                     end["cycle"] - base["cycle"],
                     NETSIM_FD_SLACK_PER_AGENT * len(end["agents"]), failures, unjudged)
        keys = ("connections", "registrations", "refreshes", "readings", "apdus", "handshakes",
                "http_requests", "secure_channel_setups")
        delta = {k: sum(e["counters"][k] - f["counters"][k]
                        for f, e in zip(first["agents"], end["agents"])) for k in keys}
        print(f"during the cycles, all agents: {delta['connections']} service connections (new "
              f"Kmc), {delta['registrations']} registrations, {delta['refreshes']} registration "
              f"refreshes, {delta['readings']} readings, {delta['apdus']} card APDUs, "
              f"{delta['handshakes']} TLS handshakes, {delta['http_requests']} HTTP requests, "
              f"{delta['secure_channel_setups']} secure channel setups")
    else:
        failures.append("fewer than two samples: nothing to compare")

    pulls = run.get("pulls", [])
    if pulls:
        worst = max(p["recovery_s"] for p in pulls)
        errors = sorted({str(p["error"]) for p in pulls})
        print(f"card pulls: {len(pulls)} ({', '.join(sorted({p['agent'] for p in pulls}))}), "
              f"each noticed ({', '.join(errors)}) and recovered (slowest {worst:.2f} s after "
              f"re-insertion)")
    incomplete = run.get("incomplete_cycles", [])
    print(f"cycles without a reading, or a second in a row without a registration refresh: "
          f"{len(incomplete)}")
    if incomplete:
        failures.append(f"{len(incomplete)} cycles without a reading or a refresh, first "
                        f"{incomplete[0]}")

    stored = stored_readings(show)
    for i, final in enumerate(finals):
        node = str(final.get("node_id", "")).lower()
        seqs = stored.pop(node, [])
        expected = list(range(1, len(seqs) + 1))
        count = final.get("content_instances")
        print(f"agent{i} (node {node}): {len(seqs)} readings stored by the network, {count} "
              f"counted by the agent")
        if seqs != expected:
            duplicates = len(seqs) - len(set(seqs))
            missing = sorted(set(expected) - set(seqs))[:5]
            failures.append(f"agent{i}: readings not 1..{len(seqs)} once each in order "
                            f"({duplicates} duplicates, missing e.g. {missing})")
        if count != len(seqs) or not seqs:
            failures.append(f"agent{i}: counted {count} readings, the network stored {len(seqs)}")
    if stored:
        failures.append(f"readings of nodes no agent ran: {sorted(map(str, stored))}")
    for endpoint, values in sorted(show.get("counters", {}).items()):
        print(f"m2m-netsim {endpoint}: " + ", ".join(f"{k} {v}" for k, v in sorted(values.items())))

    reports = [p for p in glob.glob(args.sanitizer_log + ".*") if os.path.getsize(p) > 0]
    print(f"sanitizer reports: {len(reports)}")
    for path in reports:
        with open(path, errors="replace") as f:
            head = "".join(f.readlines()[:12])
        print(f"--- {os.path.basename(path)}\n{head}")
        failures.append(f"sanitizer report {os.path.basename(path)}")
    print(f"exit codes after SIGTERM: agents {args.agent_exit}, m2m-netsim {args.netsim_exit}")
    if any(args.agent_exit) or args.netsim_exit != 0:
        failures.append("a process did not exit cleanly")

    if failures:
        print("verdict: FAIL\n  " + "\n  ".join(failures))
        return 1
    if unjudged:
        print(f"verdict: PASS, but RSS not judged for {', '.join(unjudged)}: the first quarter "
              f"came before it had settled (agents {AGENT_SETTLED_CYCLES} cycles, m2m-netsim "
              f"{NETSIM_SETTLED_CYCLES}; a run too short to judge growth); no descriptor or "
              f"thread growth, no reading lost or doubled, every pulled card recovered, no "
              f"sanitizer report")
        return 0
    print("verdict: PASS (no growth, no reading lost or doubled, every pulled card recovered, no "
          "sanitizer report)")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--agent", action="append", required=True, metavar="PID:STATUS:CONTROL_PORT")
    run.add_argument("--netsim", type=int, required=True)
    run.add_argument("--cycles", type=int, required=True)
    run.add_argument("--pull-every", type=int, required=True)
    run.add_argument("--out", required=True)
    report = sub.add_parser("report")
    report.add_argument("--samples", required=True)
    report.add_argument("--show", required=True)
    report.add_argument("--status", action="append", required=True)
    report.add_argument("--sanitizer-log", required=True)
    report.add_argument("--agent-exit", type=int, action="append", required=True)
    report.add_argument("--netsim-exit", type=int, required=True)
    report.add_argument("--monitor-exit", type=int, required=True)
    report.add_argument("--started", type=float, required=True)
    args = parser.parse_args()
    return command_run(args) if args.command == "run" else command_report(args)


if __name__ == "__main__":
    sys.exit(main())
