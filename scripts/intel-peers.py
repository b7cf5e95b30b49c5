#!/usr/bin/env python3
"""Rampart's IOC extraction beside the Python peers, on the same reports, in one run.

    python3 -m venv .venv-peers
    .venv-peers/bin/pip install -r scripts/intel-peers-requirements.txt
    cargo build --release -p rampart
    .venv-peers/bin/python scripts/intel-peers.py ../shared/intel-dev

Reads every report under DIR (`.txt`, `.md`, `.html`, `.htm`; when DIR has `reports/`
folders, only the files in them), links them into one temporary folder, and runs
`rampart bench intel` over it and each peer that is installed (iocsearcher, ioc-finder,
iocextract; a missing one is skipped with the reason) over the same texts, read into memory
first, timing extraction only. Prints, per tool: reports/s and MB/s (UTF-8 bytes of the
texts), and IOC counts by type.

Accuracy:
- with `--labels DIR` (or label files beside the reports) holding `{"iocs": {type: [values]}}`
  per report (same stem, `.json`), micro precision, recall and F1 per tool against them;
- without labels (the case for `../shared/intel-dev`: TRAM and AnnoCTR label techniques, not
  IOCs) it says so and prints each peer's agreement with Rampart instead (the share of the
  peer's values Rampart also found, and of Rampart's the peer found): agreement, not accuracy.

Types compared: ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, cve. Values are
normalised alike (lower-case hosts and hashes, upper-case CVE ids, no trailing dot or slash).
Each peer gets its default options; iocextract has no domain or CVE type.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

TYPES = ["ipv4", "ipv6", "cidr", "domain", "url", "email", "md5", "sha1", "sha256", "cve"]
REPORT_EXT = (".txt", ".md", ".markdown", ".html", ".htm")


def find_reports(root):
    paths = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            if f.lower().endswith(REPORT_EXT):
                paths.append(os.path.join(d, f))
    in_reports = [p for p in paths if os.sep + "reports" + os.sep in p]
    return in_reports or paths


def norm(kind, v):
    v = v.strip()
    if kind in ("domain", "md5", "sha1", "sha256", "email", "ipv6"):
        v = v.lower().rstrip(".")
    elif kind == "cve":
        v = v.upper()
    elif kind == "url":
        m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#]*)(.*)$", v)
        if m:
            v = m.group(1).lower() + m.group(2).lower() + m.group(3)
        v = v.rstrip("/")
    return v


def hash_kind(v):
    return {32: "md5", 40: "sha1", 64: "sha256"}.get(len(v))


def peer_iocsearcher():
    from iocsearcher.searcher import Searcher

    s = Searcher()
    names = {"ip4": "ipv4", "ip6": "ipv6", "ip4Net": "cidr", "fqdn": "domain", "url": "url",
             "email": "email", "md5": "md5", "sha1": "sha1", "sha256": "sha256", "cve": "cve"}

    def run(text):
        out = defaultdict(set)
        for ioc in s.search_data(text):
            k = names.get(ioc.name)
            if k:
                out[k].add(norm(k, ioc.value))
        return out

    return run


def peer_ioc_finder():
    from ioc_finder import find_iocs

    names = {"ipv4s": "ipv4", "ipv6s": "ipv6", "ipv4_cidrs": "cidr", "domains": "domain",
             "urls": "url", "email_addresses": "email", "md5s": "md5", "sha1s": "sha1",
             "sha256s": "sha256", "cves": "cve"}

    def run(text):
        out = defaultdict(set)
        for key, values in find_iocs(text).items():
            k = names.get(key)
            if k:
                for v in values:
                    out[k].add(norm(k, v))
        return out

    return run


def peer_iocextract():
    import iocextract

    def run(text):
        out = defaultdict(set)
        for v in iocextract.extract_urls(text, refang=True):
            out["url"].add(norm("url", v))
        for v in iocextract.extract_ipv4s(text, refang=True):
            out["ipv4"].add(norm("ipv4", v))
        for v in iocextract.extract_ipv6s(text):
            out["ipv6"].add(norm("ipv6", v))
        for v in iocextract.extract_emails(text, refang=True):
            out["email"].add(norm("email", v))
        for v in iocextract.extract_hashes(text):
            k = hash_kind(v)
            if k:
                out[k].add(norm(k, v))
        return out

    return run


PEERS = [("iocsearcher", peer_iocsearcher), ("ioc-finder", peer_ioc_finder),
         ("iocextract", peer_iocextract)]


def load_labels(paths, labels_dir):
    labels = {}
    for p in paths:
        stem = os.path.splitext(os.path.basename(p))[0]
        candidates = []
        if labels_dir:
            candidates.append(os.path.join(labels_dir, stem + ".json"))
        candidates.append(os.path.join(os.path.dirname(os.path.dirname(p)), "labels", stem + ".json"))
        for c in candidates:
            if os.path.isfile(c):
                with open(c, encoding="utf-8") as f:
                    doc = json.load(f)
                if isinstance(doc.get("iocs"), dict):
                    labels[p] = {k: {norm(k, v) for v in vs} for k, vs in doc["iocs"].items()
                                 if k in TYPES}
                break
    return labels


def prf(found, truth):
    tp = fp = fn = 0
    for p, t in truth.items():
        f = found.get(p, {})
        for k in TYPES:
            fs, ts = f.get(k, set()), t.get(k, set())
            tp += len(fs & ts)
            fp += len(fs - ts)
            fn += len(ts - fs)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def run_rampart(binary, paths, root):
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "reports")
        os.mkdir(folder)
        names = {}
        for i, p in enumerate(paths):
            name = f"{i:05d}_{os.path.basename(p)}"
            os.symlink(os.path.abspath(p), os.path.join(folder, name))
            names[name] = p
        iocs_out = os.path.join(tmp, "iocs.ndjson")
        proc = subprocess.run([binary, "bench", "intel", folder, "--iocs-out", iocs_out],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            sys.exit(f"rampart bench intel failed: {proc.stderr.strip()}")
        last = proc.stdout.strip().splitlines()[-1]
        fields = dict(kv.split("=", 1) for kv in last.split()[1:])
        found = {}
        with open(iocs_out, encoding="utf-8") as f:
            for line in f:
                doc = json.loads(line)
                found[names[doc["file"]]] = {k: {norm(k, v) for v in vs}
                                             for k, vs in doc["iocs"].items() if k in TYPES}
        return last, fields, found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="a folder of reports (e.g. ../shared/intel-dev)")
    ap.add_argument("--rampart", default=None,
                    help="the rampart binary [default: target/release/rampart, then $CARGO_TARGET_DIR]")
    ap.add_argument("--labels", default=None, help="a folder of <stem>.json with an 'iocs' object")
    ap.add_argument("--max-reports", type=int, default=0, help="only the first N reports")
    args = ap.parse_args()

    binary = args.rampart
    if binary is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
        binary = os.path.join(target, "release", "rampart")
    if not os.path.isfile(binary):
        sys.exit(f"no rampart binary at {binary}: cargo build --release -p rampart, or --rampart PATH")

    paths = find_reports(args.dir)
    if args.max_reports:
        paths = paths[: args.max_reports]
    if not paths:
        sys.exit(f"no reports under {args.dir}")
    texts = {}
    for p in paths:
        with open(p, "rb") as f:
            texts[p] = f.read().decode("utf-8", errors="replace")
    mb = sum(len(t.encode("utf-8")) for t in texts.values()) / 1e6
    print(f"{len(paths)} reports, {mb:.2f} MB, from {args.dir}")

    results = {}
    last, fields, found = run_rampart(binary, paths, args.dir)
    seconds = float(fields["seconds"])
    results["rampart"] = (len(paths) / seconds, float(fields["mb"]) / seconds, found)
    print(f"  rampart: {last}")

    for name, make in PEERS:
        try:
            extract = make()
        except ImportError as e:
            print(f"  {name}: not installed ({e}); skipped")
            continue
        out = {}
        start = time.perf_counter()
        for p in paths:
            out[p] = extract(texts[p])
        s = max(time.perf_counter() - start, 1e-9)
        results[name] = (len(paths) / s, mb / s, out)
        print(f"  {name}: seconds={s:.3f}")

    print()
    print(f"{'tool':<12} {'reports/s':>10} {'MB/s':>8}  " + " ".join(f"{t:>7}" for t in TYPES))
    for name, (rps, mbps, out) in results.items():
        counts = Counter()
        for per in out.values():
            for k in TYPES:
                counts[k] += len(per.get(k, ()))
        print(f"{name:<12} {rps:>10.1f} {mbps:>8.2f}  " + " ".join(f"{counts[t]:>7}" for t in TYPES))
    fastest = max((v[1], k) for k, v in results.items() if k != "rampart") if len(results) > 1 else None
    if fastest:
        print(f"rampart MB/s ÷ fastest peer ({fastest[1]}): {results['rampart'][1] / fastest[0]:.1f}×")

    labels = load_labels(paths, args.labels)
    print()
    if labels:
        print(f"IOC accuracy on {len(labels)} labelled reports (micro, all types):")
        for name, (_, _, out) in results.items():
            p, r, f = prf(out, labels)
            print(f"  {name:<12} precision={p:.3f} recall={r:.3f} f1={f:.3f}")
    else:
        print("No IOC labels found (label files need an 'iocs' object; TRAM and AnnoCTR label "
              "techniques only): F1 not computed.")
        print("Agreement with Rampart instead (not accuracy): share of the peer's values Rampart "
              "also found / share of Rampart's values the peer found, over the types both report:")
        ours = results["rampart"][2]
        for name, (_, _, out) in results.items():
            if name == "rampart":
                continue
            both_types = {k for per in out.values() for k in per if per[k]}
            inter = peer_total = ours_total = 0
            for p in paths:
                for k in both_types:
                    a, b = out.get(p, {}).get(k, set()), ours.get(p, {}).get(k, set())
                    inter += len(a & b)
                    peer_total += len(a)
                    ours_total += len(b)
            print(f"  {name:<12} {inter / max(peer_total, 1):.3f} of its {peer_total} / "
                  f"{inter / max(ours_total, 1):.3f} of Rampart's {ours_total} "
                  f"(types: {', '.join(sorted(both_types))})")


if __name__ == "__main__":
    main()
