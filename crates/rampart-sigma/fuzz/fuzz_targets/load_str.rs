//! Any text as a rule file: loading never panics, and every loaded rule evaluates (through
//! `Rule::matches` and a `RuleSet`) on a few events without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sigma::{CompileOptions, RuleSet, load_str};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let loaded = load_str(src, None, &CompileOptions::default());
    let events = [
        serde_json::json!({"Image": "C:\\Windows\\cmd.exe", "CommandLine": "cmd /c whoami", "EventID": 1}),
        serde_json::json!({"a": {"b": [1, "x", null]}, "": ""}),
    ];
    for r in &loaded.rules {
        for e in &events {
            let _ = r.matches(e);
        }
    }
    let set = RuleSet::new(loaded.rules);
    for e in &events {
        let _ = set.matching(e);
    }
});
