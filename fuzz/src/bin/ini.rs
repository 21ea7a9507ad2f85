//! `alignak.ini` on any bytes.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = vigia_config::ini::IniFile::parse(&String::from_utf8_lossy(data));
    });
}
