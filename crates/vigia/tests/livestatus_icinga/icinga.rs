//! A real Icinga 2 (Debian's `icinga2-bin`) with a Livestatus listener on TCP, its
//! configuration and every data folder in a temporary directory, killed with its helpers when
//! the test ends.
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Where Debian's `icinga2-bin` puts it (a shell wrapper around the real binary).
pub const ICINGA2: &str = "/usr/sbin/icinga2";

pub struct Icinga {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Icinga {
    /// Writes `config` and starts `icinga2 daemon` on it. Fails, saying what to install, when
    /// Icinga is missing: a comparison with no reference must not pass.
    pub fn start(config: &str) -> Icinga {
        assert!(
            Path::new(ICINGA2).exists(),
            "{ICINGA2} is missing: this test compares Vigia's Livestatus with Icinga 2's. \
             Install it with `apt-get install icinga2-bin` (tools/test.sh does)"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for d in ["cache", "lib", "log", "spool", "run/icinga2/cmd"] {
            std::fs::create_dir_all(root.join("var").join(d).join("icinga2")).expect("icinga data folder");
        }
        std::fs::create_dir_all(root.join("var/run/icinga2/cmd")).expect("run folder");
        // The log table globs the archives folder and fails if it is missing.
        std::fs::create_dir_all(root.join("var/log/icinga2/compat/archives")).expect("compat log folder");
        let conf = root.join("icinga2.conf");
        std::fs::write(&conf, config).expect("icinga2.conf");
        let log = std::fs::File::create(root.join("icinga2.log")).expect("log");
        let err = log.try_clone().expect("log");
        let var = root.join("var");
        let child = Command::new(ICINGA2)
            .arg("daemon")
            .arg("-c")
            .arg(&conf)
            .arg(format!("-DLocalStateDir={}", var.display()))
            .arg(format!("-DSysconfDir={}", root.display()))
            .arg(format!("-DInitRunDir={}", var.join("run/icinga2").display()))
            .args(["-DRunAsUser=root", "-DRunAsGroup=root"])
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            // Its own process group: Icinga forks helpers, and all of them must go at the end
            // (a leftover listener with SO_REUSEPORT would answer the next run's queries).
            .process_group(0)
            .spawn()
            .expect("start icinga2");
        Icinga {
            dir,
            child: Some(child),
        }
    }

    /// Icinga's own log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("icinga2.log")).unwrap_or_default()
    }

    /// Panics with the log if Icinga has exited (a configuration error, most likely).
    pub fn check_running(&mut self) {
        if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
            panic!("icinga2 exited ({status}):\n{}", self.log());
        }
    }
}

impl Drop for Icinga {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // The whole process group: the daemon and the helpers it forked.
            unsafe {
                libc::kill(-(c.id() as i32), libc::SIGKILL);
            }
            let _ = c.wait();
        }
        if std::thread::panicking() {
            eprintln!("==== icinga2 ====\n{}", self.log());
        }
    }
}
