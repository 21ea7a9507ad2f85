//! The object grammar (`define host {…}` files) on any bytes.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let text = String::from_utf8_lossy(data).into_owned();
        let _ = vigia_config::grammar::parse(text);
    });
}
