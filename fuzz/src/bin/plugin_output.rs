//! Plugin output: the first line, long output and perfdata, then each metric and threshold.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let text = String::from_utf8_lossy(data);
        let parts = vigia_exec::output::split(&text);
        for m in vigia_exec::perfdata::parse(&parts.perfdata) {
            if let (Some(v), Some(t)) = (m.value, m.warn.and_then(|w| w.range)) {
                let _ = t.alerts(v);
            }
        }
    });
}
