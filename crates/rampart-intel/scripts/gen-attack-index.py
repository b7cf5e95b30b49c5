#!/usr/bin/env python3
"""Builds the compact ATT&CK index that rampart-intel embeds (data/attack-index.json.gz)
from a MITRE ATT&CK Enterprise STIX 2.1 bundle.

Usage: scripts/gen-attack-index.py [BUNDLE] [OUT]
  BUNDLE defaults to ../../../shared/attack/enterprise-attack.json (the workspace's
  ../shared), OUT to data/attack-index.json.gz next to this script's crate.

Standard library only. The output is deterministic for a given bundle (sorted keys,
gzip mtime 0), so regenerating it without changes gives the same bytes.

What is kept (revoked and deprecated objects are left out):
  tactics      id (TA…), short name, name
  techniques   id (T…/T….…), name, tactic short names, description (citations and
               links removed, cut to 1,500 characters), procedure examples (the
               descriptions of "uses" relationships, with the group/software name and
               citations removed, cut to 400 characters)
  groups       id (G…), name, aliases, first sentence of the description, technique
               ids and software ids they use
  software     id (S…), name, aliases, malware|tool, technique ids
  campaigns    id (C…), name, aliases, attributed group ids
  mitigations  id (M…), name, short description, and per mitigated technique the
               relationship's text
"""
import gzip
import io
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CRATE = os.path.dirname(HERE)
DEFAULT_BUNDLE = os.path.normpath(
    os.path.join(CRATE, "..", "..", "..", "shared", "attack", "enterprise-attack.json")
)
DEFAULT_OUT = os.path.join(CRATE, "data", "attack-index.json.gz")

CITATION = re.compile(r"\(Citation:[^)]*\)")
ENTITY_LINK = re.compile(r"\[([^\]]*)\]\(https://attack\.mitre\.org/(software|groups|campaigns)/[^)]*\)")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
HTML = re.compile(r"<[^>]+>")
SPACES = re.compile(r"\s+")


def clean(text, drop_entities=False, limit=None):
    text = CITATION.sub("", text or "")
    if drop_entities:
        text = ENTITY_LINK.sub("", text)
    text = LINK.sub(r"\1", text)
    text = HTML.sub("", text)
    text = SPACES.sub(" ", text).strip()
    if limit and len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > 0 else limit]
    return text


def first_sentence(text):
    text = clean(text)
    m = re.search(r"(?<=[a-z0-9\)])\.\s", text)
    return text[: m.start() + 1] if m else text[:300]


def ext_id(obj):
    for ref in obj.get("external_references", []):
        if ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return ref["external_id"]
    return None


def live(obj):
    return not obj.get("revoked") and not obj.get("x_mitre_deprecated")


