#!/usr/bin/env python3
"""Generate crates/rampart-geo/data/countries.tsv from the shared third-party data.

Inputs (read-only, never copied into the repo):
  $RAMPART_SHARED/geo/countries-50m.json
      Natural Earth 1:50m admin-0 countries (public domain) as TopoJSON, packaged by
      world-atlas 2.0.2. Its features carry only `name` and the ISO 3166-1 numeric id.
  $RAMPART_SHARED/misp/galaxy/clusters/country.json
      MISP galaxy "country" cluster (CC0 1.0; geonames.org-derived): ISO alpha-2, alpha-3
      and the English name of every country.

Output columns (tab-separated, one country a line, sorted by alpha-2):
  alpha2  alpha3  name  lat  lon  area_km2  neighbours  aliases
  - lat/lon: area-weighted centroid of the country's largest polygon (its mainland), so
    overseas territories do not pull it into the sea; empty when Natural Earth has no outline.
  - area_km2: spherical area of all the country's polygons (holes subtracted).
  - neighbours: comma-separated alpha-2 codes of countries whose outline shares at least one
    TopoJSON arc (a stretch of land border) with this one.
  - aliases: |-separated other names (MISP, Natural Earth and the identity-provider spellings
    in EXTRA_ALIASES).

Python 3 standard library only. Run from the repository root:
  python3 scripts/gen-countries.py            # writes the file
  python3 scripts/gen-countries.py --check    # exits 1 if the file is out of date
"""

import argparse
import json
import math
import os
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "crates" / "rampart-geo" / "data" / "countries.tsv"

# Authalic (equal-area) Earth radius, km: areas on the sphere come out right with it.
AUTHALIC_RADIUS_KM = 6371.0072

# MISP entries that are no longer ISO 3166-1 countries (transitionally reserved codes).
DROP_MISP = {"CS", "AN"}

# The English name we present, where MISP's differs from the one MaxMind (and so Okta) uses.
NAME_OVERRIDES = {"US": "United States"}

# Natural Earth features whose abbreviated names do not match a MISP name. The join is by
# name because world-atlas keeps only the numeric id, and nothing in ../shared maps numeric
# ids to alpha-2. Value None: the feature is left out (disputed area without an ISO code);
# a code: the feature's outline is counted as part of that country.
NE_NAME_TO_ISO = {
    "Antigua and Barb.": "AG",
    "Ashmore and Cartier Is.": "AU",  # Australian external territory, no own code
    "Bosnia and Herz.": "BA",
    "Br. Indian Ocean Ter.": "IO",
    "British Virgin Is.": "VG",
    "Cayman Is.": "KY",
    "Central African Rep.": "CF",
    "Congo": "CG",
    "Cook Is.": "CK",
    "Curaçao": "CW",
    "Côte d'Ivoire": "CI",
    "Dem. Rep. Congo": "CD",
    "Dominican Rep.": "DO",
    "Eq. Guinea": "GQ",
    "Faeroe Is.": "FO",
    "Falkland Is.": "FK",
    "Fr. Polynesia": "PF",
    "Fr. S. Antarctic Lands": "TF",
    "Heard I. and McDonald Is.": "HM",
    "Indian Ocean Ter.": None,  # Christmas Island and Cocos Islands drawn as one feature
    "Macedonia": "MK",
    "Marshall Is.": "MH",
    "N. Cyprus": "CY",  # ISO 3166-1 counts it as part of Cyprus
    "N. Mariana Is.": "MP",
    "Palestine": "PS",
    "Pitcairn Is.": "PN",
    "S. Geo. and the Is.": "GS",
    "S. Sudan": "SS",
    "Siachen Glacier": None,  # disputed between India and Pakistan
    "Solomon Is.": "SB",
    "Somaliland": "SO",  # ISO 3166-1 counts it as part of Somalia
    "St-Barthélemy": "BL",
    "St-Martin": "MF",
    "St. Kitts and Nevis": "KN",
    "St. Pierre and Miquelon": "PM",
    "St. Vin. and Gren.": "VC",
    "São Tomé and Principe": "ST",
    "Timor-Leste": "TL",
    "Turks and Caicos Is.": "TC",
    "U.S. Virgin Is.": "VI",
    "W. Sahara": "EH",
    "Wallis and Futuna Is.": "WF",
    "Åland": "AX",
}

