//! Any text as a condition: the parser returns an AST or an error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = rampart_sigma::condition::parse(s);
    }
});
