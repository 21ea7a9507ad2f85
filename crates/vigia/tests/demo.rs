//! `vigia demo ha` end to end: one kill/return cycle of the master scheduler, figures as JSON, and
//! the spare running checks within 3 s of the kill. Own address 127.0.7.1.
use std::process::Command;

#[test]
fn demo_ha_fails_the_scheduler_over_within_3_s_and_back() {
    let out = Command::new(env!("CARGO_BIN_EXE_vigia"))
        .args(["demo", "ha", "--cycles", "1", "--json", "--address", "127.0.7.1"])
        .output()
        .expect("run vigia demo ha");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "vigia demo ha failed ({}):\n{stderr}", out.status);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    let cycles = report["cycles"].as_array().expect("cycles");
    assert_eq!(cycles.len(), 1, "{report}");
    let failover = report["failover"]["max_s"].as_f64().expect("failover.max_s");
    let failback = report["failback"]["max_s"].as_f64().expect("failback.max_s");
    assert!(
        failover > 0.0 && failover <= 3.0,
        "fail-over {failover} s (target ≤ 3 s)\n{stderr}"
    );
    assert!(failback > 0.0, "fail-back {failback} s\n{stderr}");
    let reason = cycles[0]["failover_reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("scheduler-spare takes over from scheduler-master"),
        "{reason}"
    );
    // Every daemon was stopped: nothing listens on the demo's address any more.
    for port in [7768, 7769, 7770, 7771, 7772, 7773, 7778] {
        assert!(
            std::net::TcpStream::connect(("127.0.7.1", port)).is_err(),
            "port {port} still open after the demo"
        );
    }
}
