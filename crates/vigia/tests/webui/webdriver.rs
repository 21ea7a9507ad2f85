//! A small W3C WebDriver client over Debian's chromedriver and headless Chromium: the browser
//! the web UI tests drive (clicks, typing, forms, screenshots), with no driver crate.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
    _profile: tempfile::TempDir,
}

#[derive(Clone, Debug)]
pub struct Element(String);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium (a fresh profile).
    pub fn start() -> Browser {
        assert!(
            Path::new("/usr/bin/chromedriver").exists() && Path::new("/usr/bin/chromium").exists(),
            "the web UI tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver (tools/test.sh does)"
        );
        let port = free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let start = Instant::now();
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(start.elapsed() < Duration::from_secs(30), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().expect("profile");
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000", format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let answer: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .and_then(|r| r.json())
            .expect("a WebDriver session");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_string();
        Browser {
            driver,
            base,
            session,
            http,
            _profile: profile,
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, &url);
        if let Some(b) = body {
            request = request.json(&b);
        }
        let answer: Value = request
            .send()
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        answer["value"].clone()
    }

    fn ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let v = self.call(method, path, body);
        match v.get("error") {
            Some(e) => Err(format!("{e}: {}", v["message"])),
            None => Ok(v),
        }
    }

    pub fn goto(&self, url: &str) {
        self.ok(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    pub fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn title(&self) -> String {
        self.call(reqwest::Method::GET, "/title", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn find(&self, css: &str) -> Option<Element> {
        let v = self
            .ok(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .ok()?;
        v.get(ELEMENT).and_then(Value::as_str).map(|id| Element(id.to_string()))
    }

    pub fn find_all(&self, css: &str) -> Vec<Element> {
        self.ok(
            reqwest::Method::POST,
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.get(ELEMENT).and_then(Value::as_str).map(|id| Element(id.to_string())))
        .collect()
    }

    /// Waits (up to `deadline`) for an element.
    pub fn wait(&self, css: &str, deadline: Duration) -> Element {
        let start = Instant::now();
        loop {
            if let Some(e) = self.find(css) {
                return e;
            }
            assert!(
                start.elapsed() < deadline,
                "no {css} after {deadline:?} on {}:\n{}",
                self.url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `cond` holds on the page as it is (the page is not reloaded).
    pub fn wait_until(&self, what: &str, deadline: Duration, cond: impl Fn(&Browser) -> bool) {
        let start = Instant::now();
        while !cond(self) {
            assert!(
                start.elapsed() < deadline,
                "timed out after {deadline:?} waiting for {what} on {}:\n{}",
                self.url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub fn text(&self, e: &Element) -> String {
        self.call(reqwest::Method::GET, &format!("/element/{}/text", e.0), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The visible text of the first element matching `css` ("" when there is none), read in
    /// one step (the live refresh may replace an element between a find and a read).
    pub fn text_of(&self, css: &str) -> String {
        let script = format!(
            "const e = document.querySelector({}); return e ? e.innerText : '';",
            serde_json::Value::String(css.to_string())
        );
        self.script(&script).as_str().unwrap_or("").to_string()
    }

    pub fn click(&self, e: &Element) {
        self.ok(
            reqwest::Method::POST,
            &format!("/element/{}/click", e.0),
            Some(json!({})),
        )
        .unwrap_or_else(|err| panic!("click: {err}"));
    }

    pub fn click_css(&self, css: &str) {
        let e = self.wait(css, Duration::from_secs(10));
        self.click(&e);
    }

    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.wait(css, Duration::from_secs(10));
        self.ok(
            reqwest::Method::POST,
            &format!("/element/{}/clear", e.0),
            Some(json!({})),
        )
        .unwrap_or_else(|err| panic!("clear {css}: {err}"));
        self.ok(
            reqwest::Method::POST,
            &format!("/element/{}/value", e.0),
            Some(json!({ "text": text })),
        )
        .unwrap_or_else(|err| panic!("typing into {css}: {err}"));
    }

    /// Runs a script in the page and returns what it returns.
    pub fn script(&self, script: &str) -> Value {
        self.ok(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .unwrap_or_else(|e| panic!("script: {e}"))
    }

    /// A PNG of the window, written to `path`.
    pub fn screenshot(&self, path: &Path) {
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None);
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64.as_str().unwrap_or(""))
            .expect("a PNG in base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot folder");
        }
        std::fs::write(path, bytes).expect("writing the screenshot");
    }

    pub fn set_window(&self, width: u32, height: u32) {
        let _ = self.ok(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        );
    }

    /// The session's cookie `name`, for requests made outside the browser.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.ok(reqwest::Method::GET, &format!("/cookie/{name}"), None)
            .ok()
            .and_then(|v| v.get("value").and_then(Value::as_str).map(str::to_string))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
