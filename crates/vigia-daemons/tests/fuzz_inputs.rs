//! Fuzzing, by structured random generation (proptest), of the daemons' readers of outside
//! input that the other property tests do not cover: the receiver's spool files and command
//! FIFO, the postcard messages between daemons (state stream, hand-over, broks), the web UI's
//! users file, forms and session cookies, and `cgi.cfg`. Each must take any input without a
//! panic, and what it accepts must make sense (a command line is one line; a cookie it did not
//! sign is refused).
//!
//! `PROPTEST_CASES` sets the cases per target (256 by default, as the test suite runs them);
//! `bash bench/fuzz/run.sh` runs every target for minutes. Failing inputs are kept by proptest in
//! `tests/fuzz_inputs.proptest-regressions` and replayed first.
use proptest::prelude::*;
use vigia_daemons::broker::web::{actions, auth};
use vigia_daemons::receiver::{fifo, spool};

/// Text as outside input writes it: printable, separators the parsers split on, line breaks,
/// and any character.
fn outside_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~\n\t]{0,400}",
        "([a-z_]{1,12}=[ -~]{0,30}\n){0,20}",
        ".{0,200}",
        "(\\[[0-9]{1,12}\\] [A-Z_]{3,30}(;[ -:<-~]{0,12}){0,8}\n){0,10}",
    ]
}

/// A valid spool file with random damage: a line dropped, doubled or cut.
fn spool_file() -> impl Strategy<Value = String> {
    let block = (
        "[a-z0-9.-]{0,12}",
        proptest::option::of("[a-z0-9 ]{0,12}"),
        "-?[0-9]{0,4}|x",
        "[ -~]{0,40}",
        "[0-9]{0,12}(\\.[0-9]{0,6})?",
    )
        .prop_map(|(host, service, code, output, time)| {
            let mut b = format!("host_name={host}\n");
            if let Some(s) = service {
                b += &format!("service_description={s}\n");
            }
            b += &format!("check_type=1\nreturn_code={code}\noutput={output}\nfinish_time={time}\n\n");
            b
        });
    (proptest::collection::vec(block, 0..6), any::<usize>(), 0usize..4).prop_map(|(blocks, at, damage)| {
        let text = format!(
            "### Active Check Result File ###\nfile_time=1800000000\n\n{}",
            blocks.concat()
        );
        let mut lines: Vec<&str> = text.lines().collect();
        if !lines.is_empty() {
            let i = at % lines.len();
            match damage {
                0 => {
                    lines.remove(i);
                }
                1 => lines.insert(i, lines[i]),
                2 => lines[i] = &lines[i][..lines[i].len() / 2],
                _ => {}
            }
        }
        lines.join("\n")
    })
}

/// Valid bytes of `encode`, then cut or with bytes changed.
fn damaged(bytes: Vec<u8>, cut: usize, flips: Vec<(usize, u8)>) -> Vec<u8> {
    let mut b = bytes;
    if !b.is_empty() {
        for (i, v) in flips {
            let n = b.len();
            b[i % n] ^= v;
        }
        let keep = cut % (b.len() + 1);
        b.truncate(keep);
    }
    b
}

fn a_brok_batch(lines: Vec<String>, seq: u64) -> vigia_proto::BrokBatch {
    vigia_proto::BrokBatch {
        running_id: "r".into(),
        generation: seq % 7,
        initial: seq.is_multiple_of(2),
        broks: lines
            .into_iter()
            .enumerate()
            .map(|(i, line)| vigia_engine::brok::Brok {
                version: vigia_engine::brok::BROK_VERSION,
                seq: seq.saturating_add(i as u64),
                time: 1_800_000_000,
                body: vigia_engine::brok::BrokBody::Log { line },
            })
            .collect(),
    }
}

proptest! {
    #[test]
    fn spool_files_never_panic_and_give_one_line_commands(text in prop_oneof![spool_file(), outside_text()]) {
        let (results, _problems) = spool::parse(&text);
        for r in results {
            prop_assert!(!r.host.is_empty());
            let command = r.command(1_800_000_000);
            prop_assert!(!command.contains('\n'), "{command:?}");
        }
    }

    #[test]
    fn the_command_fifo_splits_any_bytes_into_lines(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8)) {
        let mut splitter = fifo::LineSplitter::default();
        for chunk in &chunks {
            for line in splitter.push(chunk) {
                prop_assert!(!line.contains('\n'));
                prop_assert!(line.len() <= fifo::MAX_LINE);
            }
        }
    }

    #[test]
    fn postcard_messages_refuse_damage_without_panicking(
        lines in proptest::collection::vec("[ -~]{0,60}", 0..20),
        seq in any::<u64>(),
        cut in any::<usize>(),
        flips in proptest::collection::vec((any::<usize>(), 1u8..), 0..4),
        noise in proptest::collection::vec(any::<u8>(), 0..500),
    ) {
        let batch = a_brok_batch(lines, seq);
        let bytes = batch.encode().map_err(TestCaseError::fail)?;
        let back = vigia_proto::BrokBatch::decode(&bytes).map_err(TestCaseError::fail)?;
        prop_assert_eq!(&back.broks, &batch.broks);
        let _ = vigia_proto::BrokBatch::decode(&damaged(bytes, cut, flips.clone()));
        let _ = vigia_proto::BrokBatch::decode(&noise);
        let _ = vigia_proto::StandbySync::decode(&noise);
        let _ = vigia_proto::Handover::decode(&noise);
        let _ = vigia_proto::PartImage::decode(&noise);
    }

    #[test]
    fn the_users_file_reads_any_text(text in prop_oneof![outside_text(), "([a-z:]{0,10}:\\$argon2id\\$[ -~]{0,40}(:admin)?\n){0,6}"]) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("web-users");
        std::fs::write(&path, &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for u in auth::read_users(&path) {
            prop_assert!(!u.name.is_empty() && u.hash.starts_with("$argon2"));
        }
        prop_assert_eq!(auth::authenticate(Some(&path), &[], "nobody-here", "x"), None);
    }

    #[test]
    fn cgi_cfg_reads_any_text(text in outside_text()) {
        let mut diags = vigia_config::diag::Diagnostics::default();
        let access = vigia_config::cgi::parse(std::path::Path::new("cgi.cfg"), &text, &mut diags);
        prop_assert!(!diags.has_errors(), "cgi.cfg problems are warnings");
        prop_assert!(access.all_hosts.iter().all(|u| !u.is_empty() && !u.contains(',')));
    }

    #[test]
    fn action_forms_give_one_line_commands_or_say_why(body in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "((csrf|action|target|comment|sticky|minutes|code|output|kind)=[ -~%]{0,20}&){0,12}".prop_map(String::into_bytes),
    ]) {
        let form = actions::ActionForm::parse(&body);
        for target in &form.target {
            if let Ok(line) = actions::command_line(&form, target, "fuzz", 1_800_000_000) {
                prop_assert!(line.starts_with("[1800000000] "), "{line:?}");
                prop_assert!(!line.contains(['\n', '\r']), "{line:?}");
            }
        }
    }

    #[test]
    fn session_cookies_not_signed_here_are_refused(cookie in prop_oneof![
        ".{0,200}",
        "[0-9]{1,12}\\.[a-]\\.[0-9a-f]{0,40}\\.[0-9a-f]{0,64}",
    ]) {
        let sessions = auth::Sessions::new(Some("fuzz secret"), None).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(sessions.check(&cookie, 0), None);
        prop_assert!(!sessions.csrf_ok(&cookie, &cookie));
    }
}
