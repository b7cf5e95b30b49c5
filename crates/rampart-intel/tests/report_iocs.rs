//! The report IOC extractor over the labelled development reports in `../shared/intel-dev`
//! (TRAM and AnnoCTR): it runs over every text, never returns the publisher's own links,
//! and prints what it found per type (there is no IOC ground truth in these sets).

use std::collections::BTreeMap;

use rampart_intel::report::{ExtractOptions, IocKind, extract};

#[test]
fn extracts_over_the_dev_reports() {
    let Some(dir) = rampart_testkit::shared("intel-dev") else {
        return;
    };
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut dropped: BTreeMap<String, usize> = BTreeMap::new();
    let mut docs = 0;
    let mut bytes = 0;
    let show = std::env::var("RAMPART_SHOW_IOCS").is_ok();
    for part in ["tram", "annoctr"] {
        let mut paths: Vec<_> = std::fs::read_dir(dir.join(part).join("reports"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            docs += 1;
            bytes += text.len();
            // TRAM texts name their own address on a `url:` line.
            let publisher: Vec<String> = text
                .lines()
                .find_map(|l| l.strip_prefix("url: "))
                .and_then(|u| u.split('/').nth(2))
                .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
                .into_iter()
                .collect();
            let x = extract(
                &text,
                &ExtractOptions {
                    publisher_domains: &publisher,
                    ..ExtractOptions::default()
                },
            );
            for ioc in &x.iocs {
                *per_kind.entry(ioc.kind.as_str()).or_default() += 1;
                assert_eq!(&text[ioc.start..ioc.end], ioc.raw);
                assert!(ioc.context.contains(&ioc.raw), "{ioc:?}");
                if let Some(p) = publisher.first() {
                    let host = ioc.value.split('/').nth(2).unwrap_or(&ioc.value);
                    assert!(
                        !(host == p || host.ends_with(&format!(".{p}"))),
                        "{}: publisher link {ioc:?}",
                        path.display()
                    );
                }
                if show && matches!(ioc.kind, IocKind::Domain | IocKind::Ipv4 | IocKind::Email) {
                    println!("{} {} {:?}", ioc.kind.as_str(), ioc.value, ioc.raw);
                }
            }
            for d in &x.dropped {
                let reason = d.reason.split(" (").next().unwrap_or(&d.reason).to_owned();
                *dropped.entry(reason).or_default() += 1;
                if show {
                    println!("DROP {} {} {}", d.kind.as_str(), d.value, d.reason);
                }
            }
        }
    }
    println!("intel-dev: {docs} reports, {bytes} bytes");
    println!("extracted per type: {per_kind:?}");
    println!("dropped per reason: {dropped:?}");
    assert!(docs > 200);
    assert!(per_kind.get("sha256").copied().unwrap_or(0) > 0);
}

/// The whole analysis runs over every development report (real, messy text: non-ASCII,
/// flattened tables) and gives the summary's headings.
#[test]
fn analyzes_every_dev_report() {
    let Some(dir) = rampart_testkit::shared("intel-dev") else {
        return;
    };
    let analyzer = rampart_intel::report::Analyzer::new().unwrap();
    let mut n = 0;
    for part in ["tram", "annoctr"] {
        for entry in std::fs::read_dir(dir.join(part).join("reports")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            let a = analyzer.analyze(&text, &rampart_intel::report::AnalyzeOptions::default());
            let md = a.to_markdown();
            assert!(md.starts_with("# Threat Actor: ") && md.contains("\n## Mitigations\n"));
            n += 1;
        }
    }
    println!("analysed {n} reports");
    assert!(n > 200);
}
