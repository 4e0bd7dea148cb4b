//! What the tests that kill Diwan in the middle of sending share: a node
//! of its own (a process, on SQLite or PostgreSQL as the suite) beside a
//! real Kannel, with residents of Sabha registered; and the kill, the
//! restart and the count at the operator after it.

use super::kannel::{Kannel, Received};
use super::KEY;
use crate::helpers::s;
use crate::process::{self, Node, Place};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// How long a node holds what it sends: short, so that what a killed
/// node held goes out again soon.
const LEASE_SECS: u64 = 6;

pub struct Beside {
    pub place: Place,
    pub kannel: Kannel,
    pub node: Option<Node>,
    pub port: u16,
    /// The flags the node is started with (again, after the kill).
    args: Vec<String>,
    /// An administrator's API token on the first node.
    pub admin: String,
    /// Sabha's id, whose residents are registered.
    pub sabha: String,
}

/// A demo node beside a fresh Kannel, with `residents` persons of Sabha
/// (mobiles `092…`) registered through the API.
pub async fn node_beside_kannel(residents: usize) -> Beside {
    let place = Place::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kannel = Kannel::start(port, KEY);
    let args: Vec<String> = [
        "--kannel-url",
        kannel.sendsms_url.as_str(),
        "--kannel-password",
        kannel.password.as_str(),
        "--kannel-callback-url",
        &format!("http://127.0.0.1:{port}"),
        "--kannel-callback-key",
        KEY,
        "--sms-per-second",
        "100",
        "--message-lease-secs",
        &LEASE_SECS.to_string(),
    ]
    .map(str::to_owned)
    .to_vec();
    let mut first = vec!["--demo"];
    first.extend(args.iter().map(String::as_str));
    let node = Node::start_on(&place, port, &first).await;
    let client = reqwest::Client::new();
    let admin = process::sign_in(&client, &node, "admin").await;
    let orgs: Value = client
        .get(node.url("/api/v1/organizations"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sabha = orgs
        .as_array()
        .unwrap()
        .iter()
        .find(|o| s(o, "code") == "M-SEB")
        .map(|o| s(o, "id").to_owned())
        .expect("Sabha");
    for i in 0..residents {
        let r = client
            .post(node.url("/api/v1/persons"))
            .bearer_auth(&admin)
            .json(
                &json!({"national_number": format!("2199{:08}", i), "name_ar": "فاطمة علي",
                          "mobiles": [format!("092{:07}", i)], "municipality_id": sabha}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    Beside {
        place,
        kannel,
        node: Some(node),
        port,
        args,
        admin,
        sabha,
    }
}

impl Beside {
    pub fn node(&self) -> &Node {
        self.node.as_ref().expect("a node")
    }

    /// Kills the node with SIGKILL once a quarter of `total` messages
    /// reached the operator, starts it again, and waits until `total`
    /// arrived and a lease more passed (long enough for a second copy of
    /// anything); asserts that each of the `total` recipients got exactly
    /// one, and returns what arrived.
    pub async fn kill_and_restart(&mut self, total: usize) -> Vec<Received> {
        let started = std::time::Instant::now();
        while self.kannel.received_count() < total / 4 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "sending started"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.node.take().expect("a node").kill();
        let at_kill = self.kannel.received().len();
        assert!(
            at_kill < total,
            "killed before the end: {at_kill} of {total}"
        );
        eprintln!("killed with {at_kill} of {total} messages at the operator");
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        self.node = Some(Node::start_on(&self.place, self.port, &args).await);
        let first = self
            .kannel
            .wait_received(total, Duration::from_secs(60 + LEASE_SECS))
            .await;
        tokio::time::sleep(Duration::from_secs(LEASE_SECS + 4)).await;
        let got = self.kannel.received();
        let mut to: Vec<&str> = got.iter().map(|r| r.to.as_str()).collect();
        to.sort();
        let all = to.len();
        to.dedup();
        assert_eq!(
            to.len(),
            total,
            "every recipient ({at_kill} before the kill)"
        );
        assert_eq!(
            all,
            total,
            "nobody twice ({} received at first)",
            first.len()
        );
        got
    }

    pub async fn remove(mut self) {
        drop(self.node.take());
        self.place.remove().await;
    }
}
