//! Helpers of the case tests: callers, request bodies, a server on a fake clock, an SSE
//! reader and a loopback webhook receiver.

use std::sync::Arc;
use std::time::{Duration, Instant};

use onemap_api::clock::FakeClock;
use onemap_api::{DatabaseUrl, ServeConfig};
use onemap_e2e::{Backend, TestServer, assert_problem, config};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// 黄浦区 with two of its townships; 徐汇区.
pub const HUANGPU: &str = "310101";
pub const NANJING_RD: &str = "310101002";
pub const BUND: &str = "310101013";
pub const XUHUI: &str = "310104";

/// A caller: user, role, level, district, township (the development headers).
pub type Who = [&'static str; 5];
pub const CITY_OFFICE: Who = ["c1", "city_demolition_office", "city", "", ""];
pub const HUANGPU_OFFICE: Who = ["d1", "district_demolition_office", "district", HUANGPU, ""];
pub const XUHUI_OFFICE: Who = ["d2", "district_demolition_office", "district", XUHUI, ""];
pub const NANJING_RD_OFFICE: Who = ["t1", "township_office", "township", HUANGPU, NANJING_RD];
pub const BUND_OFFICE: Who = ["t2", "township_office", "township", HUANGPU, BUND];
pub const SQUAD: Who = ["s1", "squad", "township", HUANGPU, NANJING_RD];
pub const OFFICER: Who = ["o1", "officer", "township", HUANGPU, NANJING_RD];
pub const BUREAU: Who = ["b1", "district_bureau", "district", HUANGPU, ""];
pub const XUHUI_BUREAU: Who = ["b2", "district_bureau", "district", XUHUI, ""];
pub const HOTLINE: Who = ["h1", "hotline_center", "city", "", ""];
pub const OPERATOR_T: Who = ["op-t", "operator", "township", HUANGPU, NANJING_RD];
pub const OPERATOR_D: Who = ["op-d", "operator", "district", HUANGPU, ""];

/// A 1×1 PNG and its size in bytes.
const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
pub const PNG_1X1_LEN: i64 = 70;

/// How long a test waits for the scheduler or a notifier before failing.
const PATIENCE: Duration = Duration::from_secs(20);

pub fn png(name: &str) -> Value {
    json!({"filename": name, "content_base64": PNG_1X1})
}

pub fn issue() -> Value {
    json!({"supervision_level": "挂牌", "subject": "南京东路某号违法搭建"})
}

pub fn reply() -> Value {
    json!({"fields": {"result": "已拆除", "opinion": "已于3月拆除"}, "attachments": [png("photo.png")]})
}

pub fn code(n: u32) -> String {
    format!("WZ310101{n:08}")
}

/// A 12345 order on a building reported by the caller, created with the case.
pub fn receive_on_new_feature(n: u32) -> Value {
    json!({
        "workflow": "hotline_order",
        "new_feature": {
            "collection": "illegal_buildings",
            "geometry": {"type": "Point", "coordinates": [121.48, 31.23]},
            "properties": {"code": code(n), "kind": "新增", "status": "待核查", "source": "12345",
                "district_code": HUANGPU, "township_code": NANJING_RD, "address": "南京东路1号"}
        },
        "fields": {"order_no": format!("12345-20260302-{n:04}"), "source": "12345", "content": "夜间施工噪声"}
    })
}

/// The ids of a list of actions.
pub fn ids(actions: &Value) -> Vec<String> {
    actions
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| a["id"].as_str().expect("an id").to_string())
        .collect()
}

