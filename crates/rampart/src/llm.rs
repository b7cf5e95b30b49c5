//! `intel analyze --llm URL --model NAME`: one call to an OpenAI-compatible
//! `/v1/chat/completions` endpoint. The prompt, the reading of the answer and the check that
//! drops unsupported sentences are `rampart_intel::report::llm`'s; this is only the HTTP.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use rampart_intel::report::llm::ChatMessage;
use serde::{Deserialize, Serialize};

/// The environment variable holding the API key (sent as `Authorization: Bearer …`).
pub const API_KEY_ENV: &str = "RAMPART_LLM_API_KEY";

/// The chat-completions address for `url`: used as given when it ends in
/// `/chat/completions`, else `/chat/completions` is added to a URL ending in `/v1` and
/// `/v1/chat/completions` to any other.
pub fn endpoint(url: &str) -> String {
    let u = url.trim_end_matches('/');
    if u.ends_with("/chat/completions") {
        u.to_owned()
    } else if u.ends_with("/v1") {
        format!("{u}/chat/completions")
    } else {
        format!("{u}/v1/chat/completions")
    }
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    temperature: f32,
    stream: bool,
}

#[derive(Deserialize)]
struct Response {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChatMessage,
}

/// Sends the messages and returns the first choice's content.
pub fn complete(
    url: &str,
    model: &str,
    messages: &[ChatMessage],
    timeout: Duration,
) -> Result<String> {
    // reqwest is built without a crypto provider of its own; rustls uses ring's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let endpoint = endpoint(url);
    let key = std::env::var(API_KEY_ENV).ok().filter(|k| !k.is_empty());
    crate::indicators::block_on(async {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .context("cannot build the HTTP client")?;
        let mut req = client.post(&endpoint).json(&Request {
            model,
            messages,
            temperature: 0.0,
            stream: false,
        });
        if let Some(k) = &key {
            req = req.bearer_auth(k);
        }
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                anyhow!(
                    "{endpoint} did not answer within {} s",
                    timeout.as_secs_f32()
                )
            } else if e.is_connect() {
                anyhow!("cannot connect to {endpoint}: {e}")
            } else {
                anyhow!("request to {endpoint} failed: {e}")
            }
        })?;
        let status = resp.status();
        let body = resp.text().await.map_err(|e| {
            if e.is_timeout() {
                anyhow!(
                    "{endpoint} did not finish its answer within {} s",
                    timeout.as_secs_f32()
                )
            } else {
                anyhow!("cannot read the answer of {endpoint}: {e}")
            }
        })?;
        if !status.is_success() {
            let snippet: String = body.chars().take(300).collect();
            bail!("{endpoint} answered {status}: {snippet}");
        }
        let parsed: Response = serde_json::from_str(&body)
            .with_context(|| format!("{endpoint} did not answer with a chat completion"))?;
        parsed
            .choices
            .into_iter()
            .next()
            .map(|c| c.message.content)
            .ok_or_else(|| anyhow!("{endpoint} answered with no choices"))
    })
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn endpoints() {
        assert_eq!(
            endpoint("http://127.0.0.1:8000"),
            "http://127.0.0.1:8000/v1/chat/completions"
        );
        assert_eq!(endpoint("http://h/v1/"), "http://h/v1/chat/completions");
        assert_eq!(
            endpoint("https://h/openai/v1/chat/completions"),
            "https://h/openai/v1/chat/completions"
        );
    }
}