def main():
    bundle_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_BUNDLE
    out_path = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_OUT
    with open(bundle_path, encoding="utf-8") as f:
        bundle = json.load(f)
    objs = bundle["objects"]
    by_id = {o["id"]: o for o in objs}

    # The bundle carries no ATT&CK release number; its README (next to it) says where it
    # was built from.
    version = None
    readme = os.path.join(os.path.dirname(bundle_path), "README.md")
    if os.path.exists(readme):
        with open(readme, encoding="utf-8") as f:
            version = f.read().strip().splitlines()[0][:300]

    tactics = []
    for o in objs:
        if o["type"] == "x-mitre-tactic" and live(o):
            tactics.append({"id": ext_id(o), "short": o["x_mitre_shortname"], "name": o["name"]})
    tactics.sort(key=lambda t: t["id"])

    techniques = {}
    for o in objs:
        if o["type"] == "attack-pattern" and live(o):
            tid = ext_id(o)
            if not tid:
                continue
            techniques[o["id"]] = {
                "id": tid,
                "name": o["name"],
                "tactics": sorted(
                    p["phase_name"]
                    for p in o.get("kill_chain_phases", [])
                    if p.get("kill_chain_name") == "mitre-attack"
                ),
                "description": clean(o.get("description"), limit=1500),
                "procedures": [],
            }

    groups, software, campaigns, mitigations = {}, {}, {}, {}
    for o in objs:
        if not live(o):
            continue
        t = o["type"]
        if t == "intrusion-set":
            groups[o["id"]] = {
                "id": ext_id(o),
                "name": o["name"],
                "aliases": sorted(a for a in o.get("aliases", []) if a != o["name"]),
                "description": first_sentence(o.get("description")),
                "techniques": set(),
                "software": set(),
            }
        elif t in ("malware", "tool"):
            software[o["id"]] = {
                "id": ext_id(o),
                "name": o["name"],
                "type": t,
                "aliases": sorted(a for a in o.get("x_mitre_aliases", []) if a != o["name"]),
                "techniques": set(),
            }
        elif t == "campaign":
            campaigns[o["id"]] = {
                "id": ext_id(o),
                "name": o["name"],
                "aliases": sorted(a for a in o.get("aliases", []) if a != o["name"]),
                "groups": set(),
            }
        elif t == "course-of-action":
            mid = ext_id(o)
            if mid and mid.startswith("M"):
                mitigations[o["id"]] = {
                    "id": mid,
                    "name": o["name"],
                    "description": first_sentence(o.get("description")),
                    "mitigates": [],
                }

    seen_proc = set()
    for o in objs:
        if o["type"] != "relationship" or not live(o):
            continue
        src, dst, rt = o["source_ref"], o["target_ref"], o["relationship_type"]
        if rt == "uses" and dst in techniques:
            tech = techniques[dst]
            if src in groups:
                groups[src]["techniques"].add(tech["id"])
            elif src in software:
                software[src]["techniques"].add(tech["id"])
            elif src not in campaigns:
                continue
            text = clean(o.get("description"), drop_entities=True, limit=400)
            key = (dst, text.lower())
            if len(text) >= 20 and key not in seen_proc:
                seen_proc.add(key)
                tech["procedures"].append(text)
        elif rt == "uses" and src in groups and dst in software:
            groups[src]["software"].add(software[dst]["id"])
        elif rt == "attributed-to" and src in campaigns and dst in groups:
            campaigns[src]["groups"].add(groups[dst]["id"])
        elif rt == "mitigates" and src in mitigations and dst in techniques:
            mitigations[src]["mitigates"].append(
                [techniques[dst]["id"], clean(o.get("description"), limit=400)]
            )

    def finish(items, sets):
        out = []
        for item in items.values():
            for k in sets:
                item[k] = sorted(item[k])
            out.append(item)
        out.sort(key=lambda x: x["id"] or "")
        return out

    for t in techniques.values():
        t["procedures"].sort()
    for m in mitigations.values():
        m["mitigates"].sort()
    index = {
        "source": "MITRE ATT&CK Enterprise STIX 2.1 bundle (attack-index generated by scripts/gen-attack-index.py)",
        "attack_version": version,
        "tactics": tactics,
        "techniques": sorted(techniques.values(), key=lambda t: t["id"]),
        "groups": finish(groups, ["techniques", "software"]),
        "software": finish(software, ["techniques"]),
        "campaigns": finish(campaigns, ["groups"]),
        "mitigations": sorted(mitigations.values(), key=lambda m: m["id"]),
    }
    raw = json.dumps(index, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write(raw)
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "wb") as f:
        f.write(buf.getvalue())
    print(
        f"{out_path}: {len(index['techniques'])} techniques, "
        f"{sum(len(t['procedures']) for t in index['techniques'])} procedures, "
        f"{len(index['groups'])} groups, {len(index['software'])} software, "
        f"{len(index['mitigations'])} mitigations; {len(raw)} bytes json, {len(buf.getvalue())} gzipped"
    )


if __name__ == "__main__":
    main()
