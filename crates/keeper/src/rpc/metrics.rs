//! Prometheus metrics (`GET /metrics`, text format 0.0.4) on a small
//! hand-written HTTP responder: the keeper serves one page and needs no
//! server framework.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the keeper has done, by pool (the Stabilizer's address).
#[derive(Debug, Default)]
struct State {
    deviation_bps: BTreeMap<String, i64>,
    trades: BTreeMap<String, u64>,
    refusals: BTreeMap<String, u64>,
    transactions: BTreeMap<String, u64>,
    gas_used: BTreeMap<String, u64>,
    transport_errors: u64,
    keeper_balance_wei: u128,
    balance_low: bool,
    last_block: u64,
    paused: BTreeMap<String, bool>,
    skips: BTreeMap<String, u64>,
    nonce_resyncs: u64,
    fee_bumps: u64,
    abandoned: u64,
    latency_sum_s: f64,
    latency_count: u64,
}

/// The keeper's metrics, shared with the responder.
#[derive(Debug, Default, Clone)]
pub struct Metrics(Arc<Mutex<State>>);

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// The pool's last read deviation.
    pub fn deviation(&self, stabilizer: &str, bps: i32) {
        self.with(|s| {
            s.deviation_bps.insert(stabilizer.to_owned(), i64::from(bps));
        });
    }

    /// One correcting trade mined.
    pub fn trade(&self, stabilizer: &str) {
        self.with(|s| *s.trades.entry(stabilizer.to_owned()).or_default() += 1);
    }

    /// One refusal (a revert, simulated or mined), by error name.
    pub fn refusal(&self, error: &str) {
        self.with(|s| *s.refusals.entry(error.to_owned()).or_default() += 1);
    }

    /// One mined transaction of `call` and its gas.
    pub fn transaction(&self, call: &str, gas_used: u64) {
        self.with(|s| {
            *s.transactions.entry(call.to_owned()).or_default() += 1;
            *s.gas_used.entry(call.to_owned()).or_default() += gas_used;
        });
    }

    /// One transport error.
    pub fn transport_error(&self) {
        self.with(|s| s.transport_errors += 1);
    }

    /// The keeper's balance, wei (saturated at `u128::MAX`).
    pub fn balance(&self, wei: u128) {
        self.with(|s| s.keeper_balance_wei = wei);
    }

    /// Whether the keeper account is below `min_balance_wei` (it sends
    /// nothing then).
    pub fn balance_low(&self, low: bool) {
        self.with(|s| s.balance_low = low);
    }

    /// Whether the Stabilizer was paused when last read.
    pub fn paused(&self, stabilizer: &str, paused: bool) {
        self.with(|s| {
            s.paused.insert(stabilizer.to_owned(), paused);
        });
    }

    /// One pool turn in which the keeper sent nothing because of `reason`
    /// (`paused`, `direction_disabled`, `balance_low`,
    /// `not_sustained_next_block`).
    pub fn skip(&self, reason: &str) {
        self.with(|s| *s.skips.entry(reason.to_owned()).or_default() += 1);
    }

    /// The endpoint's nonce resyncs, fee bumps and abandoned transactions.
    pub fn incidents(&self, nonce_resyncs: u64, fee_bumps: u64, abandoned: u64) {
        self.with(|s| {
            s.nonce_resyncs += nonce_resyncs;
            s.fee_bumps += fee_bumps;
            s.abandoned += abandoned;
        });
    }

    /// One transaction handed to the node `seconds` after its block was seen.
    pub fn latency(&self, seconds: f64) {
        self.with(|s| {
            s.latency_sum_s += seconds;
            s.latency_count += 1;
        });
    }

    /// The last block the keeper acted on.
    pub fn block(&self, number: u64) {
        self.with(|s| s.last_block = number);
    }

    /// The Prometheus text page.
    pub fn render(&self) -> String {
        let s = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, label: &str, values: Vec<(String, String)>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (key, value) in values {
                if label.is_empty() {
                    let _ = writeln!(out, "{name} {value}");
                } else {
                    let _ = writeln!(out, "{name}{{{label}=\"{key}\"}} {value}");
                }
            }
        };
        let map = |m: &BTreeMap<String, u64>| m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
        family(
            "keeper_pool_deviation_bps",
            "gauge",
            "The pool's deviation from its oracle, bps, as last read.",
            "stabilizer",
            s.deviation_bps.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
        );
        family("keeper_trades_total", "counter", "Correcting trades mined.", "stabilizer", map(&s.trades));
        family(
            "keeper_refusals_total",
            "counter",
            "Refusals and reverts, by error name.",
            "error",
            map(&s.refusals),
        );
        family(
            "keeper_transactions_total",
            "counter",
            "Mined transactions, by call.",
            "call",
            map(&s.transactions),
        );
        family(
            "keeper_gas_used_total",
            "counter",
            "Gas used by mined transactions, by call.",
            "call",
            map(&s.gas_used),
        );
        family(
            "keeper_transport_errors_total",
            "counter",
            "Calls that did not reach the node.",
            "",
            vec![(String::new(), s.transport_errors.to_string())],
        );
        family(
            "keeper_balance_wei",
            "gauge",
            "The keeper account's balance.",
            "",
            vec![(String::new(), s.keeper_balance_wei.to_string())],
        );
        operations(&s, &mut family);
        family(
            "keeper_last_block",
            "gauge",
            "The last block acted on.",
            "",
            vec![(String::new(), s.last_block.to_string())],
        );
        let _ = writeln!(
            out,
            "# HELP keeper_send_latency_seconds From seeing a block to handing a transaction to the node.\n\
             # TYPE keeper_send_latency_seconds summary\n\
             keeper_send_latency_seconds_sum {}\nkeeper_send_latency_seconds_count {}",
            s.latency_sum_s, s.latency_count
        );
        out
    }
}

