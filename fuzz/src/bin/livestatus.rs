//! Livestatus requests on any bytes.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = vigia_livestatus::request::parse(&String::from_utf8_lossy(data));
    });
}
