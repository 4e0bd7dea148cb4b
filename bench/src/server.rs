//! Diwan as a separate process, so that its memory is its own and can be
//! read from `/proc/<pid>/status`.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// How to reach the database: the same flags `diwan` takes.
#[derive(Clone, Debug)]
pub struct Target {
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    /// Extra environment of the server process (diagnostics, e.g. allocator settings).
    pub env: Vec<(String, String)>,
}

impl Target {
    /// This target with the server's environment variable `name` set to
    /// `value`, or unset with `None`. (The messaging benchmark's.)
    #[allow(dead_code)]
    pub fn with_env(&self, name: &str, value: Option<String>) -> Target {
        let mut t = self.clone();
        t.env.retain(|(k, _)| k != name);
        if let Some(v) = value {
            t.env.push((name.to_owned(), v));
        }
        t
    }

    fn apply(&self, cmd: &mut Command) {
        cmd.arg("--data-dir").arg(&self.data_dir);
        if let Some(u) = &self.database_url {
            cmd.arg("--database-url").arg(u);
        }
        // The benchmark decides everything on the command line.
        for v in [
            "DIWAN_DATA_DIR",
            "DIWAN_DATABASE_URL",
            "DIWAN_FILES",
            "DIWAN_LISTEN",
            "DIWAN_DEMO",
        ] {
            cmd.env_remove(v);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
    }
}

/// `diwan migrate`.
pub async fn migrate(bin: &Path, target: &Target, log: &Path) -> Result<()> {
    let mut cmd = Command::new(bin);
    target.apply(&mut cmd);
    cmd.arg("migrate");
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    cmd.stdout(out.try_clone()?)
        .stderr(out)
        .stdin(Stdio::null());
    let status = cmd
        .status()
        .await
        .with_context(|| format!("cannot run {}", bin.display()))?;
    if !status.success() {
        bail!("`diwan migrate` failed ({status}); see {}", log.display());
    }
    Ok(())
}

/// Memory of a process, in kB: (VmRSS, VmHWM).
pub fn memory_kb(pid: u32) -> Option<(u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

pub struct Server {
    child: Child,
    pub pid: u32,
    pub base: String,
    stop_sampler: Arc<AtomicBool>,
    /// Highest VmRSS seen by the sampler, kB.
    pub sampled_peak_kb: Arc<AtomicU64>,
}

impl Server {
    /// Starts `diwan serve` on a free port with its output going to `log`,
    /// and waits until `/readyz` answers.
    pub async fn start(bin: &Path, target: &Target, log: &Path) -> Result<Server> {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        Self::start_on(bin, target, log, port).await
    }

    /// As [`Server::start`], on `port`.
    pub async fn start_on(bin: &Path, target: &Target, log: &Path, port: u16) -> Result<Server> {
        let mut cmd = Command::new(bin);
        target.apply(&mut cmd);
        cmd.arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"));
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        cmd.stdout(out.try_clone()?)
            .stderr(out)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let pid = child.id().context("server has no pid")?;
        let base = format!("http://127.0.0.1:{port}");
        let stop_sampler = Arc::new(AtomicBool::new(false));
        let sampled_peak_kb = Arc::new(AtomicU64::new(0));
        {
            let (stop, peak) = (stop_sampler.clone(), sampled_peak_kb.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Some((rss, _)) = memory_kb(pid) {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            });
        }
        let mut server = Server {
            child,
            pid,
            base,
            stop_sampler,
            sampled_peak_kb,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "the server exited at start ({status}); see {}",
                    log.display()
                );
            }
            if let Ok(r) = client.get(format!("{}/readyz", server.base)).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if Instant::now() > deadline {
                let _ = server.child.start_kill();
                bail!(
                    "the server did not become ready in 120 s; see {}",
                    log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
    }

    pub fn memory_kb(&self) -> Option<(u64, u64)> {
        memory_kb(self.pid)
    }

    /// The server's peak memory so far, kB: its `VmHWM`, and the highest
    /// `VmRSS` the sampler saw. (The messaging benchmark's.)
    #[allow(dead_code)]
    pub fn peaks(&self) -> (u64, u64) {
        (
            self.memory_kb().map_or(0, |m| m.1),
            self.sampled_peak_kb.load(Ordering::Relaxed),
        )
    }

    /// Asks the server to stop (SIGTERM, as a service manager would) and
    /// waits; kills it after 30 s.
    pub async fn stop(mut self) -> Result<()> {
        self.stop_sampler.store(true, Ordering::Relaxed);
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .await;
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(r) => {
                r?;
            }
            Err(_) => {
                self.child.start_kill()?;
                self.child.wait().await?;
            }
        }
        Ok(())
    }
}
