//! The output, perfdata and command-line parsers take whatever a plugin or a configuration gives
//! them: they must never panic.
use proptest::prelude::*;
use vigia_exec::{cmdline, output, perfdata, Range};

/// Text biased towards the characters the parsers care about.
fn plugin_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                Just("|".to_owned()),
                Just("\\|".to_owned()),
                Just("\n".to_owned()),
                Just("'".to_owned()),
                Just("''".to_owned()),
                Just("=".to_owned()),
                Just(";".to_owned()),
                Just(" ".to_owned()),
                Just("@".to_owned()),
                Just("~:".to_owned()),
                Just("U".to_owned()),
                Just("é".to_owned()),
                "[-+0-9.eE]{1,6}",
                "[a-zA-Z%/]{1,4}",
            ],
            0..40
        )
        .prop_map(|parts| parts.concat()),
    ]
}

/// This file's number of cases, or `PROPTEST_CASES` (bench/fuzz/run.sh runs many more).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    #[test]
    fn output_split_never_panics(text in plugin_text()) {
        let parts = output::split(&text);
        prop_assert!(!parts.output.contains('\n'));
        prop_assert!(!parts.perfdata.contains('\n'));
        let _ = perfdata::parse(&parts.perfdata);
    }

    #[test]
    fn perfdata_parse_never_panics(text in plugin_text()) {
        for m in perfdata::parse(&text) {
            prop_assert!(!m.label.is_empty());
            prop_assert!(m.value.is_none_or(f64::is_finite));
        }
    }

    #[test]
    fn range_parse_never_panics(text in plugin_text(), v in any::<f64>()) {
        if let Some(r) = Range::parse(&text) {
            let _ = r.alerts(v);
        }
    }

    #[test]
    fn command_lines_never_panic(text in plugin_text()) {
        if let Ok(cmdline::Invocation::Direct(words)) = cmdline::parse(&text) {
            prop_assert!(!words.is_empty());
        }
    }

    #[test]
    fn well_formed_metrics_round_trip(label in "[a-z][a-z _/]{0,10}", value in -1e9f64..1e9, warn in 0u32..1000) {
        let text = format!("'{}'={value}ms;{warn};;0;", label.replace('\'', "''"));
        let m = perfdata::parse(&text);
        prop_assert_eq!(m.len(), 1);
        prop_assert_eq!(&m[0].label, &label);
        prop_assert_eq!(m[0].value, Some(value));
        prop_assert_eq!(m[0].uom.as_str(), "ms");
        prop_assert_eq!(m[0].warn.as_ref().map(|w| w.raw.clone()), Some(warn.to_string()));
        prop_assert_eq!(m[0].crit.as_ref(), None);
        prop_assert_eq!(m[0].min, Some(0.0));
    }
}