# Spellings identity providers and geolocation databases use that neither source has:
# the MaxMind/geonames English names Okta passes through, ISO 3166-1 formal short names,
# and common abbreviations. Written from knowledge of those products; extend when a live
# record shows a new spelling (the generator refuses an alias that maps to two countries).
EXTRA_ALIASES = {
    "US": ["United States", "USA", "U.S.", "U.S.A.", "United States of America"],
    "GB": ["UK", "U.K.", "Great Britain", "Britain", "England", "Scotland", "Wales",
           "Northern Ireland",
           "United Kingdom of Great Britain and Northern Ireland"],
    "KR": ["Republic of Korea", "Korea, Republic of", "Korea (Republic of)"],
    "KP": ["Democratic People's Republic of Korea", "Korea, Democratic People's Republic of"],
    "RU": ["Russian Federation"],
    "CZ": ["Czech Republic"],
    "NL": ["The Netherlands", "Holland", "Netherlands (Kingdom of the)"],
    "TR": ["Türkiye", "Turkiye"],
    "VN": ["Viet Nam"],
    "IR": ["Iran, Islamic Republic of", "Islamic Republic of Iran"],
    "SY": ["Syrian Arab Republic"],
    "LA": ["Lao People's Democratic Republic", "Lao PDR"],
    "MD": ["Moldova, Republic of", "Republic of Moldova"],
    "TZ": ["Tanzania, United Republic of", "United Republic of Tanzania"],
    "BO": ["Bolivia, Plurinational State of", "Plurinational State of Bolivia"],
    "VE": ["Venezuela, Bolivarian Republic of", "Bolivarian Republic of Venezuela"],
    "TW": ["Taiwan, Province of China"],
    "MK": ["Macedonia", "Republic of North Macedonia"],
    "SZ": ["Swaziland"],
    "MM": ["Burma"],
    "CV": ["Cape Verde"],
    "TL": ["East Timor", "Timor-Leste"],
    "VA": ["Vatican City", "Holy See"],
    "BS": ["The Bahamas"],
    "GM": ["The Gambia"],
    "CI": ["Côte d'Ivoire", "Cote d'Ivoire"],
    "CD": ["DR Congo", "Congo-Kinshasa", "Congo, The Democratic Republic of the"],
    "CG": ["Congo Republic", "Congo-Brazzaville"],
    "IE": ["Republic of Ireland"],
    "AE": ["UAE"],
    "HK": ["Hong Kong SAR"],
    "MO": ["Macau", "Macao SAR"],
    "PS": ["Palestine", "State of Palestine", "Palestine, State of"],
    "FM": ["Micronesia, Federated States of", "Federated States of Micronesia"],
    "KN": ["St Kitts and Nevis"],
    "LC": ["St Lucia"],
    "VC": ["St Vincent and Grenadines"],
    "SH": ["St Helena"],
    "ST": ["São Tomé and Príncipe"],
    "RE": ["Réunion"],
    "CW": ["Curaçao"],
    "AX": ["Åland"],
    "BL": ["Saint Barthélemy"],
    "BQ": ["Bonaire, Sint Eustatius, and Saba", "Caribbean Netherlands"],
    "HM": ["Heard and McDonald Islands"],
    "UM": ["U.S. Outlying Islands", "U.S. Minor Outlying Islands"],
    "PN": ["Pitcairn Islands"],
    "CC": ["Cocos (Keeling) Islands"],
    "FK": ["Falkland Islands (Malvinas)"],
    "BN": ["Brunei Darussalam"],
}


