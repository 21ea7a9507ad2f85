//! The binary messages between daemons: broks, the state stream, hand-overs, part images.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = vigia_proto::BrokBatch::decode(data);
        let _ = vigia_proto::StandbySync::decode(data);
        let _ = vigia_proto::Handover::decode(data);
        let _ = vigia_proto::PartImage::decode(data);
    });
}
