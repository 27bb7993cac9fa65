//! Headless Chromium driven through chromedriver (WebDriver), for the journeys people make.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` and `scripts/test` install
//! them). A failing journey leaves a screenshot under `target/browser-failures/`.

#![allow(dead_code)]

use std::future::Future;
use std::net::TcpListener;
use std::panic::AssertUnwindSafe;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use futures_util::FutureExt;

pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium window of the given
    /// size (a phone is 390×844: its viewport really is 390 px wide).
    pub async fn start(width: u32, height: u32) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {driver_path}: {e}. Install Debian's chromium and chromium-driver (scripts/test does).")
            });
        let mut capabilities = serde_json::Map::new();
        let user_data =
            std::env::temp_dir().join(format!("soriano-chromium-{}-{port}", std::process::id()));
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", user_data.display()),
                ]
            }),
        );
        // A window is never narrower than 500 px: a phone's width needs the device metrics
        // override (desktop-like otherwise, so `innerWidth` stays the layout width).
        if width < 500 {
            capabilities["goog:chromeOptions"]["mobileEmulation"] = serde_json::json!({
                "deviceMetrics": {
                    "width": width, "height": height, "pixelRatio": 1.0,
                    "mobile": false, "touch": false,
                }
            });
        }
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(error) if Instant::now() > deadline => {
                    panic!("chromedriver did not answer: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Self { client, driver }
    }

    /// Runs a journey; on failure saves a screenshot named after it, then fails the test.
    pub async fn journey<F, Fut>(self, name: &str, steps: F)
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<(), Box<dyn std::error::Error>>>,
    {
        // Assertions inside the journey panic; catch that too, so it also leaves a screenshot.
        let result = match AssertUnwindSafe(steps(self.client.clone()))
            .catch_unwind()
            .await
        {
            Ok(result) => result,
            Err(panic) => Err(panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into())
                .into()),
        };
        if let Err(error) = &result {
            let dir =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-failures");
            let _ = std::fs::create_dir_all(&dir);
            if let Ok(png) = self.client.screenshot().await {
                let path = dir.join(format!("{name}.png"));
                let _ = std::fs::write(&path, png);
                eprintln!("screenshot: {}", path.display());
            }
            eprintln!("journey {name} failed: {error}");
        }
        let _ = self.client.clone().close().await;
        drop(self);
        if let Err(error) = result {
            panic!("journey {name} failed: {error}");
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Polls `check` until it holds or 10 s pass (htmx swaps are asynchronous).
pub async fn eventually<F, Fut>(what: &str, mut check: F) -> Result<(), Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if check().await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("timed out waiting for: {what}").into())
}

/// Signs in through the real form and waits for the staff home page.
pub async fn sign_in(
    client: &Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    client.goto(&format!("{base}/admin/entrar")).await?;
    client
        .find(fantoccini::Locator::Id("email"))
        .await?
        .send_keys(email)
        .await?;
    client
        .find(fantoccini::Locator::Id("password"))
        .await?
        .send_keys(password)
        .await?;
    client
        .find(fantoccini::Locator::Css("form.form button[type=submit]"))
        .await?
        .click()
        .await?;
    eventually("the dashboard", || {
        let client = client.clone();
        async move {
            client
                .current_url()
                .await
                .map(|u| u.path() == "/admin")
                .unwrap_or(false)
        }
    })
    .await
}
