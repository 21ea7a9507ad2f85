//! External command lines (the receivers' FIFO, HTTP and Livestatus `COMMAND`s) on any bytes.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        for line in String::from_utf8_lossy(data).lines() {
            let _ = vigia_engine::external::parse(line);
        }
    });
}