def fold(text):
    """Case-, accent- and punctuation-insensitive key (the Rust side folds the same way)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    out = []
    for c in stripped:
        out.append(c if c.isascii() and c.isalnum() else " ")
    return " ".join("".join(out).split())


def decode_arcs(topo):
    """Absolute lon/lat points of every arc (TopoJSON quantized, delta-encoded)."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def arc_index(i):
    return i if i >= 0 else ~i


def ring_points(ring, arcs):
    points = []
    for i in ring:
        arc = arcs[arc_index(i)]
        if i < 0:
            arc = arc[::-1]
        # Consecutive arcs share their joining point.
        points.extend(arc if not points else arc[1:])
    return points


def polygons_of(geometry):
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def unwrapped_lons(points):
    """Longitudes made continuous (no 360° jumps), starting from the first point."""
    lons = [points[0][0]]
    for lon, _ in points[1:]:
        prev = lons[-1]
        d = lon - prev
        d -= 360.0 * round(d / 360.0)
        lons.append(prev + d)
    return lons


def ring_area_and_moments(points):
    """Spherical area (km²) of a closed ring, plus its centroid in Lambert cylindrical
    equal-area coordinates (x = lon, y = sin lat), whose area-weighted mean is the
    area-weighted mean position on the sphere."""
    if len(points) < 4:
        return 0.0, 0.0, 0.0
    lons = unwrapped_lons(points)
    ys = [math.sin(math.radians(lat)) for _, lat in points]
    # Shoelace formula in (lon radians, sin lat): exact area for an equal-area projection.
    a2 = 0.0
    cx = 0.0
    cy = 0.0
    for i in range(len(points) - 1):
        x0, y0 = math.radians(lons[i]), ys[i]
        x1, y1 = math.radians(lons[i + 1]), ys[i + 1]
        cross = x0 * y1 - x1 * y0
        a2 += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if a2 == 0.0:
        return 0.0, 0.0, 0.0
    cx /= 3.0 * a2
    cy /= 3.0 * a2
    area = abs(a2) / 2.0 * AUTHALIC_RADIUS_KM**2
    if max(lons) - min(lons) >= 359.0:
        # The ring goes all the way round a pole (Antarctica): a mean longitude means
        # nothing there, the pole itself is the centre.
        return area, 0.0, math.copysign(1.0, cy)
    return area, math.degrees(cx), cy


def polygon_area_centroid(polygon, arcs):
    outer = ring_points(polygon[0], arcs)
    area, cx, cy = ring_area_and_moments(outer)
    for hole in polygon[1:]:
        hole_area, _, _ = ring_area_and_moments(ring_points(hole, arcs))
        area -= hole_area
    lat = math.degrees(math.asin(max(-1.0, min(1.0, cy))))
    lon = (cx + 180.0) % 360.0 - 180.0
    return max(area, 0.0), lat, lon