type Family<'a> = dyn FnMut(&str, &str, &str, &str, Vec<(String, String)>) + 'a;

fn single_value(v: u64) -> Vec<(String, String)> {
    vec![(String::new(), v.to_string())]
}

/// The operating families: the balance floor, pauses, skips, nonce
/// resyncs, fee bumps and abandoned transactions.
fn operations(s: &State, family: &mut Family<'_>) {
    family(
        "keeper_balance_low",
        "gauge",
        "1 while the keeper account is below min_balance_wei and sends nothing.",
        "",
        vec![(String::new(), u8::from(s.balance_low).to_string())],
    );
    family(
        "keeper_paused",
        "gauge",
        "1 while the Stabilizer is paused (as last read).",
        "stabilizer",
        s.paused.iter().map(|(k, v)| (k.clone(), u8::from(*v).to_string())).collect(),
    );
    family(
        "keeper_skips_total",
        "counter",
        "Pool turns with nothing sent, by reason.",
        "reason",
        s.skips.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
    );
    family(
        "keeper_nonce_resyncs_total",
        "counter",
        "Nonces re-read from the node after a refusal.",
        "",
        single_value(s.nonce_resyncs),
    );
    family(
        "keeper_fee_bumps_total",
        "counter",
        "Stuck transactions re-sent with the same nonce and higher fees.",
        "",
        single_value(s.fee_bumps),
    );
    family(
        "keeper_abandoned_transactions_total",
        "counter",
        "Transactions given up without a receipt (lost, replaced, or stuck at the fee cap).",
        "",
        single_value(s.abandoned),
    );
}

/// Serves `metrics` on `listen` until the task is dropped.
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve(listen: SocketAddr, metrics: Metrics) -> std::io::Result<tokio::task::JoinHandle<()>> {
    serve_page(listen, move || metrics.render()).await
}

/// Serves the page `render` writes at `/metrics` on `listen` until the
/// task is dropped (the keeper's metrics, the parity bot's).
///
/// # Errors
/// When the address cannot be bound.
pub async fn serve_page<F>(listen: SocketAddr, render: F) -> std::io::Result<tokio::task::JoinHandle<()>>
where
    F: Fn() -> String + Send + Sync + 'static,
{
    let render = Arc::new(render);
    let listener = TcpListener::bind(listen).await?;
    tracing::info!(%listen, "serving metrics at /metrics");
    Ok(tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            let render = Arc::clone(&render);
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let read = stream.read(&mut request).await.unwrap_or(0);
                let line = String::from_utf8_lossy(&request[..read]);
                let (status, body) = if line.starts_with("GET /metrics ") {
                    ("200 OK", render())
                } else {
                    ("404 Not Found", "not found\n".to_owned())
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    }))
}
