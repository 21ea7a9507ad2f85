//! Part images: what the arbiter encodes is what a scheduler decodes, and anything else (a
//! byte changed anywhere, a truncated image, another format) is refused, never misread.
use proptest::prelude::*;
use vigia_proto::PartImage;

/// A configuration of `hosts` hosts (chains of `chain` by parents, so packs of that size), each
/// with `services` services applied through a hostgroup, and two schedulers.
fn text(hosts: usize, services: usize, chain: usize) -> String {
    let mut t = String::from(
        "define command {\n command_name c\n command_line /bin/true $ARG1$\n}\n\
         define contact {\n contact_name admin\n}\n\
         define scheduler {\n scheduler_name s1\n}\ndefine scheduler {\n scheduler_name s2\n}\n\
         define poller {\n poller_name p\n}\n\
         define hostgroup {\n hostgroup_name all\n}\n",
    );
    for h in 0..hosts {
        let parent = if h % chain == 0 {
            String::new()
        } else {
            format!(" parents h{}\n", h - 1)
        };
        t += &format!(
            "define host {{\n host_name h{h}\n check_command c!{h}\n max_check_attempts 2\n hostgroups all\n contacts admin\n{parent}}}\n"
        );
    }
    for s in 0..services {
        t += &format!(
            "define service {{\n hostgroup_name all\n service_description s{s}\n check_command c!x{s}\n max_check_attempts 3\n contacts admin\n}}\n"
        );
    }
    t
}

fn load(text: &str) -> vigia_config::Config {
    let dir = tempfile::tempdir().expect("tempdir");
    let main = dir.path().join("main.cfg");
    std::fs::write(&main, text).expect("write");
    vigia_config::load(&main).expect("valid configuration")
}

/// This file's number of cases, or `PROPTEST_CASES` (bench/fuzz/run.sh runs many more).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(24)))]

    #[test]
    fn every_part_round_trips_and_any_damage_is_refused(
        hosts in 1usize..40,
        services in 0usize..6,
        chain in 1usize..8,
        at in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let config = load(&text(hosts, services, chain));
        for part in &config.parts {
            let sub = vigia_config::part::part_config(&config, part);
            let image = PartImage::encode(&sub).expect("encodes");
            let back = PartImage::decode(&image.bytes).expect("decodes");
            prop_assert_eq!(&back.id, &image.id);
            prop_assert_eq!(&back.config.hosts, &sub.hosts);
            prop_assert_eq!(&back.config.services, &sub.services);
            prop_assert_eq!(&back.config.hostgroups, &sub.hostgroups);
            prop_assert_eq!(&back.config.commands, &sub.commands);
            prop_assert_eq!(&back.config.contacts, &sub.contacts);
            prop_assert_eq!(&back.config.parts, &sub.parts);
            // Encoding again gives the same bytes: the id names the content.
            let again = PartImage::encode(&back.config).expect("encodes");
            prop_assert_eq!(&again.bytes, &image.bytes);
            // One bit changed anywhere: refused.
            let mut damaged = image.bytes.to_vec();
            let i = at.index(damaged.len());
            damaged[i] ^= 1 << bit;
            prop_assert!(PartImage::decode(&damaged).is_err(), "bit {} of byte {} changed, still read", bit, i);
            // Cut anywhere: refused.
            prop_assert!(PartImage::decode(&image.bytes[..i]).is_err(), "cut at {}, still read", i);
        }
    }
}

#[test]
fn refusals_say_what_is_wrong() {
    let config = load(&text(4, 2, 2));
    let image = PartImage::encode(&vigia_config::part::part_config(&config, &config.parts[0])).expect("encodes");
    let mut format = image.bytes.to_vec();
    format[8..12].copy_from_slice(&7u32.to_le_bytes());
    let err = PartImage::decode(&format).expect_err("unknown format");
    assert!(err.contains("format 7 is not supported"), "{err}");
    let err = PartImage::decode(&image.bytes[..image.bytes.len() - 1]).expect_err("truncated");
    assert!(err.contains("truncated"), "{err}");
    let mut body = image.bytes.to_vec();
    let last = body.len() - 1;
    body[last] ^= 0x40;
    let err = PartImage::decode(&body).expect_err("corrupt");
    assert!(err.contains("corrupt"), "{err}");
    let err = PartImage::decode(b"{\"hosts\": []}").expect_err("JSON");
    assert!(err.contains("not a part image"), "{err}");
}