def load_misp(shared):
    path = shared / "misp" / "galaxy" / "clusters" / "country.json"
    with open(path, encoding="utf-8") as f:
        cluster = json.load(f)
    countries = {}
    for value in cluster["values"]:
        meta = value["meta"]
        a2 = meta["ISO"].strip().upper()
        if a2 in DROP_MISP:
            continue
        a3 = meta["ISO3"].strip().upper()
        if len(a2) != 2 or len(a3) != 3:
            sys.exit(f"{path}: unexpected ISO codes {a2!r}/{a3!r} for {value['value']!r}")
        name = value["description"].strip()
        countries[a2] = {
            "a3": a3,
            "name": NAME_OVERRIDES.get(a2, name),
            "aliases": [name, value["value"].strip()],
        }
    return countries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the output is stale")
    parser.add_argument("--shared", default=os.environ.get("RAMPART_SHARED"),
                        help="the shared data directory (default: $RAMPART_SHARED or ../shared)")
    args = parser.parse_args()
    shared = Path(args.shared) if args.shared else REPO.parent / "shared"

    countries = load_misp(shared)
    by_fold = {}
    for a2, c in countries.items():
        for n in [c["name"], *c["aliases"]]:
            by_fold.setdefault(fold(n), a2)

    topo_path = shared / "geo" / "countries-50m.json"
    with open(topo_path, encoding="utf-8") as f:
        topo = json.load(f)
    arcs = decode_arcs(topo)

    polygons = defaultdict(list)  # a2 -> [(area, lat, lon)]
    arc_owners = defaultdict(set)  # arc index -> {a2}
    for geometry in topo["objects"]["countries"]["geometries"]:
        ne_name = geometry["properties"]["name"]
        if ne_name in NE_NAME_TO_ISO:
            a2 = NE_NAME_TO_ISO[ne_name]
        else:
            a2 = by_fold.get(fold(ne_name))
        if a2 is None:
            if ne_name not in NE_NAME_TO_ISO:
                sys.exit(f"{topo_path}: feature {ne_name!r} matches no country; "
                         "add it to NE_NAME_TO_ISO")
            continue
        if a2 not in countries:
            sys.exit(f"{topo_path}: feature {ne_name!r} maps to {a2}, unknown to MISP")
        countries[a2]["aliases"].append(ne_name)
        for polygon in polygons_of(geometry):
            polygons[a2].append(polygon_area_centroid(polygon, arcs))
            for ring in polygon:
                for i in ring:
                    arc_owners[arc_index(i)].add(a2)

    neighbours = defaultdict(set)
    for owners in arc_owners.values():
        for a in owners:
            neighbours[a].update(owners - {a})

    for a2, names in EXTRA_ALIASES.items():
        if a2 not in countries:
            sys.exit(f"EXTRA_ALIASES: unknown code {a2}")
        countries[a2]["aliases"].extend(names)

    # Every name, code and alias must lead to exactly one country.
    owner = {}
    for a2, c in countries.items():
        keys = {fold(a2), fold(c["a3"]), fold(c["name"])} | {fold(n) for n in c["aliases"]}
        for key in keys:
            if key in owner and owner[key] != a2:
                sys.exit(f"name {key!r} would map to both {owner[key]} and {a2}")
            owner[key] = a2

    lines = [
        "# Generated by scripts/gen-countries.py; do not edit. See data/README.md.",
        "# alpha2\talpha3\tname\tlat\tlon\tarea_km2\tneighbours\taliases",
    ]
    for a2 in sorted(countries):
        c = countries[a2]
        polys = polygons.get(a2, [])
        if polys:
            area = sum(p[0] for p in polys)
            _, lat, lon = max(polys, key=lambda p: p[0])
            lat_s, lon_s, area_s = f"{lat:.4f}", f"{lon:.4f}", f"{area:.0f}"
        else:
            lat_s = lon_s = area_s = ""
        seen = {fold(c["name"])}
        aliases = []
        for n in c["aliases"]:
            k = fold(n)
            if k and k not in seen:
                seen.add(k)
                aliases.append(n)
        for field in [c["name"], *aliases]:
            if "\t" in field or "|" in field or "\n" in field:
                sys.exit(f"{a2}: name {field!r} contains a separator")
        lines.append("\t".join([
            a2, c["a3"], c["name"], lat_s, lon_s, area_s,
            ",".join(sorted(neighbours.get(a2, ()))),
            "|".join(aliases),
        ]))
    text = "\n".join(lines) + "\n"

    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            sys.exit(f"{OUT.relative_to(REPO)} is out of date; run scripts/gen-countries.py")
        return
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}: {len(countries)} countries, "
          f"{sum(1 for c in countries if c in polygons)} with outlines")


if __name__ == "__main__":
    main()