/// The actions of a case's history, in order.
pub fn trail(case: &Value) -> Vec<String> {
    case["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["action"].as_str().expect("an action").to_string())
        .collect()
}

/// How many history entries are `action`.
pub fn count(case: &Value, action: &str) -> usize {
    trail(case).iter().filter(|a| *a == action).count()
}

/// A test server whose case timers run on a fake clock starting Monday 2 March 2026, 09:00
/// China Standard Time, and tick every 20 ms.
pub struct Env {
    pub s: TestServer,
    pub clock: FakeClock,
    cfg: ServeConfig,
}

impl Env {
    /// `settings` are merged into `DATA/cases.json`.
    pub async fn start(b: Backend, settings: Value) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut file = json!({"scheduler_tick_ms": 20});
        file.as_object_mut()
            .unwrap()
            .extend(settings.as_object().cloned().unwrap_or_default());
        std::fs::write(dir.path().join("cases.json"), file.to_string()).unwrap();
        let mut cfg = config(dir.path().to_path_buf(), false);
        cfg.database_url = b.database_url().map(|u| DatabaseUrl(u.to_string()));
        let clock = FakeClock::at("2026-03-02T09:00:00+08:00");
        let s = TestServer::with_clock(cfg.clone(), dir, clock.clone()).await;
        Env { s, clock, cfg }
    }

    /// Replaces the server by a new one on the same data, running on `clock` from now on.
    pub async fn restart(&mut self, clock: FakeClock) {
        self.s.restart(&self.cfg, clock.clone()).await;
        self.clock = clock;
    }

    /// Another server on the same data and clock, as a second instance behind a balancer.
    pub async fn second_instance(&self) -> TestServer {
        let unused = tempfile::tempdir().expect("temp dir");
        TestServer::with_clock(self.cfg.clone(), unused, self.clock.clone()).await
    }

    /// An illegal building in 南京东路街道, 黄浦区.
    pub async fn building(&self, n: u32) -> i64 {
        self.building_in(n, HUANGPU, NANJING_RD).await
    }

    /// An illegal building in a township (Huangpu's at 121.48 31.23, others to the south-west).
    pub async fn building_in(&self, n: u32, district: &str, township: &str) -> i64 {
        let (lon, lat) = if district == HUANGPU {
            (121.48, 31.23)
        } else {
            (121.43, 31.18)
        };
        let f = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"code": code(n), "kind": "新增", "status": "待核查", "source": "巡查",
                "district_code": district, "township_code": township}});
        self.s.create("illegal_buildings", &f).await["id"]
            .as_i64()
            .expect("a feature id")
    }

    /// `POST /cases` as `who`, asserting 201.
    pub async fn open(&self, who: Who, body: Value) -> Value {
        let r = self
            .s
            .as_caller(Method::POST, "/cases", who)
            .json(&body)
            .send()
            .await
            .expect("POST /cases");
        let status = r.status();
        let case: Value = r.json().await.expect("JSON");
        assert_eq!(status, 201, "{} opens {body}: {case}", who[0]);
        assert!(case["history"].as_array().is_some_and(|h| h.len() == 1));
        case
    }

    async fn post_action(
        &self,
        who: Who,
        id: i64,
        action: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.s
            .as_caller(Method::POST, &format!("/cases/{id}/actions/{action}"), who)
            .json(body)
            .send()
            .await
            .expect("POST action")
    }

    /// Takes an action that must succeed; checks it is the newest history entry, by `who`.
    pub async fn act(&self, who: Who, id: i64, action: &str, body: Value) -> Value {
        let r = self.post_action(who, id, action, &body).await;
        let status = r.status();
        let case: Value = r.json().await.expect("JSON");
        assert_eq!(status, 200, "{} {action} on {id}: {case}", who[0]);
        let last = case["history"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (&last["action"], &last["user"]),
            (&json!(action), &json!(who[0]))
        );
        assert_eq!(
            (&last["role"], &last["level"]),
            (&json!(who[1]), &json!(who[2]))
        );
        assert_eq!(last["version"], case["version"]);
        case
    }

    /// Takes an action that must be refused with `status`; returns the problem.
    pub async fn refuse(&self, who: Who, id: i64, action: &str, body: Value, status: u16) -> Value {
        assert_problem(self.post_action(who, id, action, &body).await, status).await
    }

    /// The actions `who` may take on the case now (none when it is outside their area).
    pub async fn can(&self, who: Who, id: i64) -> Vec<String> {
        let r = self
            .s
            .as_caller(Method::GET, &format!("/cases/{id}"), who)
            .send()
            .await
            .expect("GET case");
        // A case outside the caller's area is not shown to them at all: no actions.
        if r.status() == 403 {
            return Vec::new();
        }
        assert_eq!(r.status(), 200);
        ids(&r.json::<Value>().await.unwrap()["available_actions"])
    }

    pub async fn case(&self, id: i64) -> Value {
        self.s.get_json(&format!("/cases/{id}"), 200).await
    }

    /// Polls the case until `done` holds (the scheduler runs in the background).
    pub async fn wait_for(&self, id: i64, done: impl Fn(&Value) -> bool) -> Value {
        poll(self, &format!("/cases/{id}"), done).await
    }

    /// Lets the scheduler run a good many ticks, to show that it fires nothing more.
    pub async fn settle(&self) {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    /// `GET /events` as `who`, from now on.
    pub async fn sse(&self, who: Who) -> Sse {
        Sse::open(self.s.as_caller(Method::GET, "/events", who)).await
    }

    /// Every event after `after` (city-wide), read until the stream is quiet.
    pub async fn events_after(&self, after: i64) -> Vec<Value> {
        let mut sse = Sse::open(
            self.s
                .client
                .get(self.s.url(&format!("/events?after={after}"))),
        )
        .await;
        let mut out = Vec::new();
        while let Some((_, e)) = sse.next_within(Duration::from_millis(500)).await {
            out.push(e);
        }
        out
    }
}

