//! The receiver's check-result spool files on any bytes.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let (results, _) = vigia_daemons::receiver::spool::parse(&String::from_utf8_lossy(data));
        for r in results {
            assert!(!r.command(0).contains('\n'), "a spool result made two command lines");
        }
    });
}
