//! `rampart intel analyze --llm URL --model NAME` against a local server that speaks the
//! OpenAI chat-completions API: the model's supported sentences replace the extractive
//! prose, an invented fact is dropped, indicators and ATT&CK ids stay the extractor's, and a
//! failing or slow endpoint leaves the extractive summary with a warning.

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

const REPORT: &str = "APT28 (also known as Fancy Bear) ran a spearphishing campaign against \
ministries in Ukraine, sending malicious Word attachments (T1566.001). Once opened, a macro ran \
PowerShell to download X-Agent from hxxps://update-office365[.]com/owa/load.php. The implant \
talked to 185.220.101[.]47 and 45.77.12[.]34 over HTTPS. The operators exploited \
CVE-2023-23397 in Outlook. Organizations should patch Outlook and enable MFA.";

/// What the fake endpoint does.
#[derive(Clone, Copy)]
enum Mode {
    /// A chat completion whose content is the given JSON.
    Answer(&'static str),
    /// HTTP 500.
    Fail,
    /// Answers only after this long.
    Slow(Duration),
}

/// The Authorization header and the body of one request.
type Seen = (Option<String>, Value);

#[derive(Clone)]
struct Server {
    mode: Mode,
    /// Every request, in order.
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn chat(State(s): State<Server>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    s.seen.lock().unwrap().push((auth, body.clone()));
    match s.mode {
        Mode::Fail => (StatusCode::INTERNAL_SERVER_ERROR, "model overloaded").into_response(),
        Mode::Slow(d) => {
            tokio::time::sleep(d).await;
            (StatusCode::OK, "late").into_response()
        }
        Mode::Answer(content) => Json(json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": content}}],
        }))
        .into_response(),
    }
}

/// Starts the fake endpoint on a loopback port; it lives as long as the runtime returned.
fn serve(mode: Mode) -> (tokio::runtime::Runtime, SocketAddr, Server) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = Server {
        mode,
        seen: Arc::default(),
    };
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .with_state(server.clone());
    rt.spawn(async move { axum::serve(listener, app).await });
    (rt, addr, server)
}

fn analyze(extra: &[&str]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["intel", "analyze", "--format", "json"])
        .args(extra)
        .arg("-")
        .env_remove("RAMPART_LOG")
        .env("RAMPART_LLM_API_KEY", "test-key")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(REPORT.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json_ok(out: &Output) -> (Value, String) {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

const ANSWER: &str = r#"```json
{"identification": ["APT28, also known as Fancy Bear, ran a spearphishing campaign against ministries in Ukraine."],
 "operations": ["The operators exploited CVE-2023-23397 in Outlook, and the implant talked to 185.220.101.47 over HTTPS."],
 "implications": ["APT28 was also behind the 2016 breach of the Democratic National Committee."],
 "recommended": ["Organizations should patch Outlook and enable MFA."],
 "iocs": {"ipv4": ["203.0.113.99"]}}
```"#;

#[test]
fn supported_prose_replaces_the_extractive_and_invented_facts_are_dropped() {
    let (_rt, addr, server) = serve(Mode::Answer(ANSWER));
    let url = format!("http://{addr}");
    let (plain, _) = json_ok(&analyze(&[]));
    let (v, err) = json_ok(&analyze(&["--llm", &url, "--model", "test-model"]));
    assert_eq!(
        v["attribution"]["identification"],
        json!([
            "APT28, also known as Fancy Bear, ran a spearphishing campaign against ministries in Ukraine."
        ]),
        "{err}"
    );
    assert_eq!(
        v["activity"]["operations"],
        json!([
            "The operators exploited CVE-2023-23397 in Outlook, and the implant talked to 185.220.101.47 over HTTPS."
        ])
    );
    // The invented fact is gone, and the field keeps its extractive sentences.
    let mut summary = v.clone();
    summary["llm"] = Value::Null;
    assert!(!summary.to_string().contains("Democratic"), "{v:#}");
    assert_eq!(v["implications"], plain["implications"]);
    let dropped = v["llm"]["dropped"].as_array().unwrap();
    assert_eq!(dropped.len(), 1, "{dropped:#?}");
    assert_eq!(dropped[0]["field"], "implications");
    assert!(
        dropped[0]["reason"].as_str().unwrap().contains("2016"),
        "{dropped:#?}"
    );
    assert!(
        err.contains("dropped as not supported by the text"),
        "{err}"
    );
    // Indicators and techniques are the extractor's: the model's own "iocs" are ignored.
    assert_eq!(v["iocs"], plain["iocs"]);
    assert_eq!(v["techniques"], plain["techniques"]);
    assert!(!v["iocs"].to_string().contains("203.0.113.99"));

    // What the endpoint was sent: the key from the environment, the model, the text.
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (auth, body) = &seen[0];
    assert_eq!(auth.as_deref(), Some("Bearer test-key"));
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["messages"][0]["role"], "system");
    assert!(
        body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("185.220.101[.]47 and 45.77.12[.]34")
    );
}

#[test]
fn a_failing_endpoint_leaves_the_extractive_summary_with_a_warning() {
    let (plain, _) = json_ok(&analyze(&[]));
    let (_rt, addr, _server) = serve(Mode::Fail);
    let (v, err) = json_ok(&analyze(&[
        "--llm",
        &format!("http://{addr}/v1"),
        "--model",
        "m",
    ]));
    assert!(
        err.contains("warning: the language model failed") && err.contains("500"),
        "{err}"
    );
    assert_eq!(v, plain);

    let (_rt2, addr, _server) = serve(Mode::Slow(Duration::from_secs(5)));
    let (v, err) = json_ok(&analyze(&[
        "--llm",
        &format!("http://{addr}"),
        "--model",
        "m",
        "--llm-timeout",
        "1",
    ]));
    assert!(err.contains("did not answer within 1 s"), "{err}");
    assert_eq!(v, plain);

    // Nothing listens: a connection error, the same fallback.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let (v, err) = json_ok(&analyze(&[
        "--llm",
        &format!("http://127.0.0.1:{port}"),
        "--model",
        "m",
    ]));
    assert!(err.contains("cannot connect to"), "{err}");
    assert_eq!(v, plain);
}

#[test]
fn an_answer_without_json_falls_back_and_llm_needs_a_model() {
    let (plain, _) = json_ok(&analyze(&[]));
    let (_rt, addr, _server) = serve(Mode::Answer("I cannot help with that."));
    let (v, err) = json_ok(&analyze(&[
        "--llm",
        &format!("http://{addr}"),
        "--model",
        "m",
    ]));
    assert!(err.contains("holds no JSON object"), "{err}");
    assert_eq!(v, plain);

    let out = analyze(&["--llm", "http://127.0.0.1:9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--model"));
}