/// GETs `path` until `done` holds of the JSON, or fails after a while.
pub async fn poll(env: &Env, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let v = env.s.get_json(path, 200).await;
        if done(&v) {
            return v;
        }
        assert!(start.elapsed() < PATIENCE, "still waiting on {path}: {v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A server-sent event stream.
pub struct Sse {
    r: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(req: reqwest::RequestBuilder) -> Sse {
        let r = req.send().await.expect("GET /events");
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/event-stream");
        Sse {
            r,
            buf: String::new(),
        }
    }

    /// The next event's name and data; fails the test after a while.
    pub async fn next(&mut self) -> (String, Value) {
        self.next_within(PATIENCE).await.expect("an event")
    }

    /// The next event, or None if none comes within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<(String, Value)> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim_start().to_string())
                };
                if let (Some(kind), Some(data)) = (field("event:"), field("data:")) {
                    let data: Value = serde_json::from_str(&data).expect("JSON data");
                    assert_eq!(
                        field("id:").as_deref(),
                        Some(data["id"].to_string().as_str())
                    );
                    return Some((kind, data));
                }
                continue;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.r.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(_) => panic!("the event stream ended"),
                Err(_) => return None,
            }
        }
    }
}

/// A loopback webhook receiver that answers 500 to its first `fail_first` requests.
pub struct Hook {
    pub url: String,
    bodies: Arc<std::sync::Mutex<Vec<Value>>>,
}

impl Hook {
    pub async fn start(fail_first: usize) -> Hook {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = bodies.clone();
        tokio::spawn(async move {
            let mut requests = 0;
            loop {
                let (mut conn, _) = listener.accept().await.unwrap();
                let Some(body) = read_request(&mut conn).await else {
                    continue;
                };
                requests += 1;
                let status = if requests <= fail_first {
                    "500 Internal Server Error"
                } else {
                    seen.lock().unwrap().push(body);
                    "200 OK"
                };
                let reply =
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                let _ = conn.write_all(reply.as_bytes()).await;
            }
        });
        Hook { url, bodies }
    }

    /// The JSON bodies accepted so far.
    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }

    /// Waits until `n` bodies were accepted.
    pub async fn wait_for(&self, n: usize) {
        let start = Instant::now();
        while self.bodies.lock().unwrap().len() < n {
            assert!(
                start.elapsed() < PATIENCE,
                "{}: {:?}",
                self.url,
                self.bodies()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Reads one HTTP request and returns its body as JSON.
async fn read_request(conn: &mut tokio::net::TcpStream) -> Option<Value> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = conn.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return serde_json::from_slice(&buf[end + 4..end + 4 + length]).ok();
            }
        }
    }
}
